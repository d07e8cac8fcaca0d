/**
 * What the `gregor` command itself prints: its version, and a usage error as the error, a
 * suggestion for a mistyped flag and one line pointing at --help (so the error stays on screen).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, buildCli, removeCli, runCli } from './helpers.js';

beforeAll(async () => {
  await buildCli();
}, 30_000);
afterAll(() => { removeCli(); });

describe('gregor', () => {
  it('prints the version package.json gives', async () => {
    const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    const r = await runCli(['--version']);
    expect(r).toMatchObject({ code: 0, stdout: `gregor ${version}\n`, stderr: '' });
    // As every Kafka tool takes --version.
    expect(await runCli(['configs', '--version'])).toMatchObject({ code: 0, stdout: `gregor ${version}\n`, stderr: '' });
  });

  it('prints a usage error in two lines with the nearest flag, and exits 2', async () => {
    const r = await runCli(['topics', '--bootstrap-server', 'localhost:1', '--lsit']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      "gregor topics: Unknown option '--lsit'. Did you mean '--list'?\n" +
        "Usage: gregor topics --bootstrap-server HOST:PORT ACTION [options]  ('gregor topics --help' lists every option)\n",
    );
  });
});
