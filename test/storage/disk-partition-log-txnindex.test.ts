/**
 * The disk log's aborted-transaction index on disk: one `.txnindex` per segment that has an abort,
 * following its segment through rolls, truncation, DeleteRecords, retention and restarts.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { buildEndTxnMarkerBatch } from '../../src/protocol/records/batch-builder.js';
import { DiskPartitionLog, openDiskPartitionLog } from '../../src/storage/disk-partition-log.js';
import { decodeAbortedTxns } from '../../src/storage/transaction-index.js';
import type { AbortedTxn, LogConfig } from '../../src/storage/types.js';
import { batch, config, tempDir } from './helpers.js';

const txnBatch = (pid: bigint, values: string[]): Buffer => batch(values, 1000, { producerId: pid, producerEpoch: 0, baseSequence: 0, transactional: true });
const abortMarker = (pid: bigint): Buffer => buildEndTxnMarkerBatch({ producerId: pid, producerEpoch: 0, commit: false, coordinatorEpoch: 0, timestamp: 1000 });
const txn = (producerId: bigint, firstOffset: bigint, lastOffset: bigint): AbortedTxn => ({ producerId, firstOffset, lastOffset, lastStableOffset: lastOffset + 1n });
const name = (base: bigint, kind: string): string => `${base.toString().padStart(20, '0')}.${kind}`;

/** Aborts a transaction of two records of `pid` and indexes it; returns the entry. */
async function abort(log: DiskPartitionLog, pid: bigint): Promise<AbortedTxn> {
  const data = await log.append(txnBatch(pid, ['x', 'y']), { leaderEpoch: 0 });
  const m = await log.append(abortMarker(pid), { leaderEpoch: 0 });
  const t = txn(pid, data.baseOffset, m.baseOffset);
  await log.appendAbortedTxn(t);
  return t;
}

async function txnIndexFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.includes('.txnindex')).sort();
}

async function entriesIn(dir: string, base: bigint): Promise<AbortedTxn[]> {
  return decodeAbortedTxns(await readFile(join(dir, name(base, 'txnindex'))), base);
}

describe('DiskPartitionLog transaction index files', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  async function openLog(cfg: Partial<LogConfig> = {}, dir?: string): Promise<DiskPartitionLog> {
    let path = dir;
    if (path === undefined) {
      const d = await tempDir();
      cleanups.push(d.remove);
      path = join(d.path, 'topic-0');
    }
    const log = await openDiskPartitionLog(path, 'topic', 0, config(cfg), { cleanShutdown: true, batchCache: null });
    cleanups.push(() => log.close().catch(() => undefined));
    return log;
  }
  const segmentSize = txnBatch(1n, ['x', 'y']).length + abortMarker(1n).length;

  it('creates <base>.txnindex beside its segment on the first abort, and none for a segment without', async () => {
    const log = await openLog({ segmentBytes: segmentSize * 2 });
    await log.append(batch(['plain']), { leaderEpoch: 0 });
    expect(await txnIndexFiles(log.dir)).toEqual([]);
    const t1 = await abort(log, 1n);
    expect(await txnIndexFiles(log.dir)).toEqual([name(0n, 'txnindex')]);
    expect(await entriesIn(log.dir, 0n)).toEqual([t1]);
    // Rolls start no file; the next abort lands in the segment holding its marker.
    await log.roll();
    await log.append(batch(['plain']), { leaderEpoch: 0 });
    const second = log.segmentBaseOffsets()[1];
    expect(await txnIndexFiles(log.dir)).toEqual([name(0n, 'txnindex')]);
    const t2 = await abort(log, 2n);
    expect(await txnIndexFiles(log.dir)).toEqual([name(0n, 'txnindex'), name(second, 'txnindex')]);
    expect(await entriesIn(log.dir, second)).toEqual([t2]);
    expect(await log.abortedTxns(0n, log.logEndOffset)).toEqual([t1, t2]);
  });

  it('indexes a marker in the segment holding it even after a roll put later appends elsewhere', async () => {
    const log = await openLog();
    const data = await log.append(txnBatch(1n, ['x']), { leaderEpoch: 0 });
    const m = await log.append(abortMarker(1n), { leaderEpoch: 0 });
    await log.roll();
    await log.append(batch(['after']), { leaderEpoch: 0 });
    await log.appendAbortedTxn(txn(1n, data.baseOffset, m.baseOffset));
    expect(log.segmentBaseOffsets()).toEqual([0n, 2n]);
    expect(await txnIndexFiles(log.dir)).toEqual([name(0n, 'txnindex')]);
    expect(await entriesIn(log.dir, 0n)).toEqual([txn(1n, 0n, 1n)]);
  });

  it('keeps the entries across a clean restart, and the reads find them segment after segment', async () => {
    const log = await openLog({ segmentBytes: segmentSize * 2 });
    const all: AbortedTxn[] = [];
    for (let i = 0; i < 7; i++) all.push(await abort(log, BigInt(i)));
    expect(log.segmentCount).toBeGreaterThan(2);
    await log.close();
    const again = await openLog({ segmentBytes: segmentSize * 2 }, log.dir);
    expect(again.recovery).toBeNull();
    expect(await again.abortedTxns(0n, again.logEndOffset)).toEqual(all);
    expect(await again.abortedTxns(all[3].firstOffset, all[4].firstOffset)).toEqual([all[3]]);
    const t = await abort(again, 9n);
    expect(await again.abortedTxns(all[6].lastOffset + 1n, again.logEndOffset)).toEqual([t]);
  });

  it('cuts the file on truncation and deletes the files of segments truncation removes', async () => {
    const log = await openLog({ segmentBytes: segmentSize * 2 });
    const all: AbortedTxn[] = [];
    for (let i = 0; i < 6; i++) all.push(await abort(log, BigInt(i)));
    const bases = log.segmentBaseOffsets();
    expect(bases.length).toBe(3);
    // Cut at the second marker of the second segment.
    await log.truncateTo(all[3].lastOffset);
    expect(await log.abortedTxns(0n, log.logEndOffset)).toEqual(all.slice(0, 3));
    expect(await entriesIn(log.dir, bases[1])).toEqual([all[2]]);
    expect((await readdir(log.dir)).filter((f) => f.startsWith(name(bases[2], 'txnindex')))).toEqual([`${name(bases[2], 'txnindex')}.deleted`]);
    // Below the first segment: everything goes, and the log starts over empty.
    await log.deleteRecordsBefore(bases[1]);
    await log.truncateTo(0n);
    expect(await log.abortedTxns(0n, log.logEndOffset)).toEqual([]);
    expect((await txnIndexFiles(log.dir)).filter((f) => !f.endsWith('.deleted'))).toEqual([]);
  });

  it('deletes the file with its segment on DeleteRecords and retention, as .deleted first', async () => {
    const log = await openLog({ segmentBytes: segmentSize * 2, retentionMs: -1, fileDeleteDelayMs: 60_000 });
    const all: AbortedTxn[] = [];
    for (let i = 0; i < 6; i++) all.push(await abort(log, BigInt(i)));
    const bases = log.segmentBaseOffsets();
    await log.deleteRecordsBefore(bases[1]);
    expect(await txnIndexFiles(log.dir)).toEqual([`${name(0n, 'txnindex')}.deleted`, name(bases[1], 'txnindex'), name(bases[2], 'txnindex')]);
    expect(await log.abortedTxns(log.logStartOffset, log.logEndOffset)).toEqual(all.slice(2));
    log.updateConfig({ ...log.config, retentionBytes: 0 });
    expect(await log.applyRetention(Date.now())).toBe(1);
    expect((await txnIndexFiles(log.dir)).filter((f) => !f.endsWith('.deleted'))).toEqual([name(bases[2], 'txnindex')]);
    expect(await log.abortedTxns(log.logStartOffset, log.logEndOffset)).toEqual(all.slice(4));
    // The renamed files are gone once the log closes (nothing waits for the delay any longer).
    await log.close();
    expect(await txnIndexFiles(log.dir)).toEqual([name(bases[2], 'txnindex')]);
    expect((await stat(join(log.dir, name(bases[2], 'txnindex')))).size).toBe(68);
  });
});

