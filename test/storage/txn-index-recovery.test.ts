/**
 * Rebuilding the aborted-transaction index when a log is opened: after a crash (the active
 * segment's .txnindex lost, a torn tail), with transactions begun in earlier segments or known only
 * from a producer snapshot, and a damaged index on a clean start. The segments are written as files
 * directly, batch by batch, as a crashed broker would have left them.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { buildEndTxnMarkerBatch, buildRecordBatch } from '../../src/protocol/records/batch-builder.js';
import { openDiskPartitionLog } from '../../src/storage/disk-partition-log.js';
import { LEADER_EPOCH_CHECKPOINT_FILE } from '../../src/storage/leader-epoch-checkpoint.js';
import { openLogManager } from '../../src/storage/log-manager.js';
import { encodeSnapshot, snapshotFileName } from '../../src/storage/producer-state.js';
import { openStorageFile, segmentFileName, type OpenFile } from '../../src/storage/segment-files.js';
import { encodeAbortedTxns } from '../../src/storage/transaction-index.js';
import { OngoingTxns } from '../../src/storage/txn-index-recovery.js';
import type { AbortedTxn } from '../../src/storage/types.js';
import type { Logger } from '../../src/util/logger.js';
import { DEFAULT_LOG_CONFIG } from '../../src/storage/types.js';
import { config, decode, tempDir } from './helpers.js';

const data = (baseOffset: bigint, pid: bigint, n = 1, transactional = true): Buffer =>
  buildRecordBatch(
    Array.from({ length: n }, (_, i) => ({ value: `p${pid}-${baseOffset + BigInt(i)}`, timestamp: 1000 })),
    { baseOffset, producerId: pid, producerEpoch: 0, baseSequence: 0, transactional, now: 1000 },
  );
const plain = (baseOffset: bigint): Buffer => buildRecordBatch([{ value: `plain-${baseOffset}`, timestamp: 1000 }], { baseOffset, now: 1000 });
const marker = (baseOffset: bigint, pid: bigint, commit: boolean): Buffer =>
  buildEndTxnMarkerBatch({ baseOffset, producerId: pid, producerEpoch: 0, commit, coordinatorEpoch: 0, timestamp: 1000 });
const txn = (producerId: bigint, firstOffset: bigint, lastOffset: bigint, lastStableOffset: bigint): AbortedTxn => ({ producerId, firstOffset, lastOffset, lastStableOffset });

/** Segment 0 (sealed): pid 1 aborts; pid 2 and pid 3 begin transactions that end in segment 6. */
const SEGMENT_0 = [data(0n, 1n, 2), data(2n, 2n), marker(3n, 1n, false), data(4n, 3n, 2)];
const SEGMENT_0_ENTRIES = [txn(1n, 0n, 3n, 2n)];
/**
 * Segment 6 (active): pid 2 aborts while pid 3 is still open (LSO 4), pid 3 commits, pid 4 aborts
 * a transaction of its own, pid 5 aborts one without a batch (Kafka indexes it from its marker).
 */
const SEGMENT_6 = [plain(6n), marker(7n, 2n, false), marker(8n, 3n, true), data(9n, 4n), marker(10n, 4n, false), marker(11n, 5n, false)];
const SEGMENT_6_ENTRIES = [txn(2n, 2n, 7n, 4n), txn(4n, 9n, 10n, 11n), txn(5n, 11n, 11n, 12n)];

