/**
 * Crash recovery of the disk log.
 *
 * - kill -9: a child process (fixtures/append-child.ts) appends continuously, several appends in
 *   flight, batches up to ~200 KiB so that kills land inside writes, segments rolling every MiB; it
 *   prints every acknowledged batch. It is killed with SIGKILL at a random moment, the log is
 *   recovered, and then: every acknowledged batch is present byte for byte (its CRC32C over the
 *   whole stored batch matches), offsets run without a gap from the log start to the log end, and
 *   no read returns a torn batch. The same directory is crashed again and again (the next child
 *   recovers what the previous one left), in two directories at once.
 * - damaged files: a tail overwritten with garbage, a torn last batch, zeros after the data (what a
 *   power loss can leave), a truncated index, a missing index, an index pointing past the log.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { appendFile, open, readdir, readFile, rm, rmdir, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32c } from '../../src/protocol/records/crc32c.js';
import { RecordBatchView } from '../../src/protocol/records/record-batch.js';
import { DiskPartitionLog, openDiskPartitionLog } from '../../src/storage/disk-partition-log.js';
import type { LogConfig } from '../../src/storage/types.js';
import { CRASH_LOG_CONFIG } from './fixtures/append-child.js';
import { batch, config, decode, tempDir } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const child = join(here, 'fixtures', 'append-child.ts');
const root = join(here, '..', '..');
/**
 * The child is bundled once with esbuild (a dependency of tsx) so that each of the 20 runs starts in
 * about 0.15 s instead of tsx's 0.5 s. The bundle sits under node_modules/.cache so that its bare
 * imports (native addons) resolve; without esbuild the child runs through tsx.
 */
const bundle = join(root, 'node_modules', '.cache', 'gregor-tests', `append-child-${process.pid}.mjs`);
let childArgs: string[] = ['--import', 'tsx', child];

beforeAll(async () => {
  const esbuild = join(root, 'node_modules', '.bin', 'esbuild');
  const ok = await new Promise<boolean>((resolve) => {
    const p = spawn(esbuild, [child, '--bundle', '--platform=node', '--format=esm', '--packages=external', '--log-level=error', `--outfile=${bundle}`], {
      cwd: root,
      stdio: 'ignore',
    });
    p.on('error', () => { resolve(false); });
    p.on('exit', (code) => { resolve(code === 0); });
  });
  if (ok) childArgs = [bundle];
});
afterAll(async () => {
  await rm(bundle, { force: true });
  await rmdir(dirname(bundle)).catch(() => undefined); // only when no other run is using it
});

interface Ack {
  base: bigint;
  last: bigint;
  crc: number;
}

/** Runs the child on `dir` and kills it `killAfterMs` after it has opened the log. */
function crashRun(dir: string, seed: number, killAfterMs: number): Promise<{ acks: Ack[]; opened: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...childArgs, dir, String(seed)], {
      cwd: root,
      env: { ...process.env, GREGOR_APPEND_CHILD: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | null = null;
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (timer === null && out.includes('\n')) timer = setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
    });
    proc.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const guard = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    proc.on('error', reject);
    proc.on('exit', (_code, signal) => {
      clearTimeout(guard);
      if (timer !== null) clearTimeout(timer);
      const lines = out.split('\n');
      const opened = lines[0] ?? '';
      if (signal !== 'SIGKILL' || !opened.startsWith('open ')) {
        reject(new Error(`child ended with ${signal ?? 'exit'} before being killed: ${err || out.slice(0, 500)}`));
        return;
      }
      // The line being written when the kill came may be cut: only whole lines count.
      const acks = lines
        .slice(1, -1)
        .filter((l) => l.startsWith('ack '))
        .map((l) => {
          const [, base, last, crc] = l.split(' ');
          return { base: BigInt(base), last: BigInt(last), crc: Number(crc) };
        });
      resolve({ acks, opened });
    });
  });
}

/**
 * Reads the whole log: every batch whole and valid, offsets contiguous. Returns crc32c by base
 * offset and the problems found (checked with one expect: thousands of expects are slow).
 */
