import { afterEach, describe, expect, it } from '@jest/globals';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode } from '../../src/protocol/generated/errors.js';
import { buildRecordBatch } from '../../src/protocol/records/batch-builder.js';
import { RecordBatchView } from '../../src/protocol/records/record-batch.js';
import { openDiskPartitionLog } from '../../src/storage/disk-partition-log.js';
import { MemoryPartitionLog } from '../../src/storage/memory-partition-log.js';
import {
  CorruptSnapshotError,
  decodeSnapshot,
  decrementSequence,
  encodeSnapshot,
  incrementSequence,
  ProducerStateManager,
  snapshotFileName,
  type AppendCheck,
  type ProducerStateOptions,
} from '../../src/storage/producer-state.js';
import type { PartitionLog } from '../../src/storage/types.js';
import { config, tempDir } from './helpers.js';

const NOW = 1_700_000_000_000;
const DAY = 86_400_000;
const MAX = 2147483647;

let clockMs = NOW;
const options = (dir: string | null, extra: Partial<ProducerStateOptions> = {}): ProducerStateOptions => ({
  producerIdExpirationMs: DAY,
  clock: () => clockMs,
  dir,
  ...extra,
});

function idem(pid: bigint, epoch: number, seq: number, count = 1, extra: { transactional?: boolean; ts?: number } = {}): Buffer {
  return buildRecordBatch(
    Array.from({ length: count }, (_, i) => ({ value: `v${seq + i}`, timestamp: extra.ts ?? clockMs })),
    { producerId: pid, producerEpoch: epoch, baseSequence: seq, now: extra.ts ?? clockMs, transactional: extra.transactional ?? false },
  );
}

function header(b: Buffer): Parameters<ProducerStateManager['tryAppend']>[0] {
  const v = new RecordBatchView(b);
  if (!v.hasProducerId) return null;
  return { producerId: v.producerId, producerEpoch: v.producerEpoch, baseSequence: v.baseSequence, lastSequence: v.lastSequence, isTransactional: v.isTransactional };
}

type Outcome = { kind: 'appended'; baseOffset: bigint } | { kind: 'duplicate'; baseOffset: bigint } | { kind: 'error'; errorCode: number };

/** What the produce path does: check, append, settle. */
async function produce(m: ProducerStateManager, log: PartitionLog, b: Buffer): Promise<Outcome> {
  const c: AppendCheck = m.tryAppend(header(b), b.length);
  if (c.kind === 'error') return { kind: 'error', errorCode: c.errorCode };
  if (c.kind === 'duplicate') return { kind: 'duplicate', baseOffset: (await c.original).firstOffset };
  const r = await log.append(b, { leaderEpoch: 0 });
  m.complete(c.slot, { baseOffset: r.baseOffset, lastOffset: r.lastOffset, maxTimestamp: new RecordBatchView(b).maxTimestamp });
  return { kind: 'appended', baseOffset: r.baseOffset };
}

async function memory(): Promise<{ log: MemoryPartitionLog; m: ProducerStateManager }> {
  const log = new MemoryPartitionLog('t', 0, config(), () => clockMs);
  return { log, m: await ProducerStateManager.load(log, options(null)) };
}

afterEach(() => {
  clockMs = NOW;
});

describe('sequence arithmetic', () => {
  it('wraps at int32 as Kafka does', () => {
    expect(incrementSequence(MAX, 1)).toBe(0);
    expect(incrementSequence(MAX - 1, 3)).toBe(1);
    expect(incrementSequence(5, 3)).toBe(8);
    expect(decrementSequence(0, 1)).toBe(MAX);
    expect(decrementSequence(1, 3)).toBe(MAX - 1);
    expect(decrementSequence(8, 3)).toBe(5);
  });
});

