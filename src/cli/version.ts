/**
 * Gregor's version, as package.json states it: read from the nearest package.json named "gregor"
 * above this module, so that the built package, the sources and a bundle inside the repository all
 * report the version they were released as, with no second copy of the number to keep in step.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function gregorVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'gregor' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no package.json here, or not ours: keep climbing
    }
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
}