async function scanAll(log: DiskPartitionLog): Promise<Map<bigint, { last: bigint; crc: number }>> {
  const seen = new Map<bigint, { last: bigint; crc: number }>();
  const problems: string[] = [];
  let offset = log.logStartOffset;
  let expectedBase: bigint | null = null;
  while (offset < log.logEndOffset && problems.length === 0) {
    const r = await log.read(offset, { maxBytes: 256 * 1024 });
    if (r.records.length === 0) problems.push(`nothing read at ${offset}`);
    for (const b of r.records) {
      const v = new RecordBatchView(b); // checks magic and that the length matches: never a torn batch
      if (!v.verifyCrc()) problems.push(`bad CRC at ${v.baseOffset}`);
      if (expectedBase !== null && v.baseOffset !== expectedBase) problems.push(`gap: ${v.baseOffset} after ${expectedBase}`);
      expectedBase = v.lastOffset + 1n;
      seen.set(v.baseOffset, { last: v.lastOffset, crc: crc32c(b) });
    }
    if (expectedBase !== null) offset = expectedBase;
  }
  expect(problems).toEqual([]);
  expect(offset).toBe(log.logEndOffset);
  return seen;
}

async function verifyAcks(dir: string, acks: Ack[], cfg: LogConfig = CRASH_LOG_CONFIG): Promise<{ end: bigint; truncated: number }> {
  const log = await openDiskPartitionLog(dir, 'crash', 0, cfg, { cleanShutdown: false, batchCache: null });
  try {
    const all = await scanAll(log);
    const missing: string[] = [];
    for (const a of acks) {
      const stored = all.get(a.base);
      if (stored === undefined || stored.last !== a.last || stored.crc !== a.crc) missing.push(`${a.base}-${a.last}`);
    }
    // Some acknowledged batches are also looked up by a direct read at their offset.
    for (const a of acks.filter((_, i) => i % 17 === 0)) {
      const r = await log.read(a.base, { maxBytes: 1 });
      if (crc32c(r.records[0]) !== a.crc) missing.push(`read ${a.base}`);
    }
    expect(missing).toEqual([]);
    return { end: log.logEndOffset, truncated: log.recovery?.truncatedBytes ?? 0 };
  } finally {
    await log.close();
  }
}

describe('recovery after kill -9 during appends', () => {
  const dirs: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const d of dirs) await d();
  });

  it('keeps every acknowledged batch and never serves a torn one (2 x 10 crashes)', async () => {
    const runsPerLane = 10;
    let totalAcks = 0;
    let torn = 0;
    let tornByKill = 0;
    const lane = async (laneNo: number): Promise<void> => {
      const d = await tempDir('gregor-crash-');
      dirs.push(d.remove);
      const dir = join(d.path, 'crash-0');
      let acked: Ack[] = [];
      let lastEnd = 0n;
      for (let run = 0; run < runsPerLane; run++) {
        const seed = laneNo * 1000 + run + 1;
        const killAfter = 20 + ((seed * 7919) % 180);
        const { acks, opened } = await crashRun(dir, seed, killAfter);
        // The child recovered at least everything acknowledged before.
        expect(BigInt(opened.split(' ')[2])).toBeGreaterThanOrEqual(lastEnd);
        acked = acked.concat(acks);
        totalAcks += acks.length;
        // A kill inside a write leaves a prefix of the batches being written. SIGKILL rarely
        // manages that on Linux (a write to the page cache mostly completes), so every other run
        // leaves one by hand: a random prefix of a real batch after the last complete one.
        let tornBytes = 0;
        if (run % 2 === 1) {
          const active = (await readdir(dir)).filter((f) => f.endsWith('.log')).sort().at(-1)!;
          const next = batch([`torn-${seed}-${'y'.repeat(seed % 5000)}`], 1);
          tornBytes = 1 + ((seed * 104729) % (next.length - 1));
          await appendFile(join(dir, active), next.subarray(0, tornBytes));
        }
        const { end, truncated } = await verifyAcks(dir, acked);
        // At least the prefix left by hand is cut; more when the kill itself tore a write.
        expect(truncated).toBeGreaterThanOrEqual(tornBytes);
        if (truncated > tornBytes) tornByKill++;
        if (truncated > 0) torn++;
        const maxAcked = acks.reduce((m, a) => (a.last + 1n > m ? a.last + 1n : m), lastEnd);
        expect(end).toBeGreaterThanOrEqual(maxAcked);
        lastEnd = end;
      }
    };
    await Promise.all([lane(1), lane(2)]);
    expect(totalAcks).toBeGreaterThan(100);
    expect(torn).toBeGreaterThanOrEqual(runsPerLane);
    // Torn tails happen when a kill lands inside a write; report how often (not asserted: timing).
    process.stdout.write(`crash runs: ${2 * runsPerLane}, acknowledged batches: ${totalAcks}, torn tails cut: ${torn} (${tornByKill} torn by the kill itself)\n`);
  }, 60_000);
});

