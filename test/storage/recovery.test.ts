import { afterEach, describe, expect, it } from '@jest/globals';
import { appendFile, readdir, stat } from 'node:fs/promises';
import { pino } from 'pino';
import { join } from 'node:path';
import { openDiskPartitionLog } from '../../src/storage/disk-partition-log.js';
import { loadLog } from '../../src/storage/recovery.js';
import { openStorageFile, writeLogStartOffset, type OpenFile } from '../../src/storage/segment-files.js';
import { batch, config, sizedBatch, tempDir } from './helpers.js';

/** Opens files through a wrapper that counts the bytes read from .log files. */
function countingOpen(): { open: OpenFile; logBytesRead: () => number } {
  let n = 0;
  const open: OpenFile = async (path, flags) => {
    const f = await openStorageFile(path, flags);
    if (!path.endsWith('.log')) return f;
    return {
      read: async (b, o, l, p) => {
        const r = await f.read(b, o, l, p);
        n += r.bytesRead;
        return r;
      },
      write: (b, o, l, p) => f.write(b, o, l, p),
      writev: (bs, p) => f.writev(bs, p),
      truncate: (l) => f.truncate(l),
      sync: () => f.sync(),
      stat: () => f.stat(),
      close: () => f.close(),
    };
  };
  return { open, logBytesRead: () => n };
}

describe('loadLog', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  const cfg = config({ segmentBytes: 64 * 1024, indexIntervalBytes: 4096 });

  async function filledLog(): Promise<string> {
    const d = await tempDir();
    cleanups.push(d.remove);
    const dir = join(d.path, 'p-0');
    const log = await openDiskPartitionLog(dir, 'p', 0, cfg, { cleanShutdown: true, batchCache: null });
    for (let i = 0; i < 100; i++) await log.append(sizedBatch(2000, 1000 + i), { leaderEpoch: 0 });
    await log.close();
    return dir;
  }

  it('creates the directory and an empty first segment', async () => {
    const d = await tempDir();
    cleanups.push(d.remove);
    const dir = join(d.path, 'new-0');
    const loaded = await loadLog(dir, cfg, { cleanShutdown: true, openFile: openStorageFile, nowMs: 0 });
    expect(loaded.segments.map((s) => s.baseOffset)).toEqual([0n]);
    expect([loaded.logStartOffset, loaded.logEndOffset]).toEqual([0n, 0n]);
    expect((await readdir(dir)).sort()).toEqual(['00000000000000000000.index', '00000000000000000000.log', '00000000000000000000.timeindex']);
    await loaded.segments[0].closeHandle();
  });

  it('starts an empty directory at its persisted log start offset', async () => {
    const d = await tempDir();
    cleanups.push(d.remove);
    await writeLogStartOffset(d.path, 500n);
    const loaded = await loadLog(d.path, cfg, { cleanShutdown: false, openFile: openStorageFile, nowMs: 0 });
    expect([loaded.logStartOffset, loaded.logEndOffset]).toEqual([500n, 500n]);
    await loaded.segments[0].closeHandle();
  });

  it('after a clean shutdown reads only the tail of the active segment, nothing of the sealed ones', async () => {
    const dir = await filledLog();
    const counter = countingOpen();
    const log = await openDiskPartitionLog(dir, 'p', 0, cfg, { cleanShutdown: true, batchCache: null, openFile: counter.open });
    cleanups.push(() => log.close());
    expect(log.recovery).toBeNull();
    expect(log.logEndOffset).toBe(100n);
    expect(log.segmentCount).toBeGreaterThan(3);
    // At most one index interval plus a batch, plus the first batch header.
    expect(counter.logBytesRead()).toBeLessThan(4096 + 2 * 2100);
  });

  it('after a crash scans the active segment only', async () => {
    const dir = await filledLog();
    const counter = countingOpen();
    const log = await openDiskPartitionLog(dir, 'p', 0, cfg, { cleanShutdown: false, batchCache: null, openFile: counter.open });
    cleanups.push(() => log.close());
    const files = (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
    const activeSize = (await stat(join(dir, files.at(-1)!))).size;
    expect(log.recovery).toMatchObject({ truncatedBytes: 0, stop: 'end', nextOffset: 100n });
    expect(counter.logBytesRead()).toBe(activeSize);
  });

  it('logs what a crash recovery cuts: a torn last batch names the offsets it would have held', async () => {
    const dir = await filledLog();
    const files = (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
    const active = join(dir, files.at(-1)!);
    const size = (await stat(active)).size;
    const torn = batch(['x', 'y', 'z'], 5000);
    torn.writeBigInt64BE(100n, 0); // where the append would have put it
    await appendFile(active, torn.subarray(0, torn.length - 7));
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const log = await openDiskPartitionLog(dir, 'p', 0, cfg, { cleanShutdown: false, batchCache: null, logger });
    cleanups.push(() => log.close());
    expect(log.logEndOffset).toBe(100n);
    expect(log.recovered).toEqual({ segments: 1, truncatedBytes: torn.length - 7 });
    const cuts = lines.filter((l) => String(l.msg).startsWith('recovery cut'));
    expect(cuts).toEqual([
      expect.objectContaining({ level: 40, file: active, position: size, bytes: torn.length - 7, reason: 'truncated', droppedOffsets: '100-102', why: 'unclean shutdown' }),
    ]);
    expect(cuts[0].keptOffsets).toMatch(/^\d+-99$/);
  });

  it('a crash recovery that cuts nothing says so at debug level only', async () => {
    const dir = await filledLog();
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const log = await openDiskPartitionLog(dir, 'p', 0, cfg, { cleanShutdown: false, batchCache: null, logger });
    cleanups.push(() => log.close());
    expect(lines.map((l) => [l.level, l.msg])).toEqual([[20, 'recovered a segment: every batch is valid']]);
  });

  it('keeps the log start offset between the first segment and the log end', async () => {
    const dir = await filledLog();
    await writeLogStartOffset(dir, 1_000_000n);
    let log = await openDiskPartitionLog(dir, 'p', 0, cfg, { cleanShutdown: true, batchCache: null });
    expect(log.logStartOffset).toBe(100n);
    await log.close();
    await writeLogStartOffset(dir, 0n);
    log = await openDiskPartitionLog(dir, 'p', 0, cfg, { cleanShutdown: true, batchCache: null });
    cleanups.push(() => log.close());
    await log.applyRetention(Number.MAX_SAFE_INTEGER);
    expect(log.logStartOffset).toBeGreaterThan(0n);
  });

  it('opens a truncated-to-empty active segment and continues at its base offset', async () => {
    const d = await tempDir();
    cleanups.push(d.remove);
    const dir = join(d.path, 'p-0');
    let log = await openDiskPartitionLog(dir, 'p', 0, cfg, { cleanShutdown: true, batchCache: null });
    await log.append(batch(['a', 'b', 'c']), { leaderEpoch: 0 });
    await log.roll();
    await log.close();
    log = await openDiskPartitionLog(dir, 'p', 0, cfg, { cleanShutdown: false, batchCache: null });
    cleanups.push(() => log.close());
    expect(log.segmentBaseOffsets()).toEqual([0n, 3n]);
    expect(log.logEndOffset).toBe(3n);
    expect((await log.append(batch(['d']), { leaderEpoch: 0 })).baseOffset).toBe(3n);
  });
});
