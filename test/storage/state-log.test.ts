import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import {
  MemoryStateLogStore,
  openStateLog,
  type StateLog,
  type StateLogEntry,
  type StateLogOptions,
} from '../../src/storage/state-log.js';
import { StorageError } from '../../src/storage/types.js';
import type { Logger } from '../../src/util/logger.js';
import { crashRecord, type CrashRecord } from './fixtures/state-log-writer.js';

async function collect(log: StateLog): Promise<StateLogEntry[]> {
  const out: StateLogEntry[] = [];
  for await (const entry of log.replay()) out.push(entry);
  return out;
}

const records = (entries: StateLogEntry[]): unknown[] => entries.filter((e) => e.kind === 'record').map((e) => e.value);

/** A real logger whose warning lines are kept instead of printed. */
function quietLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
  return Object.assign(logger, { warnings });
}

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'gregor-state-log-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

// The same behaviour from both engines; `reopen` simulates a restart of the broker.
describe.each([
  ['disk', () => (opts: StateLogOptions) => openStateLog(tmp, opts)],
  [
    'memory',
    () => {
      const store = new MemoryStateLogStore();
      return (opts: StateLogOptions) => openStateLog(store, opts);
    },
  ],
] as const)('state log on %s', (_engine, makeOpener) => {
  let openLog: (opts: StateLogOptions) => Promise<StateLog>;
  beforeEach(() => {
    openLog = makeOpener();
  });

  it('replays nothing when new', async () => {
    const log = await openLog({ name: 'meta' });
    expect(await collect(log)).toEqual([]);
    expect(log.recordsSinceSnapshot).toBe(0);
    await log.close();
  });

  it('replays after a restart exactly the records appended, in order and with their types', async () => {
    const appended = [
      { type: 'topic', name: 'orders', id: 'c0ffee', partitions: 3 },
      { type: 'offset', group: 'g', partition: 1, offset: 9_007_199_254_740_993n, at: 1_700_000_000_123 },
      { type: 'config', values: { 'retention.ms': '-1' }, nothing: null, bytes: new Uint8Array([1, 2, 3]) },
      [1, -2, 3.5, 'four', true],
    ];
    const log = await openLog({ name: 'meta' });
    for (const r of appended) await log.append(r);
    expect(log.recordsSinceSnapshot).toBe(4);
    await log.close();

    const reopened = await openLog({ name: 'meta' });
    const entries = await collect(reopened);
    expect(entries.map((e) => e.kind)).toEqual(['record', 'record', 'record', 'record']);
    expect(records(entries)).toEqual(appended);
    const offset = records(entries)[1] as { offset: unknown; at: unknown };
    expect(typeof offset.offset).toBe('bigint');
    expect(typeof offset.at).toBe('number');
    expect(reopened.recordsSinceSnapshot).toBe(4);
    await reopened.close();
  });

  it('replays the latest snapshot first, then only the records after it', async () => {
    const log = await openLog({ name: 'meta' });
    await log.append({ n: 1 });
    await log.append({ n: 2 });
    await log.writeSnapshot({ total: 3, version: 1 });
    expect(log.recordsSinceSnapshot).toBe(0);
    expect(log.bytesSinceSnapshot).toBe(0);
    await log.append({ n: 4 });
    await log.writeSnapshot({ total: 10, version: 2 });
    await log.append({ n: 5 });
    await log.append({ n: 6 });
    await log.close();

    const reopened = await openLog({ name: 'meta' });
    expect(await collect(reopened)).toEqual([
      { kind: 'snapshot', value: { total: 10, version: 2 } },
      { kind: 'record', value: { n: 5 } },
      { kind: 'record', value: { n: 6 } },
    ]);
    expect(reopened.recordsSinceSnapshot).toBe(2);
    await reopened.close();
  });

  it('keeps call order across appends and snapshots issued without waiting', async () => {
    const log = await openLog({ name: 'meta' });
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 500; i++) pending.push(log.append({ i }));
    pending.push(log.writeSnapshot({ upTo: 500 }));
    for (let i = 500; i < 600; i++) pending.push(log.append({ i }));
    await Promise.all(pending);
    await log.close();

    const reopened = await openLog({ name: 'meta' });
    const entries = await collect(reopened);
    expect(entries[0]).toEqual({ kind: 'snapshot', value: { upTo: 500 } });
    expect(records(entries)).toEqual(Array.from({ length: 100 }, (_, k) => ({ i: 500 + k })));
    await reopened.close();
  });

  it('keeps logs with different names apart', async () => {
    const a = await openLog({ name: 'meta' });
    const b = await openLog({ name: 'meta-1' });
    await a.append('a');
    await b.append('b');
    await a.close();
    await b.close();
    const a2 = await openLog({ name: 'meta' });
    expect(records(await collect(a2))).toEqual(['a']);
    await a2.close();
  });

  it('enforces its usage rules', async () => {
    const log = await openLog({ name: 'meta', maxRecordBytes: 100 });
    await expect(openLog({ name: 'meta' })).rejects.toThrow(/already open/);
    await expect(log.append('x'.repeat(200))).rejects.toThrow(RangeError);

    await log.append({ n: 1 });
    const replayAfterWrite = async () => {
      for await (const _ of log.replay());
    };
    await expect(replayAfterWrite()).rejects.toThrow(/before the first append/);
    await log.close();
    await log.close();
    await expect(log.append({ n: 2 })).rejects.toThrow(/closed/);
    await expect(openStateLog(tmp, { name: '../escape' })).rejects.toThrow(TypeError);
  });

  it('refuses writes while a replay is in progress', async () => {
    const first = await openLog({ name: 'meta' });
    await first.append(1);
    await first.append(2);
    await first.close();
    const log = await openLog({ name: 'meta' });
    const seen: unknown[] = [];
    for await (const entry of log.replay()) {
      seen.push(entry.value);
      await expect(log.append(3)).rejects.toThrow(/replay is in progress/);
    }
    expect(seen).toEqual([1, 2]);
    await log.append(3);
    await log.close();
  });
});