describe('recovery of damaged files', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  const cfg = config({ segmentBytes: 4000, indexIntervalBytes: 200, segmentIndexBytes: 1024 });

  /** A closed log of 60 batches in several segments; returns its dir and the segment files. */
  async function makeLog(): Promise<{ dir: string; logs: string[]; expected: string[] }> {
    const d = await tempDir('gregor-damage-');
    cleanups.push(d.remove);
    const dir = join(d.path, 'crash-0');
    const log = await openDiskPartitionLog(dir, 'crash', 0, cfg, { cleanShutdown: true, batchCache: null });
    const expected: string[] = [];
    for (let i = 0; i < 60; i++) {
      const values = [`a${i}-${'x'.repeat(i * 3)}`, `b${i}`];
      expected.push(...values);
      await log.append(batch(values, 5000 + i), { leaderEpoch: 0 });
    }
    await log.close();
    const logs = (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
    expect(logs.length).toBeGreaterThan(2);
    return { dir, logs, expected };
  }

  async function reopen(dir: string, cleanShutdown: boolean): Promise<DiskPartitionLog> {
    const log = await openDiskPartitionLog(dir, 'crash', 0, cfg, { cleanShutdown, batchCache: null });
    cleanups.push(() => log.close().catch(() => undefined));
    return log;
  }

  async function values(log: DiskPartitionLog): Promise<string[]> {
    await scanAll(log);
    return decode((await log.read(log.logStartOffset, { maxBytes: 1 << 24 })).records).map((r) => r.value!);
  }

  for (const clean of [false, true]) {
    it(`cuts a tail overwritten with garbage (cleanShutdown: ${clean})`, async () => {
      const { dir, logs, expected } = await makeLog();
      const active = join(dir, logs.at(-1)!);
      const size = (await stat(active)).size;
      const fh = await open(active, 'r+');
      await fh.write(Buffer.alloc(25, 0x5a), 0, 25, size - 25); // inside the last batch: CRC fails
      await fh.close();
      await appendFile(active, Buffer.from('garbage that is not a batch at all'));
      const log = await reopen(dir, clean);
      expect(log.recovery).not.toBeNull();
      expect(log.recovery!.stop).toBe('bad crc');
      expect(log.logEndOffset).toBe(118n);
      expect(await values(log)).toEqual(expected.slice(0, 118));
      expect((await stat(active)).size).toBeLessThan(size);
      expect((await log.append(batch(['after']), { leaderEpoch: 0 })).baseOffset).toBe(118n);
    });
  }

  it('cuts a torn last batch and zeros after the data', async () => {
    const { dir, logs, expected } = await makeLog();
    const active = join(dir, logs.at(-1)!);
    const size = (await stat(active)).size;
    await truncate(active, size - 10);
    await appendFile(active, Buffer.alloc(5000));
    const log = await reopen(dir, false);
    const lastBatch = batch([`a59-${'x'.repeat(59 * 3)}`, 'b59'], 5059).length;
    // The torn batch's length field reaches into the zeros: the batch is "whole" but fails its CRC.
    expect(log.recovery).toMatchObject({ stop: 'bad crc', truncatedBytes: lastBatch - 10 + 5000 });
    expect(log.logEndOffset).toBe(118n);
    expect(await values(log)).toEqual(expected.slice(0, 118));
  });

  it('rebuilds a truncated active index (clean shutdown) and serves the same data', async () => {
    const { dir, logs, expected } = await makeLog();
    const index = join(dir, logs.at(-1)!.replace('.log', '.index'));
    await truncate(index, 5);
    const log = await reopen(dir, true);
    expect(log.recovery).not.toBeNull();
    expect(await values(log)).toEqual(expected);
    await log.close();
    expect((await stat(index)).size % 8).toBe(0);
    expect((await stat(index)).size).toBeGreaterThan(0);
  });

  it('rebuilds a truncated index of a sealed segment when it is first used', async () => {
    const { dir, logs, expected } = await makeLog();
    const index = join(dir, logs[1].replace('.log', '.index'));
    const good = await readFile(index);
    await truncate(index, 11);
    const log = await reopen(dir, true);
    expect(log.recovery).toBeNull();
    const inside = BigInt(logs[1].slice(0, 20)) + 3n;
    expect(decode((await log.read(inside, { maxBytes: 1 })).records)[0].offset).toBeLessThanOrEqual(inside);
    expect((await readFile(index)).equals(good)).toBe(true);
    expect(await values(log)).toEqual(expected);
  });

  it('rebuilds missing indexes: sealed at open, active by recovery', async () => {
    const { dir, logs, expected } = await makeLog();
    const sealedBase = BigInt(logs[1].slice(0, 20));
    const good = await readFile(join(dir, logs[1].replace('.log', '.index')));
    const goodTime = await readFile(join(dir, logs[1].replace('.log', '.timeindex')));
    await unlink(join(dir, logs[1].replace('.log', '.index')));
    await unlink(join(dir, logs[1].replace('.log', '.timeindex')));
    await unlink(join(dir, logs.at(-1)!.replace('.log', '.timeindex')));
    const log = await reopen(dir, true);
    expect(log.rebuiltIndexes).toEqual([sealedBase]);
    expect(log.recovery).not.toBeNull();
    expect((await readFile(join(dir, logs[1].replace('.log', '.index')))).equals(good)).toBe(true);
    expect((await readFile(join(dir, logs[1].replace('.log', '.timeindex')))).equals(goodTime)).toBe(true);
    expect(await values(log)).toEqual(expected);
    expect(await log.offsetForTimestamp(5030n)).toEqual({ offset: 60n, timestamp: 5030n });
  });

  it('rebuilds an index whose last entry points past the end of the log', async () => {
    const { dir, logs, expected } = await makeLog();
    const sealedIndex = join(dir, logs[0].replace('.log', '.index'));
    const good = await readFile(sealedIndex);
    for (const name of [logs[0], logs.at(-1)!]) {
      const index = join(dir, name.replace('.log', '.index'));
      const entry = Buffer.alloc(8);
      entry.writeInt32BE(0x7ffffff0, 0);
      entry.writeInt32BE(0x7ffffff0, 4);
      await appendFile(index, entry);
    }
    const log = await reopen(dir, true);
    expect(log.recovery).not.toBeNull();
    expect(await values(log)).toEqual(expected);
    expect((await readFile(sealedIndex)).equals(good)).toBe(true);
  });

  it('removes .deleted leftovers and orphan indexes, and keeps the log start offset', async () => {
    const { dir, expected } = await makeLog();
    const log = await reopen(dir, true);
    await log.deleteRecordsBefore(50n);
    await log.close();
    await writeFile(join(dir, '00000000000000999999.index'), Buffer.alloc(8));
    await writeFile(join(dir, '00000000000000000000.log.deleted'), Buffer.alloc(8));
    const again = await reopen(dir, false);
    const files = await readdir(dir);
    expect(files.some((f) => f.endsWith('.deleted'))).toBe(false);
    expect(files).not.toContain('00000000000000999999.index');
    expect(again.logStartOffset).toBe(50n);
    expect(await values(again)).toEqual(expected.slice(50));
  });
});

