import { afterEach, describe, expect, it } from '@jest/globals';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BatchCache } from '../../src/storage/batch-cache.js';
import { DiskPartitionLog, openDiskPartitionLog, type DiskPartitionLogOptions } from '../../src/storage/disk-partition-log.js';
import { openStorageFile, type OpenFile, type StorageFile } from '../../src/storage/segment-files.js';
import { SyncWritePolicy, THREAD_POOL_ONLY } from '../../src/storage/sync-write-policy.js';
import { StorageError, type LogConfig, type PartitionLog } from '../../src/storage/types.js';
import { bases, batch, config, decode, sizedBatch, tempDir, TestClock } from './helpers.js';
import { partitionLogBehaviour } from './partition-log.behaviour.js';

/** Waits for a timer-driven effect without betting on how late a busy machine runs the timer. */
async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 30_000; !(await check()); ) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function diskFactory(cache: () => BatchCache | null) {
  const dirs: { remove: () => Promise<void> }[] = [];
  return {
    open: async (cfg: LogConfig, clock: () => number) => {
      const d = await tempDir();
      dirs.push(d);
      return openDiskPartitionLog(join(d.path, 't-0'), 't', 0, cfg, { cleanShutdown: true, clock, batchCache: cache() });
    },
    reopen: async (log: PartitionLog, cfg: LogConfig, clock: () => number) => {
      if (!(log instanceof DiskPartitionLog)) throw new Error('the disk suite reopens only disk logs');
      await log.close();
      return openDiskPartitionLog(log.dir, 't', 0, cfg, { cleanShutdown: true, clock, batchCache: cache() });
    },
    cleanup: async () => {
      for (const d of dirs.splice(0)) await d.remove();
    },
  };
}

// Reads served from disk only, and with the tail cache in front.
partitionLogBehaviour('DiskPartitionLog', diskFactory(() => null));
partitionLogBehaviour('DiskPartitionLog with a batch cache', diskFactory(() => new BatchCache(1 << 20)));

/**
 * Wraps real file handles; `fail` decides which calls throw which errno. With `syncWrites` the
 * handles also write synchronously (the path small appends take), otherwise only through the
 * thread pool.
 */
class FaultyFiles {
  constructor(private readonly syncWrites = true) {}
  fail: ((op: string, path: string) => string | null) | null = null;
  /** Writes only this many bytes before failing (a torn write), when set. */
  partialBytes: number | null = null;
  readonly open: OpenFile = async (path, flags) => {
    const maybeFail = (op: string): void => {
      const code = this.fail?.(op, path) ?? null;
      if (code !== null) throw Object.assign(new Error(`injected ${code} on ${op}`), { code });
    };
    maybeFail('open');
    const inner = await openStorageFile(path, flags);
    const tear = async (buffers: Buffer[], position: number): Promise<void> => {
      if (this.partialBytes !== null) {
        const all = Buffer.concat(buffers).subarray(0, this.partialBytes);
        await inner.write(all, 0, all.length, position);
      }
    };
    const file: StorageFile = {
      read: (b, o, l, p) => (maybeFail('read'), inner.read(b, o, l, p)),
      write: async (b, o, l, p) => {
        try {
          maybeFail('write');
        } catch (e) {
          await tear([b.subarray(o, o + l)], p);
          throw e;
        }
        return inner.write(b, o, l, p);
      },
      writev: async (bs, p) => {
        try {
          maybeFail('write');
        } catch (e) {
          await tear(bs, p);
          throw e;
        }
        return inner.writev(bs, p);
      },
      truncate: async (l) => (maybeFail('truncate'), inner.truncate(l)),
      sync: async () => (maybeFail('sync'), inner.sync()),
      stat: () => inner.stat(),
      close: () => inner.close(),
    };
    if (this.syncWrites) {
      file.writevSync = (bs, p) => {
        try {
          maybeFail('write');
        } catch (e) {
          if (this.partialBytes !== null) inner.writevSync!([Buffer.concat(bs).subarray(0, this.partialBytes)], p);
          throw e;
        }
        return inner.writevSync!(bs, p);
      };
    }
    return file;
  };
}

