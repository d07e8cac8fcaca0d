/**
 * `npm run bench`: runs every suite in scripts/bench/ (or those named on the command line) and
 * prints each figure beside the baseline it is compared with, measured in the same run.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'bench');
// Arguments are suite names; flags (--quick) are left to the suites, which read process.argv.
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const suites = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();

console.log(`# gregor benchmarks: node ${process.version}, ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}`);
console.log(`# command: npm run bench${wanted.length ? ' -- ' + wanted.join(' ') : ''}`);
for (const s of suites) {
  const mod = (await import(join(dir, s))) as { run: () => Promise<void> | void };
  await mod.run();
}