describe('rebuilding the transaction index on open', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const cfg = config();

  async function directory(): Promise<string> {
    const d = await tempDir();
    cleanups.push(d.remove);
    return d.path;
  }
  const write = (dir: string, base: bigint, kind: 'log' | 'txnindex', bytes: Buffer): Promise<void> => writeFile(join(dir, segmentFileName(base, kind)), bytes);

  async function open(dir: string, cleanShutdown: boolean, extra: { openFile?: OpenFile; logger?: Logger } = {}) {
    const log = await openDiskPartitionLog(dir, 't', 0, cfg, { cleanShutdown, batchCache: null, ...extra });
    cleanups.push(() => log.close().catch(() => undefined));
    return log;
  }

  it('after a crash rebuilds the active segment\'s index, finding transactions begun in the segment before', async () => {
    const dir = await directory();
    await write(dir, 0n, 'log', Buffer.concat(SEGMENT_0));
    await write(dir, 0n, 'txnindex', encodeAbortedTxns(SEGMENT_0_ENTRIES));
    // The crash lost the active segment's index entirely; its last batches are a transaction of
    // pid 6 whose ABORT marker was torn.
    const torn = marker(13n, 6n, false);
    torn[torn.length - 1] ^= 0xff;
    await write(dir, 6n, 'log', Buffer.concat([...SEGMENT_6, data(12n, 6n), torn]));
    const log = await open(dir, false);
    expect(log.recovery).toMatchObject({ segment: 6n, stop: 'bad crc' });
    expect(log.logEndOffset).toBe(13n);
    expect(await log.abortedTxns(0n, log.logEndOffset)).toEqual([...SEGMENT_0_ENTRIES, ...SEGMENT_6_ENTRIES]);
    expect(await log.abortedTxns(6n, log.logEndOffset)).toEqual(SEGMENT_6_ENTRIES);
    // The rebuilt index is on disk: a clean reopen reads it back.
    expect(await readFile(join(dir, segmentFileName(6n, 'txnindex')))).toEqual(encodeAbortedTxns(SEGMENT_6_ENTRIES));
    await log.close();
    const again = await open(dir, true);
    expect(await again.abortedTxns(0n, again.logEndOffset)).toEqual([...SEGMENT_0_ENTRIES, ...SEGMENT_6_ENTRIES]);
  });

  it('drops entries a crash left past the torn tail', async () => {
    const dir = await directory();
    // The index still names pid 7's abort at 3, whose marker did not survive.
    const torn = marker(3n, 7n, false);
    await write(dir, 0n, 'log', Buffer.concat([data(0n, 6n), marker(1n, 6n, false), data(2n, 7n), torn.subarray(0, torn.length - 5)]));
    await write(dir, 0n, 'txnindex', encodeAbortedTxns([txn(6n, 0n, 1n, 2n), txn(7n, 2n, 3n, 4n)]));
    const log = await open(dir, false);
    expect(log.logEndOffset).toBe(3n);
    expect(await log.abortedTxns(0n, 3n)).toEqual([txn(6n, 0n, 1n, 2n)]);
  });

  it('takes the first offsets of transactions begun below the log from the producer snapshot', async () => {
    const dir = await directory();
    // Segment 0 is gone (retention); the snapshot at 6 knows pid 2 and pid 3 are in transactions.
    await write(dir, 6n, 'log', Buffer.concat(SEGMENT_6));
    const producer = (producerId: bigint, currentTxnFirstOffset: bigint) => ({
      producerId,
      producerEpoch: 0,
      batches: [{ lastSeq: 0, lastOffset: currentTxnFirstOffset, offsetDelta: 0, timestamp: 1000n }],
      coordinatorEpoch: 0,
      currentTxnFirstOffset,
      lastTimestamp: 1000n,
    });
    await writeFile(join(dir, snapshotFileName(6n)), encodeSnapshot([producer(2n, 2n), producer(3n, 4n)]));
    const log = await open(dir, false);
    expect(log.logStartOffset).toBe(6n);
    expect(await log.abortedTxns(6n, log.logEndOffset)).toEqual(SEGMENT_6_ENTRIES);
  });

  it('does not read the earlier segments when the active one has no ABORT marker', async () => {
    const dir = await directory();
    await write(dir, 0n, 'log', Buffer.concat(SEGMENT_0));
    await write(dir, 0n, 'txnindex', encodeAbortedTxns(SEGMENT_0_ENTRIES));
    await write(dir, 6n, 'log', Buffer.concat([plain(6n), marker(7n, 2n, true), marker(8n, 3n, true)]));
    // Its offset and time indexes are there too (a missing one would be rebuilt from the log).
    for (const kind of ['index', 'timeindex'] as const) await writeFile(join(dir, segmentFileName(0n, kind)), Buffer.alloc(0));
    // And its leader epochs (without them the log is scanned to rebuild them).
    await writeFile(join(dir, LEADER_EPOCH_CHECKPOINT_FILE), '0\n1\n0 0\n');
    const opened: string[] = [];
    const openFile: OpenFile = (path, flags) => {
      opened.push(path);
      return openStorageFile(path, flags);
    };
    const log = await open(dir, false, { openFile });
    expect(await log.abortedTxns(0n, log.logEndOffset)).toEqual(SEGMENT_0_ENTRIES);
    expect(opened.filter((p) => p.endsWith(segmentFileName(0n, 'log')))).toEqual([]);
  });

  it('rebuilds a damaged index on a clean start from its segment, with a warning, keeping every record', async () => {
    const dir = await directory();
    const first = await open(dir, true);
    for (const b of [...SEGMENT_0]) await first.append(b, { leaderEpoch: 0 });
    await first.appendAbortedTxn(SEGMENT_0_ENTRIES[0]);
    await first.roll();
    for (const b of SEGMENT_6) await first.append(b, { leaderEpoch: 0 });
    for (const t of SEGMENT_6_ENTRIES) await first.appendAbortedTxn(t);
    const before = decode((await first.read(0n, { maxBytes: 1 << 20 })).records);
    await first.close();
    // A torn sealed index, and garbage in the active one.
    const sealed = join(dir, segmentFileName(0n, 'txnindex'));
    await writeFile(sealed, (await readFile(sealed)).subarray(0, 20));
    await writeFile(join(dir, segmentFileName(6n, 'txnindex')), Buffer.alloc(34, 0x7f));
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const log = await open(dir, true, { logger });
    expect(log.recovery).toBeNull();
    expect(await log.abortedTxns(0n, log.logEndOffset)).toEqual([...SEGMENT_0_ENTRIES, ...SEGMENT_6_ENTRIES]);
    expect(decode((await log.read(0n, { maxBytes: 1 << 20 })).records)).toEqual(before);
    const warnings = lines.filter((l) => l.level === 40).map((l) => l.file);
    expect(warnings).toEqual([sealed, join(dir, segmentFileName(6n, 'txnindex'))]);
    expect((await readdir(dir)).filter((f) => f.endsWith('.log'))).toEqual([segmentFileName(0n, 'log'), segmentFileName(6n, 'log')]);
  });
});

