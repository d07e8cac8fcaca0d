/**
 * The storage engine against plain Node file I/O, measured in the same run:
 * - appends of 16 KiB batches into one partition vs a loop appending the same buffers to a file
 *   with awaited fs writes (through the thread pool), and vs a writeSync loop, the ceiling (the log
 *   writes appends up to 1 MiB synchronously, see SyncWritePolicy); and 16 appends in flight
 *   (several producers), which the log writes as groups;
 * - reads by offset from the page cache with 1 MiB reads vs plain 1 MiB reads of the same file, and
 *   tail reads served by the batch cache;
 * - opening a 1 GiB partition after a clean shutdown and after a crash (recovery scans the active
 *   segment), with one 1 GiB segment and with 128 MiB segments.
 * Files go under os.tmpdir() and are removed; at most about 1 GiB is on disk at a time. The
 * figures are from the page cache (the data was just written): a cold-cache open adds the disk
 * reads of the active segment's indexes and tail (clean) or of the whole active segment (crash).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { buildRecordBatch } from '../../dist/protocol/records/batch-builder.js';
import { BatchCache } from '../../dist/storage/batch-cache.js';
import { openDiskPartitionLog, type DiskPartitionLog } from '../../dist/storage/disk-partition-log.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../dist/storage/types.js';
import { pct, report } from './harness.js';

const BATCH = 16 * 1024;
const MiB = 1024 * 1024;

function batches(count: number): Buffer[] {
  // Varint lengths grow with the value: size the value from a batch of about the right size.
  const probe = BATCH - 100;
  const valueSize = probe + (BATCH - buildRecordBatch([{ value: Buffer.alloc(probe) }], { now: 1_700_000_000_000 }).length);
  return Array.from({ length: count }, (_, i) => {
    const value = Buffer.alloc(valueSize, i & 0xff);
    const b = buildRecordBatch([{ value }], { now: 1_700_000_000_000 + i });
    if (b.length !== BATCH) throw new Error(`batch of ${b.length} bytes`);
    return b;
  });
}

const mbs = (bytes: number, ms: number): string => `${((bytes / MiB) / (ms / 1000)).toFixed(0)} MiB/s`;

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/**
 * Runs every contender `rounds` times, interleaved (A B C A B C ...) so that a busy moment of the
 * machine hits all of them alike, each time in a fresh directory (new file blocks for all), and
 * keeps each one's best time. A contender times its own work: opening and closing files, and the
 * log's fsync on close, stay outside.
 */