describe('ProducerStateManager: checks', () => {
  it('accepts any first sequence from an unknown producer id (KIP-360), then only the next one', async () => {
    const { log, m } = await memory();
    expect(await produce(m, log, idem(1n, 0, 0, 2))).toEqual({ kind: 'appended', baseOffset: 0n });
    expect(await produce(m, log, idem(2n, 0, 17))).toEqual({ kind: 'appended', baseOffset: 2n });
    expect(await produce(m, log, idem(1n, 0, 2))).toEqual({ kind: 'appended', baseOffset: 3n });
    expect(await produce(m, log, idem(1n, 0, 5))).toEqual({ kind: 'error', errorCode: ErrorCode.OutOfOrderSequenceNumber });
    expect(await produce(m, log, idem(2n, 0, 18))).toEqual({ kind: 'appended', baseOffset: 4n });
    expect(log.logEndOffset).toBe(5n);
  });

  it('acknowledges a retry of any of the last 5 batches with its original offsets, appending nothing', async () => {
    const { log, m } = await memory();
    const batches = Array.from({ length: 6 }, (_, i) => idem(1n, 0, i * 2, 2));
    for (const b of batches) await produce(m, log, b);
    expect(log.logEndOffset).toBe(12n);
    for (let i = 1; i < 6; i++) expect(await produce(m, log, batches[i])).toEqual({ kind: 'duplicate', baseOffset: BigInt(i * 2) });
    // The oldest fell out of the window: an old sequence, out of order.
    expect(await produce(m, log, batches[0])).toEqual({ kind: 'error', errorCode: ErrorCode.OutOfOrderSequenceNumber });
    // A different range over the same sequences is not a duplicate.
    expect(await produce(m, log, idem(1n, 0, 10, 1))).toEqual({ kind: 'error', errorCode: ErrorCode.OutOfOrderSequenceNumber });
    expect(log.logEndOffset).toBe(12n);
  });

  it('answers a duplicate of a batch still in flight once it lands', async () => {
    const { log, m } = await memory();
    await produce(m, log, idem(1n, 0, 0));
    const b = idem(1n, 0, 1);
    const first = m.tryAppend(header(b), b.length);
    expect(first.kind).toBe('append');
    const dup = m.tryAppend(header(b), b.length);
    expect(dup.kind).toBe('duplicate');
    // A pipelined next batch is checked against the one in flight.
    const next = idem(1n, 0, 2);
    const third = m.tryAppend(header(next), next.length);
    expect(third.kind).toBe('append');
    if (first.kind !== 'append' || dup.kind !== 'duplicate' || third.kind !== 'append') return;
    let settled = false;
    void dup.original.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    const r = await log.append(b, { leaderEpoch: 0 });
    m.complete(first.slot, { baseOffset: r.baseOffset, lastOffset: r.lastOffset, maxTimestamp: 5n });
    await expect(dup.original).resolves.toEqual({ firstOffset: 1n, lastOffset: 1n, timestamp: 5n });
    expect(m.inFlight).toBe(1);
    m.fail(third.slot, new Error('disk'));
    expect(m.inFlight).toBe(0);
  });

  it('forgets a failed append: its retry is accepted and duplicates waiting on it fail too', async () => {
    const { log, m } = await memory();
    await produce(m, log, idem(1n, 0, 0));
    const b = idem(1n, 0, 1);
    const c = m.tryAppend(header(b), b.length);
    const dup = m.tryAppend(header(b), b.length);
    if (c.kind !== 'append' || dup.kind !== 'duplicate') throw new Error('unexpected');
    const err = new Error('ENOSPC');
    m.fail(c.slot, err);
    await expect(dup.original).rejects.toBe(err);
    expect(await produce(m, log, b)).toEqual({ kind: 'appended', baseOffset: 1n });
    // An unknown producer whose only append failed is unknown again.
    const other = idem(2n, 0, 40);
    const o = m.tryAppend(header(other), other.length);
    if (o.kind !== 'append') throw new Error('unexpected');
    m.fail(o.slot, err);
    expect(await produce(m, log, idem(2n, 0, 99))).toEqual({ kind: 'appended', baseOffset: 2n });
  });

  it('epochs: lower is INVALID_PRODUCER_EPOCH; higher starts at sequence 0', async () => {
    const { log, m } = await memory();
    await produce(m, log, idem(1n, 3, 0, 3));
    expect(await produce(m, log, idem(1n, 2, 3))).toEqual({ kind: 'error', errorCode: ErrorCode.InvalidProducerEpoch });
    expect(await produce(m, log, idem(1n, 4, 3))).toEqual({ kind: 'error', errorCode: ErrorCode.OutOfOrderSequenceNumber });
    expect(await produce(m, log, idem(1n, 4, 0))).toEqual({ kind: 'appended', baseOffset: 3n });
    // The old epoch's batches are forgotten: their retry is fenced, not a duplicate.
    expect(await produce(m, log, idem(1n, 3, 0, 3))).toEqual({ kind: 'error', errorCode: ErrorCode.InvalidProducerEpoch });
    expect(m.lastEntry(1n)).toMatchObject({ producerEpoch: 4, batches: [{ lastSeq: 0, lastOffset: 3n, offsetDelta: 0 }] });
  });

  it('the sequence after 2147483647 is 0', async () => {
    const { log, m } = await memory();
    expect(await produce(m, log, idem(1n, 0, MAX - 1, 2))).toEqual({ kind: 'appended', baseOffset: 0n });
    expect(await produce(m, log, idem(1n, 0, 0, 2))).toEqual({ kind: 'appended', baseOffset: 2n });
    expect(await produce(m, log, idem(1n, 0, MAX - 1, 2))).toEqual({ kind: 'duplicate', baseOffset: 0n });
    // A batch spanning the wrap.
    const { log: log2, m: m2 } = await memory();
    await produce(m2, log2, idem(5n, 0, MAX - 2, 1));
    expect(await produce(m2, log2, idem(5n, 0, MAX - 1, 4))).toEqual({ kind: 'appended', baseOffset: 1n });
    expect(await produce(m2, log2, idem(5n, 0, 2, 1))).toEqual({ kind: 'appended', baseOffset: 5n });
  });

  it('transactional batches: the first starts a transaction; an older epoch is INVALID_PRODUCER_EPOCH', async () => {
    const { log, m } = await memory();
    await produce(m, log, idem(1n, 2, 0));
    expect(await produce(m, log, idem(1n, 2, 1, 1, { transactional: true }))).toEqual({ kind: 'appended', baseOffset: 1n });
    expect(m.firstUnstableOffset()).toBe(1n);
    expect(await produce(m, log, idem(1n, 1, 2, 1, { transactional: true }))).toEqual({ kind: 'error', errorCode: ErrorCode.InvalidProducerEpoch });
  });

  it('batches without a producer id are only registered', async () => {
    const { log, m } = await memory();
    const plain = buildRecordBatch([{ value: 'x' }], { now: NOW });
    expect(await produce(m, log, plain)).toEqual({ kind: 'appended', baseOffset: 0n });
    expect(m.activeProducers().size).toBe(0);
    expect(m.mapEndOffset).toBe(1n);
  });

  it('expires producers idle for producer.id.expiration.ms, judged by their last batch timestamp', async () => {
    const { log, m } = await memory();
    await produce(m, log, idem(1n, 0, 0, 1, { ts: NOW - DAY }));
    await produce(m, log, idem(2n, 0, 0, 1, { ts: NOW }));
    expect(m.removeExpiredProducers(NOW)).toBe(1);
    expect([...m.activeProducers().keys()]).toEqual([2n]);
    // Unknown again: any sequence is accepted.
    expect(await produce(m, log, idem(1n, 0, 7))).toEqual({ kind: 'appended', baseOffset: 2n });
    expect(m.removeExpiredProducers(NOW + DAY - 1)).toBe(0);
    expect(m.removeExpiredProducers(NOW + DAY)).toBe(2);
  });
});