describe('DiskPartitionLog', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  async function openLog(cfg: Partial<LogConfig> = {}, options: Partial<DiskPartitionLogOptions> = {}): Promise<DiskPartitionLog> {
    const d = await tempDir();
    cleanups.push(d.remove);
    const log = await openDiskPartitionLog(join(d.path, 'topic-3'), 'topic', 3, config(cfg), { cleanShutdown: true, batchCache: null, ...options });
    cleanups.push(() => log.close().catch(() => undefined));
    return log;
  }

  it("writes Kafka's layout: 20-digit segment names, .log/.index/.timeindex, batches as stored", async () => {
    const log = await openLog({ segmentBytes: 300, indexIntervalBytes: 1 });
    for (let i = 0; i < 10; i++) await log.append(batch([`v${i}`], 1000 + i), { leaderEpoch: 4 });
    await log.close();
    const files = (await readdir(log.dir)).sort();
    expect(files).toContain('00000000000000000000.log');
    expect(files).toContain('00000000000000000000.index');
    expect(files).toContain('00000000000000000000.timeindex');
    const second = files.find((f) => f.endsWith('.log') && f !== '00000000000000000000.log')!;
    expect(second).toMatch(/^\d{20}\.log$/);
    const first = await readFile(join(log.dir, '00000000000000000000.log'));
    // The file is the batches back to back, with offsets and the leader epoch written in.
    expect(bases(splitAll(first))).toEqual(Array.from({ length: Number(BigInt(second.slice(0, 20))) }, (_, i) => BigInt(i)));
    expect(first.readInt32BE(12)).toBe(4);
    // Indexes are trimmed to their entries on close: 8 and 12 bytes each.
    const index = await readFile(join(log.dir, '00000000000000000000.index'));
    const timeIndex = await readFile(join(log.dir, '00000000000000000000.timeindex'));
    expect(index.length % 8).toBe(0);
    expect(index.length).toBeGreaterThan(0);
    expect(timeIndex.length % 12).toBe(0);
    expect(index.readInt32BE(0)).toBe(1); // the first batch gets no entry; the second is relative offset 1
    expect(index.readInt32BE(4)).toBe(batch(['v0'], 1000).length);
  });

  it('preallocates the active index files and trims them on close', async () => {
    const log = await openLog({ segmentIndexBytes: 8000 });
    await log.append(batch(['a']), { leaderEpoch: 0 });
    expect((await stat(join(log.dir, '00000000000000000000.index'))).size).toBe(8000);
    expect((await stat(join(log.dir, '00000000000000000000.timeindex'))).size).toBe(7992);
    await log.close();
    expect((await stat(join(log.dir, '00000000000000000000.index'))).size).toBe(0);
  });

  it('persists the log start offset in a file of its own', async () => {
    const log = await openLog();
    await log.append(batch(['a', 'b', 'c']), { leaderEpoch: 0 });
    await log.deleteRecordsBefore(2n);
    expect(await readFile(join(log.dir, 'log-start-offset'), 'utf8')).toBe('0\n2\n');
  });

  it('renames deleted segments to .deleted and removes them after file.delete.delay.ms', async () => {
    const log = await openLog({ segmentBytes: 100, fileDeleteDelayMs: 30 });
    for (let i = 0; i < 3; i++) await log.append(batch([`v${i}`]), { leaderEpoch: 0 });
    await log.deleteRecordsBefore(2n);
    const files = await readdir(log.dir);
    expect(files).toContain('00000000000000000000.log.deleted');
    expect(files).not.toContain('00000000000000000000.log');
    await until(async () => (await readdir(log.dir)).every((f) => !f.endsWith('.deleted')));
    expect((await readdir(log.dir)).filter((f) => f.endsWith('.deleted'))).toEqual([]);
  });

  it('serves tail reads from the batch cache and falls back to disk below it', async () => {
    const cache = new BatchCache(3 * sizedBatch(100).length);
    const log = await openLog({}, { batchCache: cache });
    for (let i = 0; i < 6; i++) await log.append(sizedBatch(100, 1000, 0x61 + i), { leaderEpoch: 0 });
    expect(cache.size).toBe(3 * sizedBatch(100).length);
    const tail = await log.read(4n, { maxBytes: 1 << 20 });
    const head = await log.read(0n, { maxBytes: 1 << 20 });
    expect(bases(tail.records)).toEqual([4n, 5n]);
    expect(bases(head.records)).toEqual([0n, 1n, 2n, 3n, 4n, 5n]);
    expect(Buffer.concat(head.records.slice(4)).equals(Buffer.concat(tail.records))).toBe(true);
    await log.truncateTo(5n);
    expect(bases((await log.read(4n, { maxBytes: 1 << 20 })).records)).toEqual([4n]);
    await log.close();
    expect(cache.size).toBe(0);
  });

  it('writes small appends synchronously until one is slow, then through the thread pool', async () => {
    const paths: string[] = [];
    const open: OpenFile = async (path, flags) => {
      const inner = await openStorageFile(path, flags);
      if (!path.endsWith('.log')) return inner;
      return {
        read: (b, o, l, p) => inner.read(b, o, l, p),
        write: (b, o, l, p) => (paths.push('pool'), inner.write(b, o, l, p)),
        writev: (bs, p) => (paths.push('pool'), inner.writev(bs, p)),
        writevSync: (bs, p) => (paths.push('sync'), inner.writevSync!(bs, p)),
        truncate: (l) => inner.truncate(l),
        sync: () => inner.sync(),
        stat: () => inner.stat(),
        close: () => inner.close(),
      };
    };
    let t = 0;
    let slow = false;
    const policy = new SyncWritePolicy({ maxBytes: 1000, slowMs: 10, backoffMs: 100, now: () => (slow ? (t += 20) : t) });
    const log = await openLog({}, { openFile: open, syncWritePolicy: policy });
    await log.append(batch(['a']), { leaderEpoch: 0 });
    await log.append(sizedBatch(2000), { leaderEpoch: 0 }); // over maxBytes
    slow = true;
    await log.append(batch(['b']), { leaderEpoch: 0 }); // synchronous, and slow
    slow = false;
    await log.append(batch(['c']), { leaderEpoch: 0 }); // within the back-off
    t += 100;
    await log.append(batch(['d']), { leaderEpoch: 0 });
    expect(paths).toEqual(['sync', 'pool', 'sync', 'pool', 'sync']);
    const values = decode((await log.read(0n, { maxBytes: 1 << 20 })).records).map((r) => r.value);
    expect(values).toHaveLength(5);
    expect([values[0], ...values.slice(2)]).toEqual(['a', 'b', 'c', 'd']);
  });

  it('reads never see a batch whose write has not completed', async () => {
    // Only a write through the thread pool can be seen in flight.
    const log = await openLog({}, { syncWritePolicy: THREAD_POOL_ONLY });
    await log.append(batch(['a']), { leaderEpoch: 0 });
    const appending = log.append(sizedBatch(200_000), { leaderEpoch: 0 });
    // The append is in flight: the log end offset and the readable bytes have not moved.
    expect(log.logEndOffset).toBe(1n);
    const during = await log.read(0n, { maxBytes: 1 << 22 });
    expect(bases(during.records).every((b) => b < 1n)).toBe(true);
    await appending;
    expect(bases((await log.read(0n, { maxBytes: 1 << 22 })).records)).toEqual([0n, 1n]);
  });

  it('groups queued appends into one write (group commit), each with its own result', async () => {
    const files = new FaultyFiles();
    let writes = 0;
    files.fail = (op) => {
      if (op === 'write') writes++;
      return null;
    };
    const log = await openLog({}, { openFile: files.open });
    // The epoch's checkpoint is written by the first append in it: here, before counting.
    await log.leaderEpochs.assign(0, 0n);
    writes = 0;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => log.append(batch([`v${i}`]), { leaderEpoch: 0 })));
    expect(results.map((r) => r.baseOffset)).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(i)));
    expect(writes).toBeLessThanOrEqual(2);
  });

  it('fsyncs per flush.messages, and on flush()', async () => {
    const files = new FaultyFiles();
    let syncs = 0;
    files.fail = (op) => {
      if (op === 'sync') syncs++;
      return null;
    };
    const log = await openLog({ flushMessages: 3 }, { openFile: files.open });
    // The epoch's checkpoint is written by the first append in it: here, before counting.
    await log.leaderEpochs.assign(0, 0n);
    syncs = 0;
    await log.append(batch(['a', 'b']), { leaderEpoch: 0 });
    expect(syncs).toBe(0);
    await log.append(batch(['c']), { leaderEpoch: 0 });
    expect(syncs).toBe(1);
    await log.flush();
    expect(syncs).toBe(2);
  });

  it('fsyncs when flush.ms has passed since the first unflushed append', async () => {
    const files = new FaultyFiles();
    let syncs = 0;
    files.fail = (op) => {
      if (op === 'sync') syncs++;
      return null;
    };
    const log = await openLog({ flushMs: 20 }, { openFile: files.open });
    // The epoch's checkpoint is written by the first append in it: here, before counting.
    await log.leaderEpochs.assign(0, 0n);
    syncs = 0;
    await log.append(batch(['a']), { leaderEpoch: 0 });
    expect(syncs).toBe(0);
    await until(() => syncs > 0);
    expect(syncs).toBe(1);
  });

  describe.each([
    ['synchronous writes', true],
    ['thread-pool writes', false],
  ])('disk errors, %s', (_mode, syncWrites) => {
    it('rejects an append that fails with ENOSPC as StorageError, undoes it, and carries on', async () => {
      const files = new FaultyFiles(syncWrites);
      const log = await openLog({ indexIntervalBytes: 1 }, { openFile: files.open });
      await log.append(batch(['a']), { leaderEpoch: 0 });
      await log.append(batch(['b']), { leaderEpoch: 0 });
      files.fail = (op, path) => (op === 'write' && path.endsWith('.log') ? 'ENOSPC' : null);
      files.partialBytes = 30; // the failed write leaves a torn batch behind
      const err = await log.append(batch(['c', 'd']), { leaderEpoch: 0 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageError);
      expect((err as StorageError).message).toContain('ENOSPC');
      expect((err as StorageError).cause).toMatchObject({ code: 'ENOSPC' });
      expect(log.logEndOffset).toBe(2n);
      expect(log.offline).toBe(false);
      files.fail = null;
      files.partialBytes = null;
      expect((await log.append(batch(['e']), { leaderEpoch: 0 })).baseOffset).toBe(2n);
      expect(decode((await log.read(0n, { maxBytes: 1 << 20 })).records).map((r) => r.value)).toEqual(['a', 'b', 'e']);
      await log.close();
      const again = await openDiskPartitionLog(log.dir, 'topic', 3, log.config, { cleanShutdown: false, batchCache: null });
      cleanups.push(() => again.close());
      expect(again.recovery?.truncatedBytes).toBe(0);
      expect(decode((await again.read(0n, { maxBytes: 1 << 20 })).records).map((r) => r.value)).toEqual(['a', 'b', 'e']);
    });

    it('rejects every append of a failed group write', async () => {
      const files = new FaultyFiles(syncWrites);
      const log = await openLog({}, { openFile: files.open });
      await log.append(batch(['a']), { leaderEpoch: 0 });
      files.fail = (op, path) => (op === 'write' && path.endsWith('.log') ? 'EIO' : null);
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => log.append(batch(['x']), { leaderEpoch: 0 })));
      expect(results.every((r) => r.status === 'rejected' && r.reason instanceof StorageError)).toBe(true);
      files.fail = null;
      expect((await log.append(batch(['y']), { leaderEpoch: 0 })).baseOffset).toBe(1n);
    });

    it('goes offline when an fsync fails, refusing changes but still serving reads', async () => {
      const files = new FaultyFiles(syncWrites);
      const log = await openLog({ flushMessages: 1 }, { openFile: files.open });
      await log.append(batch(['a']), { leaderEpoch: 0 });
      files.fail = (op) => (op === 'sync' ? 'EIO' : null);
      await expect(log.append(batch(['b']), { leaderEpoch: 0 })).rejects.toBeInstanceOf(StorageError);
      expect(log.offline).toBe(true);
      files.fail = null;
      await expect(log.append(batch(['c']), { leaderEpoch: 0 })).rejects.toThrow(/offline/);
      await expect(log.roll()).rejects.toBeInstanceOf(StorageError);
      expect(decode((await log.read(0n, { maxBytes: 1 << 20 })).records).map((r) => r.value)).toEqual(['a']);
      await expect(log.close()).rejects.toBeInstanceOf(StorageError);
      const again = await openDiskPartitionLog(log.dir, 'topic', 3, log.config, { cleanShutdown: false, batchCache: null });
      cleanups.push(() => again.close());
      expect(decode((await again.read(0n, { maxBytes: 1 << 20 })).records).map((r) => r.value)).toEqual(['a']);
    });

    it('goes offline when a failed write cannot be undone, and recovers on reopen', async () => {
      const files = new FaultyFiles(syncWrites);
      const log = await openLog({}, { openFile: files.open });
      await log.append(batch(['a']), { leaderEpoch: 0 });
      files.fail = (op, path) => ((op === 'write' || op === 'truncate') && path.endsWith('.log') ? 'EIO' : null);
      files.partialBytes = 40;
      await expect(log.append(batch(['b']), { leaderEpoch: 0 })).rejects.toBeInstanceOf(StorageError);
      expect(log.offline).toBe(true);
      files.fail = null;
      files.partialBytes = null;
      await log.close().catch(() => undefined);
      const again = await openDiskPartitionLog(log.dir, 'topic', 3, log.config, { cleanShutdown: false, batchCache: null });
      cleanups.push(() => again.close());
      expect(again.recovery?.truncatedBytes).toBe(40);
      expect(again.logEndOffset).toBe(1n);
      expect((await again.append(batch(['c']), { leaderEpoch: 0 })).baseOffset).toBe(1n);
    });

    it('surfaces a failing roll as StorageError and keeps the old segment active', async () => {
      const files = new FaultyFiles(syncWrites);
      const size = batch(['v0']).length;
      const log = await openLog({ segmentBytes: size }, { openFile: files.open });
      await log.append(batch(['v0']), { leaderEpoch: 0 });
      files.fail = (op, path) => (op === 'open' && path.endsWith('00000000000000000001.log') ? 'ENOSPC' : null);
      await expect(log.append(batch(['v1']), { leaderEpoch: 0 })).rejects.toBeInstanceOf(StorageError);
      expect(log.segmentCount).toBe(1);
      files.fail = null;
      expect((await log.append(batch(['v1']), { leaderEpoch: 0 })).baseOffset).toBe(1n);
      expect(log.segmentCount).toBe(2);
    });

    it('turns a failing read into StorageError', async () => {
      const files = new FaultyFiles(syncWrites);
      const log = await openLog({}, { openFile: files.open });
      await log.append(batch(['a']), { leaderEpoch: 0 });
      files.fail = (op) => (op === 'read' ? 'EIO' : null);
      await expect(log.read(0n, { maxBytes: 100 })).rejects.toBeInstanceOf(StorageError);
      await expect(log.offsetForTimestamp(0n)).rejects.toBeInstanceOf(StorageError);
    });
  });

  it('refuses use after close, and close is idempotent', async () => {
    const log = await openLog();
    await log.close();
    await log.close();
    await expect(log.append(batch(['a']), { leaderEpoch: 0 })).rejects.toBeInstanceOf(StorageError);
    await expect(log.read(0n, { maxBytes: 1 })).rejects.toBeInstanceOf(StorageError);
  });

  it('opens a clean log without scanning it and an unclean one by scanning the active segment', async () => {
    const clock = new TestClock();
    const log = await openLog({ segmentBytes: 2000 }, { clock: clock.now });
    for (let i = 0; i < 50; i++) await log.append(batch([`v${i}`], 1000 + i), { leaderEpoch: 0 });
    await log.close();
    const clean = await openDiskPartitionLog(log.dir, 'topic', 3, log.config, { cleanShutdown: true, batchCache: null });
    expect(clean.recovery).toBeNull();
    expect(clean.logEndOffset).toBe(50n);
    await clean.close();
    const unclean = await openDiskPartitionLog(log.dir, 'topic', 3, log.config, { cleanShutdown: false, batchCache: null });
    cleanups.push(() => unclean.close());
    expect(unclean.recovery).toMatchObject({ truncatedBytes: 0, stop: 'end', nextOffset: 50n });
    expect(unclean.recovery!.segment).toBe(unclean.segmentBaseOffsets().at(-1));
  });
});