describe('an abort indexed after its segment was rolled', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const POINT = 'transaction-index-recovery-point';

  async function rolledBeforeIndexing(): Promise<{ log: DiskPartitionLog; entry: AbortedTxn }> {
    const d = await tempDir();
    cleanups.push(d.remove);
    const log = await openDiskPartitionLog(join(d.path, 'topic-0'), 'topic', 0, config(), { cleanShutdown: true, batchCache: null });
    cleanups.push(() => log.close().catch(() => undefined));
    const data = await log.append(txnBatch(4n, ['x', 'y']), { leaderEpoch: 0 });
    const m = await log.append(abortMarker(4n), { leaderEpoch: 0 });
    // Appends queued behind the marker roll the segment before its entry is recorded.
    await log.roll();
    await log.append(batch(['later']), { leaderEpoch: 0 });
    return { log, entry: txn(4n, data.baseOffset, m.baseOffset) };
  }

  it('leaves a recovery point on disk until the entry is written, then removes it', async () => {
    const { log, entry } = await rolledBeforeIndexing();
    expect(await readFile(join(log.dir, POINT), 'utf8')).toBe(`0\n${entry.lastOffset}\n`);
    await log.appendAbortedTxn(entry);
    expect(await readdir(log.dir)).not.toContain(POINT);
    expect(await entriesIn(log.dir, 0n)).toEqual([entry]);
  });

  it.each([true, false])('rebuilds the rolled segment\'s index when the entry never came (clean shutdown: %s)', async (cleanShutdown) => {
    const { log, entry } = await rolledBeforeIndexing();
    await log.close();
    const again = await openDiskPartitionLog(log.dir, 'topic', 0, config(), { cleanShutdown, batchCache: null });
    cleanups.push(() => again.close().catch(() => undefined));
    expect(await again.abortedTxns(0n, again.logEndOffset)).toEqual([entry]);
    expect(await entriesIn(again.dir, 0n)).toEqual([entry]);
    expect(await readdir(again.dir)).not.toContain(POINT);
  });

  it('drops the recovery point when truncation removes the marker', async () => {
    const { log, entry } = await rolledBeforeIndexing();
    await log.truncateTo(entry.lastOffset);
    expect(await readdir(log.dir)).not.toContain(POINT);
    expect(await log.abortedTxns(0n, log.logEndOffset)).toEqual([]);
  });
});
