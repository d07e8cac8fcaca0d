/**
 * `gregor start` failures a person fixes on the command line: one line on stderr naming the flag
 * that fixes it, exit 1, and no logged stack. Run in-process (runStart) with stderr captured.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Broker } from '../../src/broker.js';
import { runStart } from '../../src/cli/start.js';

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'gregor-start-'));
});
afterAll(() => { rmSync(scratch, { recursive: true, force: true }); });

/** Runs `gregor start <argv>` in this process; returns its exit code and everything it wrote. */
async function start(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((s) => out.push(String(s)) > 0);
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((s) => err.push(String(s)) > 0);
  try {
    const code = await runStart(argv);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('gregor start', () => {
  it('says a port is in use in one line and points at --port', async () => {
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    try {
      const r = await start(['--memory', '--host', '127.0.0.1', '--port', String(port), '--log-level', 'error']);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`gregor start: port ${port} is already in use on 127.0.0.1 (another broker?); choose another port with --port N (--port 0 picks a free one)\n`);
    } finally {
      await new Promise<void>((r) => taken.close(() => { r(); }));
    }
  });

  it('leaves a failed listen to the caller: Broker.start rejects and logs nothing at error level', async () => {
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as { level: number; msg: string }) });
    try {
      await expect(Broker.start({ port, host: '127.0.0.1', logger })).rejects.toMatchObject({ code: 'EADDRINUSE' });
      expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    } finally {
      await new Promise<void>((r) => taken.close(() => { r(); }));
    }
  });

  it('says a data dir that is a file is one, and points at --data-dir', async () => {
    const file = join(scratch, 'not-a-dir');
    writeFileSync(file, 'x');
    const r = await start(['--data-dir', file, '--port', '0', '--log-level', 'error']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`gregor start: log directory ${file} is a file, not a directory; choose another with --data-dir DIR (or --memory)\n`);
    const below = await start(['--data-dir', join(file, 'sub'), '--port', '0', '--log-level', 'error']);
    expect(below.code).toBe(1);
    expect(below.stderr).toContain(`log directory ${join(file, 'sub')} cannot be created: a file stands where one of its parent directories should be`);
  });
});