describe('ProducerStateManager: snapshots and rebuild', () => {
  it('snapshots use Kafka format version 1 and keep each producer last batch', () => {
    const entry = { producerId: 7n, producerEpoch: 2, batches: [{ lastSeq: 9, lastOffset: 100n, offsetDelta: 4, timestamp: 55n }], coordinatorEpoch: -1, currentTxnFirstOffset: -1n, lastTimestamp: 55n };
    const bytes = encodeSnapshot([entry, { ...entry, producerId: 8n, batches: [], lastTimestamp: 3n }]);
    expect(bytes.length).toBe(10 + 2 * 46);
    expect(bytes.readInt16BE(0)).toBe(1);
    expect(decodeSnapshot(bytes)).toEqual([entry, { ...entry, producerId: 8n, batches: [], lastTimestamp: 3n }]);
    const corrupt = Buffer.from(bytes);
    corrupt[20] ^= 1;
    expect(() => decodeSnapshot(corrupt)).toThrow(CorruptSnapshotError);
    expect(snapshotFileName(42n)).toBe('00000000000000000042.snapshot');
  });

  it('rebuilds the last 5 batches of each producer by scanning batch headers', async () => {
    const { log, m } = await memory();
    const batches = Array.from({ length: 7 }, (_, i) => idem(1n, 0, i, 1));
    for (const b of batches) await produce(m, log, b);
    await produce(m, log, buildRecordBatch([{ value: 'plain' }], { now: NOW }));
    const rebuilt = await ProducerStateManager.load(log, options(null));
    expect(rebuilt.mapEndOffset).toBe(8n);
    expect(await produce(rebuilt, log, batches[6])).toEqual({ kind: 'duplicate', baseOffset: 6n });
    expect(await produce(rebuilt, log, batches[2])).toEqual({ kind: 'duplicate', baseOffset: 2n });
    expect(await produce(rebuilt, log, batches[1])).toEqual({ kind: 'error', errorCode: ErrorCode.OutOfOrderSequenceNumber });
    expect(await produce(rebuilt, log, idem(1n, 0, 7))).toEqual({ kind: 'appended', baseOffset: 8n });
  });

  describe('on disk', () => {
    let cleanup: (() => Promise<void>) | undefined;
    afterEach(async () => {
      await cleanup?.();
      cleanup = undefined;
    });

    async function openLog(dir: string, cleanShutdown: boolean): Promise<PartitionLog> {
      return openDiskPartitionLog(dir, 't', 0, config(), { cleanShutdown, clock: () => clockMs, batchCache: null });
    }

    const snapshots = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((n) => n.includes('.snapshot')).sort();

    it('writes a snapshot at the log end on close; a restart loads it and still sees the last batch as a duplicate', async () => {
      const d = await tempDir();
      cleanup = d.remove;
      const dir = join(d.path, 't-0');
      let log = await openLog(dir, true);
      let m = await ProducerStateManager.load(log, options(dir));
      const last = idem(1n, 0, 3, 2);
      await produce(m, log, idem(1n, 0, 0, 3));
      await produce(m, log, last);
      await m.close();
      await log.close();
      expect(await snapshots(dir)).toEqual([snapshotFileName(5n)]);
      expect(decodeSnapshot(await readFile(join(dir, snapshotFileName(5n))))).toMatchObject([{ producerId: 1n, producerEpoch: 0, batches: [{ lastSeq: 4, lastOffset: 4n, offsetDelta: 1 }] }]);

      log = await openLog(dir, true);
      m = await ProducerStateManager.load(log, options(dir));
      expect(m.latestSnapshotOffset).toBe(5n);
      expect(await produce(m, log, last)).toEqual({ kind: 'duplicate', baseOffset: 3n });
      expect(await produce(m, log, idem(1n, 0, 6))).toEqual({ kind: 'error', errorCode: ErrorCode.OutOfOrderSequenceNumber });
      expect(await produce(m, log, idem(1n, 0, 5))).toEqual({ kind: 'appended', baseOffset: 5n });
      await m.close();
      await log.close();
      expect(await snapshots(dir)).toEqual([snapshotFileName(5n), snapshotFileName(6n)]);
    });

    it('after a crash, replays the log from the last snapshot; snapshots beyond the log end and corrupt ones are dropped', async () => {
      const d = await tempDir();
      cleanup = d.remove;
      const dir = join(d.path, 't-0');
      let log = await openLog(dir, true);
      let m = await ProducerStateManager.load(log, options(dir));
      await produce(m, log, idem(1n, 0, 0));
      await m.takeSnapshot();
      expect(await snapshots(dir)).toEqual([snapshotFileName(1n)]);
      // No close: a crash. Appends after the snapshot must be found by scanning.
      await produce(m, log, idem(1n, 0, 1));
      await produce(m, log, idem(2n, 5, 10));
      await log.close();
      // A snapshot from the future (the log was cut back) and garbage that looks like a snapshot.
      await writeFile(join(dir, snapshotFileName(50n)), encodeSnapshot([]));
      await writeFile(join(dir, snapshotFileName(2n)), Buffer.from('not a snapshot'));
      await writeFile(join(dir, snapshotFileName(3n) + '.tmp'), Buffer.from('half written'));

      log = await openLog(dir, false);
      m = await ProducerStateManager.load(log, options(dir));
      expect(m.latestSnapshotOffset).toBe(1n);
      expect(await produce(m, log, idem(1n, 0, 1))).toEqual({ kind: 'duplicate', baseOffset: 1n });
      expect(await produce(m, log, idem(2n, 5, 10))).toEqual({ kind: 'duplicate', baseOffset: 2n });
      expect(await produce(m, log, idem(2n, 4, 11))).toEqual({ kind: 'error', errorCode: ErrorCode.InvalidProducerEpoch });
      // The load wrote a snapshot at the log end so the next start needs no scan.
      await m.close();
      await log.close();
      expect(await snapshots(dir)).toEqual([snapshotFileName(1n), snapshotFileName(3n)]);
    });

    it('drops expired producers when loading a snapshot', async () => {
      const d = await tempDir();
      cleanup = d.remove;
      const dir = join(d.path, 't-0');
      let log = await openLog(dir, true);
      let m = await ProducerStateManager.load(log, options(dir));
      await produce(m, log, idem(1n, 0, 0));
      await m.close();
      await log.close();
      clockMs = NOW + DAY;
      log = await openLog(dir, true);
      m = await ProducerStateManager.load(log, options(dir));
      expect(m.activeProducers().size).toBe(0);
      await log.close();
    });

    it('takes a snapshot on its own every snapshotIntervalBytes', async () => {
      const d = await tempDir();
      cleanup = d.remove;
      const dir = join(d.path, 't-0');
      const log = await openLog(dir, true);
      const size = idem(1n, 0, 0).length;
      const m = await ProducerStateManager.load(log, options(dir, { snapshotIntervalBytes: 3 * size }));
      const written = async (): Promise<string[]> => (await readdir(dir)).filter((n) => n.endsWith('.snapshot')).sort();
      await produce(m, log, idem(1n, 0, 0));
      await produce(m, log, idem(1n, 0, 1));
      await new Promise((r) => setTimeout(r, 20));
      expect(await written()).toEqual([]);
      // The third batch reaches the interval: the state after it, at offset 3, is written unasked.
      await produce(m, log, idem(1n, 0, 2));
      for (let waited = 0; (await written()).length === 0 && waited < 5000; waited += 10) await new Promise((r) => setTimeout(r, 10));
      expect(await written()).toEqual([snapshotFileName(3n)]);
      expect(decodeSnapshot(await readFile(join(dir, snapshotFileName(3n))))).toMatchObject([{ producerId: 1n, batches: [{ lastSeq: 2, lastOffset: 2n }] }]);
      await m.close();
      await log.close();
    });
  });
});
