/**
 * The source tree's dependency rules (docs/architecture.md): imports point one way, from the
 * command line down to the protocol layer, and no module imports itself back through a cycle.
 * Type-only imports count too: a cycle of types is still two files that cannot be read apart.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');

/**
 * What each top-level folder of src/ may import besides itself. Anything not listed is an upward or
 * sideways import. `broker.ts` and `index.ts` at the root are the wiring and may import anything below.
 */
const ALLOWED: Record<string, readonly string[]> = {
  protocol: [],
  util: [],
  storage: ['protocol', 'util'],
  config: ['protocol', 'storage', 'util'],
  metadata: ['config', 'protocol', 'storage', 'util'],
  partition: ['config', 'metadata', 'protocol', 'storage', 'util'],
  coordinator: ['config', 'metadata', 'protocol', 'storage', 'util'],
  cluster: ['client', 'config', 'metadata', 'protocol', 'storage', 'util'],
  replication: ['client', 'cluster', 'config', 'metadata', 'partition', 'protocol', 'storage', 'util'],
  server: ['cluster', 'config', 'coordinator', 'metadata', 'partition', 'protocol', 'replication', 'storage', 'util'],
  client: ['config', 'protocol', 'util'],
  cli: ['broker', 'client', 'cluster', 'config', 'metadata', 'protocol', 'storage', 'util'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** The relative imports of a file, resolved to the .ts files they name. */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.{1,2}\/[^']+)'/g)) {
    found.push(path.join(path.dirname(file), match[1].replace(/\.js$/, '.ts')));
  }
  return found;
}

/** The top-level folder of src/ a file is in ('broker' for src/broker.ts and the other root files). */
function layerOf(file: string): string {
  const rel = path.relative(SRC, file).split(path.sep);
  return rel.length === 1 ? 'broker' : rel[0];
}

const files = sourceFiles(SRC);
const graph = new Map(files.map((f) => [f, relativeImports(f)]));

describe('source tree dependencies', () => {
  it('finds the source files and their imports', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(graph.get(path.join(SRC, 'broker.ts'))!.length).toBeGreaterThan(5);
  });

  it('imports only downward', () => {
    const upward: string[] = [];
    for (const [file, imports] of graph) {
      const from = layerOf(file);
      const allowed = ALLOWED[from] as (typeof ALLOWED)[string] | undefined;
      if (allowed === undefined) continue;
      for (const target of imports) {
        const to = layerOf(target);
        if (to !== from && !allowed.includes(to)) upward.push(`${path.relative(SRC, file)} -> ${path.relative(SRC, target)}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('has no import cycles', () => {
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const cycles: string[] = [];
    const visit = (file: string): void => {
      state.set(file, 'open');
      stack.push(file);
      for (const target of graph.get(file) ?? []) {
        if (!graph.has(target)) continue;
        if (state.get(target) === 'open') {
          cycles.push([...stack.slice(stack.indexOf(target)), target].map((f) => path.relative(SRC, f)).join(' -> '));
        } else if (state.get(target) === undefined) {
          visit(target);
        }
      }
      stack.pop();
      state.set(file, 'done');
    };
    for (const file of files) if (state.get(file) === undefined) visit(file);
    expect(cycles).toEqual([]);
  });
});