describe('a broker crash, through the log manager', () => {
  it('finds the aborted transactions again after the clean-shutdown marker and the index files are lost', async () => {
    const d = await tempDir();
    try {
      const dirs = [join(d.path, 'data')];
      const manager = await openLogManager({ storage: 'disk', dirs });
      const cfg = { ...DEFAULT_LOG_CONFIG, segmentBytes: 4 * SEGMENT_0[0].length };
      const log = await manager.create('t', 0, cfg);
      for (const b of [...SEGMENT_0, ...SEGMENT_6]) await log.append(b, { leaderEpoch: 0 });
      for (const t of [...SEGMENT_0_ENTRIES, ...SEGMENT_6_ENTRIES]) await log.appendAbortedTxn(t);
      const bases = (log as unknown as { segmentBaseOffsets(): bigint[] }).segmentBaseOffsets();
      expect(bases.length).toBeGreaterThan(1);
      await manager.close();
      // As after a crash: no clean-shutdown marker, and the active segment's index never written.
      const partitionDir = join(dirs[0], 't-0');
      await unlink(join(dirs[0], '.kafka_cleanshutdown'));
      const active = bases[bases.length - 1];
      await unlink(join(partitionDir, segmentFileName(active, 'txnindex'))).catch(() => undefined);
      const again = await openLogManager({ storage: 'disk', dirs });
      try {
        const reopened = again.get('t', 0);
        if (reopened === undefined) throw new Error('the partition was not found again');
        expect(reopened.recovered).toMatchObject({ segments: 1 });
        expect(await reopened.abortedTxns(0n, reopened.logEndOffset)).toEqual([...SEGMENT_0_ENTRIES, ...SEGMENT_6_ENTRIES]);
      } finally {
        await again.close();
      }
    } finally {
      await d.remove();
    }
  });
});

describe('OngoingTxns', () => {
  const ev = (producerId: bigint, baseOffset: bigint, controlType = -1) => ({ producerId, baseOffset, isControl: controlType >= 0, controlType });

  it('gives an abort the smallest first offset of the other open transactions as its last stable offset', () => {
    const o = new OngoingTxns();
    expect(o.apply(ev(1n, 10n))).toBeNull();
    expect(o.apply(ev(2n, 12n))).toBeNull();
    expect(o.apply(ev(1n, 13n))).toBeNull(); // a later batch of an open transaction keeps its start
    expect(o.apply(ev(3n, 14n))).toBeNull();
    expect(o.apply(ev(1n, 15n, 0))).toEqual(txn(1n, 10n, 15n, 12n));
    expect(o.apply(ev(2n, 16n, 1))).toBeNull(); // a commit ends it without an entry
    expect(o.apply(ev(3n, 17n, 0))).toEqual(txn(3n, 14n, 17n, 18n));
    expect(o.size).toBe(0);
  });
});
