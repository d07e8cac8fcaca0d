// A full run (no file pattern on the command line) starts a fresh results file; a partial run
// (`npm run test:compat -- metadata`) replaces only the rows it produces.
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export default async function globalSetup(globalConfig) {
  const patterns = globalConfig.testPathPatterns?.patterns ?? globalConfig.testPathPattern ?? [];
  const partial = Array.isArray(patterns) ? patterns.length > 0 : String(patterns) !== '';
  if (partial) return;
  const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'compat-results.json');
  await rm(file, { force: true });
}