async function interleaved(rounds: number, contenders: ((dir: string) => Promise<number>)[]): Promise<number[]> {
  const best = contenders.map(() => Infinity);
  for (let r = 0; r < rounds; r++) {
    for (let c = 0; c < contenders.length; c++) {
      const dir = await mkdtemp(join(os.tmpdir(), 'gregor-bench-'));
      try {
        best[c] = Math.min(best[c], await contenders[c](dir));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  }
  return best;
}

async function openLog(dir: string, config: Partial<LogConfig> = {}, cleanShutdown = true, cache: BatchCache | null = null): Promise<DiskPartitionLog> {
  return openDiskPartitionLog(join(dir, 'bench-0'), 'bench', 0, { ...DEFAULT_LOG_CONFIG, ...config }, { cleanShutdown, batchCache: cache });
}

async function appendBench(): Promise<void> {
  const total = 32 * MiB;
  const count = total / BATCH;
  const pool = batches(64);
  const rounds = 9;

  const inFlight = 16;
  const plainAwait = async (dir: string): Promise<number> => {
    const fh = await open(join(dir, 'plain.log'), 'w');
    const ms = await timed(async () => {
      let pos = 0;
      for (let i = 0; i < count; i++) {
        const b = pool[i & 63];
        await fh.write(b, 0, b.length, pos);
        pos += b.length;
      }
    });
    await fh.close();
    return ms;
  };
  const plainSync = async (dir: string): Promise<number> => {
    const fd = openSync(join(dir, 'plain.log'), 'w');
    const ms = await timed(async () => {
      let pos = 0;
      for (let i = 0; i < count; i++) {
        const b = pool[i & 63];
        writeSync(fd, b, 0, b.length, pos);
        pos += b.length;
      }
    });
    closeSync(fd);
    return ms;
  };
  const serial = (cache: () => BatchCache | null) => async (dir: string) => {
    const log = await openLog(dir, {}, true, cache());
    const ms = await timed(async () => {
      for (let i = 0; i < count; i++) await log.append(pool[i & 63], { leaderEpoch: 0 });
    });
    await log.close();
    return ms;
  };
  // 16 appends in flight, as from several producers: the log groups them into one write.
  const plainPipelined = async (dir: string): Promise<number> => {
    const fh = await open(join(dir, 'plain.log'), 'w');
    const ms = await timed(async () => {
      let pos = 0;
      for (let i = 0; i < count; i += inFlight) {
        const group = pool.slice(i & 63, (i & 63) + inFlight);
        await fh.writev(group, pos);
        pos += inFlight * BATCH;
      }
    });
    await fh.close();
    return ms;
  };
  const logPipelined = async (dir: string): Promise<number> => {
    const log = await openLog(dir);
    const ms = await timed(async () => {
      const pending = new Set<Promise<unknown>>();
      for (let i = 0; i < count; i++) {
        const p: Promise<unknown> = log.append(pool[i & 63], { leaderEpoch: 0 }).then(() => pending.delete(p));
        pending.add(p);
        if (pending.size >= inFlight) await Promise.race(pending);
      }
      await Promise.all(pending);
    });
    await log.close();
    return ms;
  };
  // One cache for every round, as a broker keeps one for its lifetime: after the first round its
  // ring is memory already in use rather than fresh pages.
  const appendCache = new BatchCache(64 * MiB);
  const [plain, logSerial, logSerialCached, sync, plainV, logV] = await interleaved(rounds, [
    plainAwait,
    serial(() => null),
    serial(() => appendCache),
    plainSync,
    plainPipelined,
    logPipelined,
  ]);
  const plainAwaitMs = plain;
  const plainSyncMs = sync;
  const plainPipelinedMs = plainV;
  const logPipelinedMs = logV;

  report(`Append: ${total / MiB} MiB of 16 KiB batches into one partition (best of ${rounds}, interleaved, fresh files)`, [
    ['plain loop: await fh.write per batch', `${mbs(total, plainAwaitMs)} (${((plainAwaitMs * 1000) / count).toFixed(1)} us a batch)`],
    ['log.append, awaited one at a time', `${mbs(total, logSerial)} (${((logSerial * 1000) / count).toFixed(1)} us a batch)`],
    ['  / plain loop', `${pct(plainAwaitMs / logSerial)} (target >= 70%)`],
    ['log.append with a 64 MiB batch cache', `${mbs(total, logSerialCached)} = ${pct(plainAwaitMs / logSerialCached)} of the plain loop`],
    ['writeSync loop (blocks the event loop)', `${mbs(total, plainSyncMs)}; log.append = ${pct(plainSyncMs / logSerial)} of it`],
    [`plain: fh.writev of ${inFlight} batches at a time`, mbs(total, plainPipelinedMs)],
    [`log.append, ${inFlight} in flight (group commit)`, `${mbs(total, logPipelinedMs)} = ${pct(plainPipelinedMs / logPipelinedMs)} of writev, ${pct(plainAwaitMs / logPipelinedMs)} of the plain loop`],
  ]);
}

async function readBench(): Promise<void> {
  const total = 256 * MiB;
  const count = total / BATCH;
  const pool = batches(64);
  const dir = await mkdtemp(join(os.tmpdir(), 'gregor-bench-'));
  try {
    let log = await openLog(dir);
    for (let i = 0; i < count; i += 64) await log.append(Buffer.concat(pool), { leaderEpoch: 0 });
    await log.close();
    log = await openLog(dir);
    const segment = join(dir, 'bench-0', '00000000000000000000.log');
    const rounds = 5;
    let logBest = Infinity;
    let plainBest = Infinity;
    let plainReuseBest = Infinity;
    let bytesRead = 0;
    for (let r = 0; r < rounds; r++) {
      // The log: sequential consumer, 1 MiB fetches by offset.
      logBest = Math.min(
        logBest,
        await timed(async () => {
          let offset = 0n;
          let bytes = 0;
          while (offset < log.logEndOffset) {
            const res = await log.read(offset, { maxBytes: MiB });
            const last = res.records[res.records.length - 1];
            offset = last.readBigInt64BE(0) + BigInt(last.readInt32BE(23)) + 1n;
            bytes += res.size;
          }
          bytesRead = bytes;
        }),
      );
      // Plain: 1 MiB reads of the same file region into new buffers (what a fetch needs to keep).
      plainBest = Math.min(
        plainBest,
        await timed(async () => {
          const fh = await open(segment, 'r');
          for (let pos = 0; pos < total; pos += MiB) await fh.read(Buffer.allocUnsafe(MiB), 0, MiB, pos);
          await fh.close();
        }),
      );
      plainReuseBest = Math.min(
        plainReuseBest,
        await timed(async () => {
          const fh = await open(segment, 'r');
          const buf = Buffer.allocUnsafe(MiB);
          for (let pos = 0; pos < total; pos += MiB) await fh.read(buf, 0, MiB, pos);
          await fh.close();
        }),
      );
    }
    // Random offsets (each read finds its position through the offset index).
    const randomReads = 256;
    const randomMs = await timed(async () => {
      let x = 12345;
      for (let i = 0; i < randomReads; i++) {
        x = (x * 1103515245 + 12345) & 0x7fffffff;
        await log.read(BigInt(x % (count - 64)), { maxBytes: MiB });
      }
    });
    await log.close();

    // Tail reads from the batch cache: a consumer right behind a producer of 16 KiB batches (the
    // cache keeps appends of up to 64 KiB).
    const cache = new BatchCache(64 * MiB);
    log = await openLog(dir, {}, true, cache);
    const start = log.logEndOffset;
    for (let i = 0; i < 64; i++) for (const b of pool) await log.append(b, { leaderEpoch: 0 });
    const tailMs = await timed(async () => {
      for (let r = 0; r < 10; r++) {
        let offset = start;
        while (offset < log.logEndOffset) {
          const res = await log.read(offset, { maxBytes: MiB });
          const last = res.records[res.records.length - 1];
          offset = last.readBigInt64BE(0) + BigInt(last.readInt32BE(23)) + 1n;
        }
      }
    });
    await log.close();

    report(`Read: ${total / MiB} MiB by offset from the page cache, 1 MiB reads (best of ${rounds})`, [
    ['plain fh.read of 1 MiB into a new buffer', `${mbs(total, plainBest)} (${((plainBest * 1000) / (total / MiB)).toFixed(0)} us a read)`],
    ['log.read(offset, maxBytes 1 MiB), sequential', `${mbs(bytesRead, logBest)} (${((logBest * 1000) / (total / MiB)).toFixed(0)} us a read)`],
    ['  / plain reads', `${pct((bytesRead / logBest) / (total / plainBest))} (target >= 70%)`],
    ['plain fh.read into one reused buffer', mbs(total, plainReuseBest)],
    [`log.read at ${randomReads} random offsets`, `${((randomMs * 1000) / randomReads).toFixed(0)} us a read`],
    ['log.read of the tail from the batch cache', `${mbs(10 * 64 * MiB, tailMs)} (${((tailMs * 1000) / 640).toFixed(1)} us a 1 MiB read, copied out of the cache, no I/O)`],
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function recoveryBench(segmentBytes: number): Promise<[string, string][]> {
  const total = 1024 * MiB;
  const pool = batches(64);
  const group = Buffer.concat(pool);
  const dir = await mkdtemp(join(os.tmpdir(), 'gregor-bench-'));
  try {
    const config = { segmentBytes };
    let log = await openLog(dir, config);
    const fill = await timed(async () => {
      for (let written = 0; written < total; written += group.length) await log.append(group, { leaderEpoch: 0 });
    });
    const segments = log.segmentCount;
    await log.close();
    const clean: number[] = [];
    const crash: number[] = [];
    let scanned = 0;
    for (let r = 0; r < 3; r++) {
      clean.push(await timed(async () => void (log = await openLog(dir, config, true))));
      await log.close();
      crash.push(
        await timed(async () => {
          log = await openLog(dir, config, false);
          scanned = log.recovery?.validBytes ?? 0;
        }),
      );
      await log.close();
    }
    const label = `${segments} segment${segments > 1 ? 's' : ''} of ${segmentBytes / MiB} MiB`;
    return [
      [`${label}: written at`, mbs(total, fill)],
      [`${label}: open after a clean shutdown`, `${Math.min(...clean).toFixed(1)} ms (target < 500 ms)`],
      [`${label}: open after a crash`, `${Math.min(...crash).toFixed(0)} ms (scans the active segment: ${(scanned / MiB).toFixed(0)} MiB, ${mbs(scanned, Math.min(...crash))})`],
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  await appendBench();
  await readBench();
  const rows = [...(await recoveryBench(DEFAULT_LOG_CONFIG.segmentBytes)), ...(await recoveryBench(128 * MiB))];
  report('Recovery: opening a 1 GiB partition of 16 KiB batches (page cache warm)', rows);
}