describe('state log on disk: files and crash recovery', () => {
  const files = async (): Promise<string[]> => (await readdir(tmp)).sort();
  const activeLog = async (): Promise<string> => {
    const logs = (await files()).filter((f) => f.endsWith('.log'));
    expect(logs).toHaveLength(1);
    return path.join(tmp, logs[0]);
  };

  async function writeRecords(n: number, options: Partial<StateLogOptions> = {}): Promise<void> {
    const log = await openStateLog(tmp, { name: 'meta', ...options });
    for (let i = 0; i < n; i++) await log.append({ i, text: `record ${i}` });
    await log.close();
  }

  async function replayAll(logger = quietLogger()): Promise<{ values: unknown[]; log: StateLog }> {
    const log = await openStateLog(tmp, { name: 'meta', logger });
    const values = records(await collect(log));
    return { values, log };
  }

  /** Opens, replays and closes: the records a restarted broker would see. */
  async function replayedValues(): Promise<unknown[]> {
    const { values, log } = await replayAll();
    await log.close();
    return values;
  }

  const expected = (n: number) => Array.from({ length: n }, (_, i) => ({ i, text: `record ${i}` }));

  it('lays out one log per generation and removes the old generation after a snapshot', async () => {
    const log = await openStateLog(tmp, { name: 'meta' });
    expect(await files()).toEqual(['meta-00000000000000000000.log']);
    await log.append({ n: 1 });
    await log.writeSnapshot({ s: 1 });
    expect(await files()).toEqual(['meta-00000000000000000001.log', 'meta-00000000000000000001.snapshot']);
    await log.writeSnapshot({ s: 2 });
    expect(await files()).toEqual(['meta-00000000000000000002.log', 'meta-00000000000000000002.snapshot']);
    await log.close();
  });

  it('takes appends during a snapshot without waiting for it to be written', async () => {
    const log = await openStateLog(tmp, { name: 'meta' });
    await log.append({ n: 1 });
    const order: string[] = [];
    // A large snapshot: its write and fsync take a while.
    const big = { blob: Buffer.alloc(32 << 20, 7) };
    const snapshot = log.writeSnapshot(big).then(() => order.push('snapshot'));
    const append = log.append({ n: 2 }).then(() => order.push('append'));
    await Promise.all([snapshot, append]);
    expect(order).toEqual(['append', 'snapshot']);
    await log.close();
    const again = await openStateLog(tmp, { name: 'meta' });
    const entries = await collect(again);
    expect(entries.map((e) => e.kind)).toEqual(['snapshot', 'record']);
    expect(records(entries)).toEqual([{ n: 2 }]);
    await again.close();
  });

  /** Two generations on disk, as a crash between starting generation 2 and its snapshot leaves them. */
  async function crashBeforeSecondSnapshot(): Promise<void> {
    let log = await openStateLog(tmp, { name: 'meta' });
    await log.append('a');
    await log.writeSnapshot({ s: 1 });
    await log.append('b1');
    await log.append('b2');
    await log.close();
    const kept = new Map<string, Buffer>();
    for (const f of await files()) kept.set(f, await readFile(path.join(tmp, f)));
    log = await openStateLog(tmp, { name: 'meta' });
    await collect(log);
    await log.writeSnapshot({ s: 2 });
    await log.append('c');
    await log.close();
    // Undo what the second snapshot's commit did: its snapshot and the removal of generation 1.
    await rm(path.join(tmp, 'meta-00000000000000000002.snapshot'));
    for (const [f, bytes] of kept) await writeFile(path.join(tmp, f), bytes);
    expect(await files()).toEqual(['meta-00000000000000000001.log', 'meta-00000000000000000001.snapshot', 'meta-00000000000000000002.log']);
  }

  it('after a crash before a snapshot was in place, replays the older snapshot and every log since', async () => {
    await crashBeforeSecondSnapshot();
    const { values, log } = await replayAll();
    expect(values).toEqual(['b1', 'b2', 'c']);
    expect(log.recordsSinceSnapshot).toBe(3);
    await log.append('d');
    await log.writeSnapshot({ s: 3 });
    await log.close();
    expect(await files()).toEqual(['meta-00000000000000000003.log', 'meta-00000000000000000003.snapshot']);
  });

  it('a torn tail in an older log ends the state there: the logs after it are set aside', async () => {
    await crashBeforeSecondSnapshot();
    const first = path.join(tmp, 'meta-00000000000000000001.log');
    const second = path.join(tmp, 'meta-00000000000000000002.log');
    const secondBytes = await readFile(second);
    const original = await readFile(first);
    await truncate(first, original.length - 2);
    const logger = quietLogger();
    const { values, log } = await replayAll(logger);
    expect(values).toEqual(['b1']);
    const lines = logger.warnings.map((l) => JSON.parse(l) as Record<string, unknown>);
    const cut = lines.find((l) => l.file === first)!;
    const cutAt = cut.position as number;
    expect(cut).toMatchObject({ level: 40, truncatedBytes: original.length - 2 - cutAt, records: 1, copy: `${first}.damaged-${cutAt}` });
    expect(logger.warnings.join('\n')).toMatch(/meta-00000000000000000002\.log follows a torn one.*set aside as .*meta-00000000000000000002\.log\.damaged-0/);
    await log.append('after');
    await log.close();
    expect(await files()).toEqual([
      'meta-00000000000000000001.log',
      `meta-00000000000000000001.log.damaged-${cutAt}`,
      'meta-00000000000000000001.snapshot',
      'meta-00000000000000000002.log.damaged-0',
    ]);
    // The copy holds exactly the bytes that were cut; the set-aside log is whole.
    expect(await readFile(`${first}.damaged-${cutAt}`)).toEqual(original.subarray(cutAt, original.length - 2));
    expect(await readFile(`${second}.damaged-0`)).toEqual(secondBytes);
    expect(log.damage.map((d) => [d.file, d.position, d.bytes])).toEqual([
      [first, cutAt, original.length - 2 - cutAt],
      [second, 0, secondBytes.length],
    ]);
    expect(await replayedValues()).toEqual(['b1', 'after']);
  });

  it('a snapshot that cannot be written is reported, and the state stays whole', async () => {
    const log = await openStateLog(tmp, { name: 'meta' });
    await log.append('a');
    // A directory where the temporary file must go makes the write fail.
    const tmpFile = path.join(tmp, 'meta-00000000000000000001.snapshot.tmp');
    await mkdir(tmpFile);
    await expect(log.writeSnapshot({ s: 1 })).rejects.toThrow(StorageError);
    await log.append('b');
    await log.close();
    await rm(tmpFile, { recursive: true });
    expect(await replayedValues()).toEqual(['a', 'b']);
  });

  it('truncates garbage appended to the tail and keeps every complete record', async () => {
    await writeRecords(20);
    const file = await activeLog();
    const goodSize = (await stat(file)).size;
    await appendFile(file, Buffer.from('this is not a frame at all, just trailing garbage'));

    const logger = quietLogger();
    const { values, log } = await replayAll(logger);
    expect(values).toEqual(expected(20));
    expect(logger.warnings.join('\n')).toMatch(new RegExp(`${file}.* at byte ${goodSize}: truncating 49 bytes there \\(a copy is in ${file}\\.damaged-${goodSize}\\)`));
    expect((await stat(file)).size).toBe(goodSize);
    expect((await readFile(`${file}.damaged-${goodSize}`)).toString()).toBe('this is not a frame at all, just trailing garbage');
    expect(log.damage).toEqual([
      { kind: 'log', file, generation: 0, position: goodSize, bytes: 49, problem: expect.stringMatching(/torn frame/), copy: `${file}.damaged-${goodSize}`, stateLost: false, torn: true },
    ]);

    // The log goes on after the cut.
    await log.append({ i: 20, text: 'record 20' });
    await log.close();
    expect(await replayedValues()).toEqual(expected(21));
  });

  it('drops a torn last record (a partial write) and nothing before it', async () => {
    for (const cut of [1, 5, 9]) {
      await rm(tmp, { recursive: true });
      await writeRecords(10);
      const file = await activeLog();
      await truncate(file, (await stat(file)).size - cut);
      const { values, log } = await replayAll();
      expect(values).toEqual(expected(9));
      await log.close();
    }
  });

  it('drops a torn frame header at the tail', async () => {
    await writeRecords(3);
    const file = await activeLog();
    await appendFile(file, Buffer.from([0, 0, 0]));
    const { values, log } = await replayAll();
    expect(values).toEqual(expected(3));
    await log.close();
  });

  it('cuts at the first record whose bytes were corrupted', async () => {
    await writeRecords(5);
    const file = await activeLog();
    const bytes = await readFile(file);
    bytes[bytes.length - 3] ^= 0xff; // inside the last record's payload
    await writeFile(file, bytes);
    const logger = quietLogger();
    const { values, log } = await replayAll(logger);
    expect(values).toEqual(expected(4));
    const line = JSON.parse(logger.warnings.find((l) => l.includes('CRC'))!) as Record<string, unknown>;
    // A complete frame that fails its CRC was damaged after it was written: an error, not a crash's torn tail.
    expect(line).toMatchObject({ level: 50, file, problem: 'a frame failing its CRC', truncatedBytes: bytes.length - (line.position as number) });
    expect(await readFile(`${file}.damaged-${line.position as number}`)).toEqual(bytes.subarray(line.position as number));
    await log.close();
  });

  it('keeps every cut of a damaged tail when the damage recurs at the same position', async () => {
    await writeRecords(2);
    const file = await activeLog();
    const goodSize = (await stat(file)).size;
    await appendFile(file, Buffer.from('first damage'));
    let { log } = await replayAll();
    await log.close();
    await appendFile(file, Buffer.from('second damage'));
    ({ log } = await replayAll());
    await log.close();
    expect((await readFile(`${file}.damaged-${goodSize}`)).toString()).toBe('first damage');
    expect((await readFile(`${file}.damaged-${goodSize}.1`)).toString()).toBe('second damage');
    expect(await replayedValues()).toEqual(expected(2));
  });

  it('treats a zero-filled tail (a file extended without its data) as torn', async () => {
    await writeRecords(4);
    await appendFile(await activeLog(), Buffer.alloc(4096));
    const { values, log } = await replayAll();
    expect(values).toEqual(expected(4));
    await log.close();
  });

  it('cleans up after a crash in the middle of writing a snapshot', async () => {
    await writeRecords(3);
    // Crash before the rename: a temporary file of the next generation is left behind.
    await writeFile(path.join(tmp, 'meta-00000000000000000001.snapshot.tmp'), Buffer.from('half a snap'));
    let { values, log } = await replayAll();
    expect(values).toEqual(expected(3));
    await log.close();
    expect(await files()).toEqual(['meta-00000000000000000000.log']);

    // Crash after the rename but before the new log exists: the snapshot is the whole state.
    log = await openStateLog(tmp, { name: 'meta' });
    await collect(log);
    await log.writeSnapshot({ snap: 1 });
    await log.close();
    await rm(path.join(tmp, 'meta-00000000000000000001.log'));
    await writeFile(path.join(tmp, 'meta-00000000000000000000.log'), Buffer.alloc(0)); // stale old generation
    log = await openStateLog(tmp, { name: 'meta' });
    expect(await collect(log)).toEqual([{ kind: 'snapshot', value: { snap: 1 } }]);
    await log.append('after');
    await log.close();
    expect(await files()).toEqual(['meta-00000000000000000001.log', 'meta-00000000000000000001.snapshot']);
    ({ values, log } = await replayAll());
    expect(values).toEqual(['after']);
    await log.close();
  });

  /** The error lines a logger kept, parsed. */
  const errorsOf = (logger: { warnings: string[] }) => logger.warnings.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === 50);

  it('a damaged snapshot with no older one is set aside, never removed, and the records after it are replayed', async () => {
    const log = await openStateLog(tmp, { name: 'meta' });
    await log.append('lost');
    await log.writeSnapshot({ topics: ['a', 'b', 'c'] });
    await log.append('kept 1');
    await log.append('kept 2');
    await log.close();
    const snap = path.join(tmp, 'meta-00000000000000000001.snapshot');
    const bytes = await readFile(snap);
    bytes[bytes.length - 1] ^= 0x01;
    await writeFile(snap, bytes);

    const logger = quietLogger();
    const again = await openStateLog(tmp, { name: 'meta', logger });
    expect(await collect(again)).toEqual([
      { kind: 'record', value: 'kept 1' },
      { kind: 'record', value: 'kept 2' },
    ]);
    const copy = `${snap}.damaged-0`;
    expect(again.damage).toEqual([
      { kind: 'snapshot', file: snap, generation: 1, position: 0, bytes: bytes.length, problem: expect.stringMatching(/failing its CRC/), copy, stateLost: true, torn: false },
      expect.objectContaining({ kind: 'missing', generation: 0, stateLost: true }),
    ]);
    const [line] = errorsOf(logger);
    expect(line).toMatchObject({ file: snap, position: 0, bytes: bytes.length, copy, stateLost: true });
    expect(line.msg).toMatch(new RegExp(`snapshot ${snap} has a frame failing its CRC .*\\(${bytes.length} bytes from byte 0\\); it is set aside as ${copy}.*the logs of generation 0 are missing`));
    // Kept byte for byte; the log goes on.
    expect(await readFile(copy)).toEqual(bytes);
    await again.append('after');
    await again.writeSnapshot({ rebuilt: true });
    await again.close();
    expect(await files()).toEqual(['meta-00000000000000000001.snapshot.damaged-0', 'meta-00000000000000000002.log', 'meta-00000000000000000002.snapshot']);
    const third = await openStateLog(tmp, { name: 'meta' });
    expect(await collect(third)).toEqual([{ kind: 'snapshot', value: { rebuilt: true } }]);
    expect(third.damage).toEqual([]);
    await third.close();
  });

  it('a snapshot cut short is reported where it ends', async () => {
    const log = await openStateLog(tmp, { name: 'meta' });
    await log.writeSnapshot({ topics: 'x'.repeat(100) });
    await log.close();
    const snap = path.join(tmp, 'meta-00000000000000000001.snapshot');
    const size = (await stat(snap)).size;
    await truncate(snap, size - 10);
    const logger = quietLogger();
    const again = await openStateLog(tmp, { name: 'meta', logger });
    expect(await collect(again)).toEqual([]);
    expect(again.damage[0]).toMatchObject({ kind: 'snapshot', position: 0, bytes: size - 10, problem: expect.stringMatching(new RegExp(`torn frame .*cut short at byte ${size - 10}`)), stateLost: true });
    expect(errorsOf(logger)[0].msg).toMatch(new RegExp(`snapshot ${snap} has a torn frame`));
    await again.close();
  });

  it('with a damaged snapshot, an older snapshot and every log since rebuild the whole state', async () => {
    await crashBeforeSecondSnapshot();
    // As if generation 2's snapshot had been written, then damaged: the older files are still there.
    await writeFile(path.join(tmp, 'meta-00000000000000000002.snapshot'), Buffer.from('garbage where a snapshot was'));
    const logger = quietLogger();
    const { values, log } = await replayAll(logger);
    expect(values).toEqual(['b1', 'b2', 'c']);
    expect(log.damage).toEqual([expect.objectContaining({ kind: 'snapshot', generation: 2, stateLost: false })]);
    expect(errorsOf(logger)[0].msg).toMatch(/set aside as .*meta-00000000000000000002\.snapshot\.damaged-0, and the state is rebuilt whole from the older snapshot meta-00000000000000000001\.snapshot and the logs since/);
    await log.close();
    expect(await files()).toEqual([
      'meta-00000000000000000001.log',
      'meta-00000000000000000001.snapshot',
      'meta-00000000000000000002.log',
      'meta-00000000000000000002.snapshot.damaged-0',
    ]);
  });

  it('stray bytes after an intact snapshot are cut and kept, and the snapshot is used', async () => {
    const log = await openStateLog(tmp, { name: 'meta' });
    await log.writeSnapshot({ topics: ['a'] });
    await log.close();
    const snap = path.join(tmp, 'meta-00000000000000000001.snapshot');
    const size = (await stat(snap)).size;
    await appendFile(snap, Buffer.from('junk'));
    const logger = quietLogger();
    const again = await openStateLog(tmp, { name: 'meta', logger });
    expect(await collect(again)).toEqual([{ kind: 'snapshot', value: { topics: ['a'] } }]);
    expect(again.damage).toEqual([
      { kind: 'snapshot', file: snap, generation: 1, position: size, bytes: 4, problem: '4 stray bytes after its frame', copy: `${snap}.damaged-${size}`, stateLost: false, torn: false },
    ]);
    expect(errorsOf(logger)[0].msg).toContain(`at byte ${size}: cutting 4 bytes there`);
    expect((await readFile(`${snap}.damaged-${size}`)).toString()).toBe('junk');
    expect((await stat(snap)).size).toBe(size);
    await again.close();
  });

  it('with fsync, group-commits concurrent appends and keeps them all', async () => {
    const log = await openStateLog(tmp, { name: 'meta', fsync: true });
    await Promise.all(Array.from({ length: 300 }, (_, i) => log.append({ i, text: `record ${i}` })));
    await log.flush();
    await log.close();
    expect(await replayedValues()).toEqual(expected(300));
  });

  const writer = fileURLToPath(new URL('./fixtures/state-log-writer.ts', import.meta.url));

  /** Starts the writer, kills it with SIGKILL after `killAfter` acks; returns the ids it acknowledged. */
  function runWriterUntilKilled(killAfter: number, fsync: boolean): Promise<{ start: number; acked: number[] }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', writer], {
        env: { ...process.env, STATE_LOG_CRASH_DIR: tmp, STATE_LOG_CRASH_FSYNC: fsync ? '1' : '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      let start = -1;
      const acked: number[] = [];
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        const lines = out.split('\n');
        out = lines.pop()!;
        for (const line of lines) {
          const [word, n] = line.split(' ');
          if (word === 'start') start = Number(n);
          else if (word === 'ack') acked.push(Number(n));
        }
        if (acked.length >= killAfter && child.exitCode === null) child.kill('SIGKILL');
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        if (signal === 'SIGKILL') resolve({ start, acked });
        else reject(new Error(`writer exited with ${code}: ${err}`));
      });
    });
  }

  it.each([false, true])('replays every acknowledged record after SIGKILL, over several runs (fsync %s)', async (fsync) => {
    let everAcked = -1;
    for (let run = 0; run < 4; run++) {
      const killAfter = 50 + Math.floor(Math.random() * 700);
      const { start, acked } = await runWriterUntilKilled(killAfter, fsync);
      // Each run resumes exactly where the replay of the previous crash left off.
      expect(start).toBeGreaterThan(everAcked);
      expect(acked.length).toBeGreaterThanOrEqual(killAfter);
      everAcked = Math.max(everAcked, ...acked);

      const logger = quietLogger();
      const log = await openStateLog(tmp, { name: 'crash', logger });
      let next = 0;
      for await (const entry of log.replay()) {
        if (entry.kind === 'snapshot') {
          next = (entry.value as { next: number }).next;
        } else {
          // No gap, no duplicate, no damaged content.
          expect(entry.value).toEqual(crashRecord(next));
          next = (entry.value as CrashRecord).id + 1;
        }
      }
      expect(next).toBeGreaterThan(everAcked);
      await log.close();
    }
  }, 60_000);
});