/** Splits a .log file into its batches. */
function splitAll(file: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let pos = 0; pos < file.length; ) {
    const size = 12 + file.readInt32BE(pos + 8);
    out.push(file.subarray(pos, pos + size));
    pos += size;
  }
  return out;
}

describe('DiskPartitionLog with thousands of partitions in mind', () => {
  /** The real opener, counting the descriptors held and the files opened for writing. */
  function countingOpener(): { open: OpenFile; held: () => number; writes: string[] } {
    let held = 0;
    const writes: string[] = [];
    const open: OpenFile = async (path, flags) => {
      const inner = await openStorageFile(path, flags);
      held++;
      if (flags.startsWith('w')) writes.push(path.slice(path.lastIndexOf('/') + 1));
      let closed = false;
      return Object.assign(Object.create(inner) as StorageFile, {
        close: async () => {
          if (!closed) {
            closed = true;
            held--;
          }
          await inner.close();
        },
      });
    };
    return { open, held: () => held, writes };
  }

  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function closedCleanlyWith(values: string[]): Promise<string> {
    const d = await tempDir();
    cleanups.push(d.remove);
    const dir = join(d.path, 'topic-0');
    const log = await openDiskPartitionLog(dir, 'topic', 0, config({ indexIntervalBytes: 1 }), { cleanShutdown: true, batchCache: null });
    for (const v of values) await log.append(batch([v]), { leaderEpoch: 0 });
    await log.close();
    return dir;
  }

  it('holds no descriptor after a clean open until it is used, and its close then writes nothing', async () => {
    const dir = await closedCleanlyWith(['a', 'b', 'c']);
    const before = await Promise.all(['.log', '.index', '.timeindex'].map((ext) => stat(join(dir, `00000000000000000000${ext}`))));
    const files = countingOpener();
    const log = await openDiskPartitionLog(dir, 'topic', 0, config({ indexIntervalBytes: 1 }), { cleanShutdown: true, batchCache: null, openFile: files.open });
    expect(log.logEndOffset).toBe(3n);
    expect(files.held()).toBe(0);
    // Used: opened on demand.
    expect(decode((await log.read(0n, { maxBytes: 1 << 20 })).records).map((r) => r.value)).toEqual(['a', 'b', 'c']);
    expect(files.held()).toBe(1);
    await log.close();
    expect(files.held()).toBe(0);
    expect(files.writes).toEqual([]);
    const after = await Promise.all(['.log', '.index', '.timeindex'].map((ext) => stat(join(dir, `00000000000000000000${ext}`))));
    expect(after.map((s) => s.size)).toEqual(before.map((s) => s.size));
  });

  it('writes its indexes on close once it was appended to, and opens cleanly again', async () => {
    const dir = await closedCleanlyWith(['a', 'b']);
    const indexBefore = (await stat(join(dir, '00000000000000000000.index'))).size;
    const files = countingOpener();
    const log = await openDiskPartitionLog(dir, 'topic', 0, config({ indexIntervalBytes: 1 }), { cleanShutdown: true, batchCache: null, openFile: files.open });
    await log.append(batch(['c']), { leaderEpoch: 0 });
    await log.close();
    expect(files.writes.sort()).toEqual(['00000000000000000000.index', '00000000000000000000.timeindex']);
    expect(files.held()).toBe(0);
    const reopened = await openDiskPartitionLog(dir, 'topic', 0, config({ indexIntervalBytes: 1 }), { cleanShutdown: true, batchCache: null });
    cleanups.push(() => reopened.close());
    expect(reopened.recovery).toBeNull();
    expect(decode((await reopened.read(0n, { maxBytes: 1 << 20 })).records).map((r) => r.value)).toEqual(['a', 'b', 'c']);
    // One more entry (8 bytes) for the batch appended, trimmed to its entries.
    expect((await stat(join(dir, '00000000000000000000.index'))).size).toBe(indexBefore + 8);
  });

  it('after a crash, recovers without writing and writes the rebuilt indexes on close', async () => {
    const dir = await closedCleanlyWith(['a', 'b']);
    const files = countingOpener();
    const log = await openDiskPartitionLog(dir, 'topic', 0, config({ indexIntervalBytes: 1 }), { cleanShutdown: false, batchCache: null, openFile: files.open });
    expect(log.recovery).not.toBeNull();
    expect(files.held()).toBe(0);
    expect(files.writes).toEqual([]);
    await log.close();
    expect(files.writes.sort()).toEqual(['00000000000000000000.index', '00000000000000000000.timeindex']);
  });
});
