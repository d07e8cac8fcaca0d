/**
 * What `npm install` does to a clone that is already installed (its prepare script): build dist/
 * when src/ is newer. Tests that run the built package call this first.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** When the newest file under src/ was written. */
export function newestSourceMtime(): number {
  return newestMtime(join(REPO, 'src'));
}

/** When a file of the repository (a path relative to it) was written; 0 when there is none. */
export function builtAt(path: string): number {
  try {
    return statSync(join(REPO, path)).mtimeMs;
  } catch {
    return 0;
  }
}

/** Builds dist/ (ES modules, without dist/cjs/) when src/ is newer than dist/cli/main.js. */
export function ensureDistBuilt(): void {
  const main = 'dist/cli/main.js';
  if (builtAt(main) >= newestSourceMtime()) return;
  // Type errors elsewhere do not stop tsc from emitting; `npm run typecheck` is their judge.
  spawnSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: REPO, stdio: 'ignore' });
  if (builtAt(main) < newestSourceMtime()) throw new Error('dist/ could not be built from src/');
}
