/**
 * The read path of Fetch: which bytes each partition returns, how the response budget is shared,
 * and when a fetch waits for data (Kafka's ReplicaManager.fetchMessages with DelayedFetch).
 *
 * **Reading a partition.** Stored batches are returned as they are, starting with the whole batch
 * that holds the fetch offset; the consumer skips the records before its offset, as with Kafka. The
 * partition's byte limit is min(partitionMaxBytes, what is left of the response's maxBytes). As in
 * Kafka (KIP-74), the first partition that has data returns at least its first batch whole, even if
 * that batch is larger than both limits, so an oversized batch never blocks a consumer; later
 * partitions return only batches that fit. read_uncommitted reads stop at the partition's high
 * watermark, read_committed ones at its last stable offset (partition.ts); every answer carries both.
 * A read_committed answer also lists the aborted transactions that overlap the batches it returns
 * (producer id and first offset, from the log's aborted-transaction index, Kafka's
 * collectAbortedTransactions up to the offset after the last batch returned), so the consumer can
 * drop their records; with nothing returned the list is empty. A read_uncommitted fetch of a
 * partition whose producer state was never loaded (nothing produced to it or read read_committed
 * since the start) reports the high watermark as its LSO rather than scan the log for it. A fetch offset outside [log start, log end] is
 * OFFSET_OUT_OF_RANGE (with -1 offsets, as Kafka answers errors). Damaged bytes in a segment (a
 * batch header that cannot be right) end the read: the intact batches before them are served, and a
 * fetch that starts at the damage answers CORRUPT_MESSAGE (Kafka's CorruptRecordException), logged
 * once per damaged position however often the consumer retries.
 *
 * **Followers.** A fetch with a replica id >= 0 is a follower's (Kafka's FetchLogEnd isolation): it
 * reads to the log end offset with no transaction bound, and its fetch offset, the follower's log end
 * offset, is recorded with the partition (updateFollowerFetchState, which may move the high
 * watermark and the ISR) before the read, so the answer carries the high watermark that includes it.
 * A follower that names the epoch of its last batch (v12+) and whose log parted from this one is
 * answered the diverging epoch and where it ends here, with no records and nothing recorded; a
 * diverging answer, like an error, is sent without waiting. Long-polling followers wake on appends
 * (the log end offset), consumers on the high watermark. Consumers and followers read only from a
 * leader: a follower replica answers NOT_LEADER_OR_FOLLOWER.
 *
 * **Old formats.** For Fetch v0-1 (magic 0) and v2-3 (magic 1) the batches are down-converted with
 * downConvert; uncompressed messages before the fetch offset are dropped and the result is cut to
 * whole messages within the limit (at least one for the first partition with data). A topic with
 * message.downconversion.enable=false answers those versions UNSUPPORTED_VERSION. zstd data needs
 * Fetch v10+ (KIP-110): a topic with compression.type=zstd, or zstd batches in the answer, give
 * UNSUPPORTED_COMPRESSION_TYPE to older versions.
 *
 * **Waiting.** When less than minBytes is available the fetch waits up to maxWaitMs, woken by
 * its partitions (Partition.onOffsetsMoved: appends, markers, moves of the log start); after each append it reads again and answers as soon as minBytes
 * are there (or the response is full, or a partition has an error). A fetch answers at once when
 * maxWaitMs <= 0, when it names no partition, or when any partition has an error. At expiry it
 * reads one last time. shutdown() answers every waiting fetch at once with what it has.
 *
 * **Sessions.** Which partitions a fetch reads, and which of them its response carries, is the Fetch
 * API's session bookkeeping (server/fetch/fetch-sessions.ts): this service reads the partitions it
 * is given and reports every one.
 */
import { ZERO_UUID } from '../protocol/reader.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import {
  ATTRIBUTES_OFFSET,
  COMPRESSION_CODEC_MASK,
  CompressionCodec,
  downConvert,
  forEachBatch,
  MAGIC_OFFSET,
  UnsupportedCompressionError,
  type LegacyMagic,
} from '../protocol/records/index.js';
import { BASE_OFFSET_OFFSET, LAST_OFFSET_DELTA_OFFSET } from '../protocol/records/record-batch.js';
import type { ResolvedBrokerConfig } from '../config/broker-config.js';
import type { MetadataStore, Topic } from '../metadata/metadata-store.js';
import { CorruptRecordError, OffsetOutOfRangeError, type ReadOptions } from '../storage/types.js';
import { storageFailureCode } from './storage-failure.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Partition } from './partition.js';
import type { PartitionManager } from './partition-manager.js';
import type { FrameBufferPool } from '../util/frame-buffer-pool.js';
import { ReadBuffers, fetchReadPool } from './read-buffers.js';

/** Kafka's default for the broker's fetch.max.bytes: the cap on a consumer fetch response (55 MiB). */
export const DEFAULT_FETCH_MAX_BYTES = 57_671_680;

const EMPTY = Buffer.alloc(0);

/** One partition as a fetch request names it. */
export interface FetchPartitionRequest {
  /** The topic name (empty when the request names topics by id). */
  topic: string;
  /** The topic id (the zero uuid when the request names topics by name). */
  topicId: string;
  partition: number;
  fetchOffset: bigint;
  partitionMaxBytes: number;
  currentLeaderEpoch: number;
  /** The fetcher's own log start offset (followers; -1 for consumers). */
  logStartOffset: bigint;
  lastFetchedEpoch: number;
}

export interface ReadParams {
  maxWaitMs: number;
  minBytes: number;
  /** The response's byte budget (Fetch v3+; older versions have none: 2^31-1). */
  maxBytes: number;
  /** 0 read_uncommitted, 1 read_committed. */
  isolationLevel: number;
  /** Fetch v13+: partitions are named by topic id. */
  usesTopicIds: boolean;
  /** The partitions to read, in the order their budget is shared. */
  partitions: readonly FetchPartitionRequest[];
  /** The message format the client reads: 0 (Fetch v0-1), 1 (v2-3) or 2. */
  recordMagic: 0 | 1 | 2;
  /** Whether the client can read zstd (Fetch v10+). */
  allowZstd: boolean;
  /** The fetching replica's broker id (a follower), or negative for a consumer (-1, or -2 for debugging). */
  replicaId?: number;
  /** A follower's broker epoch (Fetch v15+ ReplicaState), -1 when unknown. */
  replicaEpoch?: bigint;
}

export interface PartitionFetchResult {
  /** As the request named it: the topic name, or '' when named by id. */
  topic: string;
  /** As the request named it: the topic id, or the zero uuid when named by name. */
  topicId: string;
  partition: number;
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
  /** read_committed: the aborted transactions overlapping the records returned; null otherwise. */
  abortedTransactions: { producerId: bigint; firstOffset: bigint }[] | null;
  /** The record bytes to send (empty when none). */
  records: Buffer;
  /** A follower's log diverged from this one: the epoch and end offset it must truncate to (v12+). */
  divergingEpoch: { epoch: number; endOffset: bigint } | null;
}

export interface FetchRead {
  /** One result per partition read, in the order they were given. */
  partitions: PartitionFetchResult[];
  /** The record bytes each partition returned, in the same order. */
  sizes: number[];
  /**
   * Gives the buffers the records were read into back to the pool: call it once the records have
   * been written to the socket (or will never be), not before. Not calling it only costs the reuse.
   */
  release: () => void;
}

export interface FetchServiceOptions {
  metadata: MetadataStore;
  partitions: PartitionManager;
  clock: Clock;
  logger: Logger;
  /** The broker's fetch.max.bytes. */
  maxResponseBytes?: number;
  /** The pool the log reads are lent buffers from (by default one of the service's own). */
  readPool?: FrameBufferPool;
}

/** The fetch settings of a broker configuration. */
export function fetchSettingsFrom(config: ResolvedBrokerConfig): { maxResponseBytes: number } {
  return { maxResponseBytes: config.config.fetchMaxBytes };
}

/** One partition's read, with what the waiting logic needs. */
interface PartitionRead {
  result: PartitionFetchResult;
  size: number;
  /** The partition read (for append subscriptions), or null when it is unknown. */
  target: Partition | null;
  /** What bounds the read when it began (the high watermark, or a follower's log end offset): a move before the wait subscribed is not missed. */
  seen: bigint;
  /** A follower's read: bounded by the log end offset. */
  toLogEnd: boolean;
}

interface ReadRound {
  reads: PartitionRead[];
  bytes: number;
  /** A partition has an error or a diverging epoch: the fetch answers without waiting (Kafka's fetchMessages). */
  answerNow: boolean;
  /** The response budget ran out: nothing more can be added by waiting. */
  full: boolean;
  /** What the reads were read into: released when the round is dropped or its response written. */
  buffers: ReadBuffers;
}

export class FetchService {
  /** The broker's fetch.max.bytes: a consumer's maxBytes is capped by it. */
  readonly maxResponseBytes: number;
  private readonly metadata: MetadataStore;
  private readonly partitions: PartitionManager;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly waiting = new Set<() => void>();
  /** Lends the buffers log reads go into (their use can be watched through it). */
  readonly readPool: FrameBufferPool;
  private closed = false;

  constructor(options: FetchServiceOptions) {
    this.metadata = options.metadata;
    this.partitions = options.partitions;
    this.clock = options.clock;
    this.logger = options.logger;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_FETCH_MAX_BYTES;
    this.readPool = options.readPool ?? fetchReadPool();
  }

  /** Fetches waiting for data right now. */
  get waitingFetches(): number {
    return this.waiting.size;
  }

  /** Answers every waiting fetch now and stops waiting from here on (broker stop). */
  shutdown(): void {
    this.closed = true;
    for (const wake of [...this.waiting]) wake();
  }

  /** Reads the partitions, waiting for minBytes up to maxWaitMs. */
  async read(params: ReadParams): Promise<FetchRead> {
    const partitions = params.partitions;
    const maxBytes = Math.max(0, Math.min(params.maxBytes, this.maxResponseBytes));
    const read = (): Promise<ReadRound> => this.readAll(partitions, params, maxBytes);
    let round = await read();
    const enough = (r: ReadRound): boolean => r.answerNow || r.full || r.bytes >= params.minBytes;
    if (!this.closed && params.maxWaitMs > 0 && partitions.length > 0 && !enough(round)) {
      round = await this.waitForData(round, params.maxWaitMs, params.minBytes, read, enough);
    }
    const buffers = round.buffers;
    return {
      partitions: round.reads.map((r) => r.result),
      sizes: round.reads.map((r) => r.size),
      release: () => { buffers.release(); },
    };
  }

  /**
   * Waits until `enough` holds after an append to one of the partitions, the wait expires (then reads
   * once more), or the service shuts down (then answers with the last read).
   */
  private waitForData(
    first: ReadRound,
    maxWaitMs: number,
    minBytes: number,
    read: () => Promise<ReadRound>,
    enough: (r: ReadRound) => boolean,
  ): Promise<ReadRound> {
    return new Promise<ReadRound>((resolve, reject) => {
      let last = first;
      let done = false;
      let reading = false;
      let again = false;
      let expired = false;
      /** Bytes appended since the read in `last` began: no read is worth it before `minBytes` may be met. */
      let appended = 0;
      const unsubscribe: (() => void)[] = [];
      const seen = new Set<Partition>();
      for (const r of first.reads) {
        if (r.target === null || seen.has(r.target)) continue;
        seen.add(r.target);
        unsubscribe.push(r.target.onOffsetsMoved((bytes) => { onAppend(bytes); }));
      }
      const settle = (outcome: () => void): void => {
        if (done) return;
        done = true;
        this.clock.clearTimeout(timer);
        this.waiting.delete(wake);
        for (const u of unsubscribe) u();
        outcome();
      };
      const finish = (round: ReadRound): void => { settle(() => { resolve(round); }); };
      const fail = (err: unknown): void => { settle(() => { reject(err); }); };
      const reread = (): void => {
        reading = true;
        again = false;
        appended = 0;
        read().then(
          (round) => {
            reading = false;
            // The round not answered is referenced by nothing else: its buffers can go back.
            if (done) {
              round.buffers.release();
              return;
            }
            last.buffers.release();
            last = round;
            if (expired || enough(round)) finish(round);
            else if (again) reread();
          },
          (err: unknown) => {
            reading = false;
            fail(err);
          },
        );
      };
      const onAppend = (bytes: number | null): void => {
        if (done) return;
        if (bytes === null) appended = Infinity;
        else appended += bytes;
        // The stored batches are the appended bytes, so a read now gets at most last.bytes + appended.
        if (last.bytes + appended < minBytes) return;
        if (reading) again = true;
        else reread();
      };
      const wake = (): void => { finish(last); };
      const timer: TimerHandle = this.clock.setTimeout(() => {
        if (done) return;
        expired = true;
        if (!reading) reread();
        // else: the read in flight answers when it completes.
      }, maxWaitMs);
      this.waiting.add(wake);
      // Appends that landed between the first read and the subscriptions above were not seen by either.
      if (first.reads.some((r) => r.target !== null && boundOf(r.target, r.toLogEnd) !== r.seen)) onAppend(null);
    });
  }

  /** Reads every partition in order, sharing the response budget (KIP-74). */
  private async readAll(partitions: readonly FetchPartitionRequest[], params: ReadParams, maxBytes: number): Promise<ReadRound> {
    const reads: PartitionRead[] = [];
    let remaining = maxBytes;
    let minOneMessage = true;
    let bytes = 0;
    let answerNow = false;
    let full = false;
    const buffers = new ReadBuffers(this.readPool);
    for (const p of partitions) {
      const limit = Math.max(0, Math.min(p.partitionMaxBytes, remaining));
      const r = await this.readPartition(p, params, limit, minOneMessage, buffers);
      reads.push(r);
      if (r.result.errorCode !== ErrorCode.None || r.result.divergingEpoch !== null) answerNow = true;
      if (r.size > 0) {
        // After the first partition with data, limits are enforced strictly.
        minOneMessage = false;
        bytes += r.size;
        remaining = Math.max(0, remaining - r.size);
      }
      if (remaining === 0 && maxBytes > 0) full = true;
    }
    return { reads, bytes, answerNow, full, buffers };
  }

  private async readPartition(
    p: FetchPartitionRequest,
    params: ReadParams,
    limit: number,
    minOneMessage: boolean,
    buffers: ReadBuffers,
  ): Promise<PartitionRead> {
    const result: PartitionFetchResult = {
      topic: params.usesTopicIds ? '' : p.topic,
      topicId: params.usesTopicIds ? p.topicId : ZERO_UUID,
      partition: p.partition,
      errorCode: ErrorCode.None,
      highWatermark: -1n,
      lastStableOffset: -1n,
      logStartOffset: -1n,
      abortedTransactions: null,
      records: EMPTY,
      divergingEpoch: null,
    };
    const replicaId = params.replicaId ?? CONSUMER_REPLICA_ID;
    const fromFollower = replicaId >= 0;
    const failed = (errorCode: number, target: Partition | null): PartitionRead => {
      result.errorCode = errorCode;
      return { result, size: 0, target, seen: target === null ? -1n : boundOf(target, fromFollower), toLogEnd: fromFollower };
    };

    const topic: Topic | undefined = params.usesTopicIds ? this.metadata.topicById(p.topicId) : this.metadata.topic(p.topic);
    if (!topic) return failed(params.usesTopicIds ? ErrorCode.UnknownTopicId : ErrorCode.UnknownTopicOrPartition, null);
    const part: Partition | undefined =
      p.partition >= 0 && p.partition < topic.partitions ? this.partitions.get(topic.name, p.partition) : undefined;
    if (!part) return failed(ErrorCode.UnknownTopicOrPartition, null);
    // Consumers and followers alike read from the leader only (no KIP-392 follower fetching).
    const epochError = part.checkLeaderEpoch(p.currentLeaderEpoch, true);
    if (epochError !== ErrorCode.None) return failed(epochError, part);
    if (!params.allowZstd && topic.config.compressionType === 'zstd') return failed(ErrorCode.UnsupportedCompressionType, part);
    // A follower reads to the log end offset, with no transaction bound (Kafka's FetchLogEnd isolation).
    const committed = !fromFollower && params.isolationLevel === 1;

    if (fromFollower) {
      const outcome = this.followerFetch(part, p, replicaId, params.replicaEpoch ?? -1n);
      if (typeof outcome !== 'number') {
        result.divergingEpoch = outcome;
        setOffsets(result, part.logStartOffset, part.highWatermark, part.lastStableOffset);
        return { result, size: 0, target: part, seen: part.logEndOffset, toLogEnd: true };
      }
      if (outcome !== ErrorCode.None) return failed(outcome, part);
    }

    let records: Buffer[];
    let size: number;
    const seen = boundOf(part, fromFollower);
    try {
      // read_committed needs the last stable offset, hence the producer state (loaded once, on first
      // use: it may scan the log). A read_uncommitted fetch does not load it for an LSO it does not use.
      if (committed) {
        const producers = part.producerState();
        if (producers instanceof Promise) await producers;
      }
      const logStart = part.logStartOffset;
      const logEnd = part.logEndOffset;
      const highWatermark = part.highWatermark;
      const lastStable = part.lastStableOffset;
      if (p.fetchOffset < logStart || p.fetchOffset > logEnd) return failed(ErrorCode.OffsetOutOfRange, part);
      if (committed) result.abortedTransactions = [];
      if (limit === 0 && !minOneMessage) {
        records = [];
        size = 0;
        setOffsets(result, logStart, highWatermark, lastStable);
      } else {
        const options: ReadOptions = { maxBytes: limit, buffers };
        if (!fromFollower) options.maxOffset = committed ? lastStable : highWatermark;
        const read = await part.log.read(p.fetchOffset, options);
        setOffsets(result, read.logStartOffset, highWatermark, lastStable);
        records = read.records;
        size = read.size;
        if (!minOneMessage && records.length > 0 && records[0].length > limit) {
          // Only the first partition with data may exceed the limits.
          records = [];
          size = 0;
        }
      }
      if (committed && size > 0) {
        const aborted = await part.abortedTransactions(p.fetchOffset, nextOffsetAfter(records));
        result.abortedTransactions = aborted.map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset }));
      }
    } catch (err) {
      if (err instanceof OffsetOutOfRangeError) return failed(ErrorCode.OffsetOutOfRange, part);
      if (err instanceof CorruptRecordError) {
        // A consumer retries this fetch: say it once per damage, not once per try.
        if (err.firstReport) {
          this.logger.error(
            { topic: topic.name, partition: p.partition, fetchOffset: p.fetchOffset, file: err.file, position: err.position, reason: err.reason },
            'fetch met a damaged batch: answering CORRUPT_MESSAGE',
          );
        }
        return failed(ErrorCode.CorruptMessage, part);
      }
      return failed(storageFailureCode(err, this.logger, { topic: topic.name, partition: p.partition }, 'fetch read failed'), part);
    }
    if (size === 0) return { result, size: 0, target: part, seen, toLogEnd: fromFollower };

    let bytes = joinBuffers(records, size);
    if (!params.allowZstd && hasZstdBatch(bytes)) return failedKeepingOffsets(result, ErrorCode.UnsupportedCompressionType, part, seen, fromFollower);
    if (params.recordMagic < 2) {
      if (!topic.config.messageDownconversionEnable) return failedKeepingOffsets(result, ErrorCode.UnsupportedVersion, part, seen, fromFollower);
      try {
        bytes = trimLegacy(downConvert(bytes, params.recordMagic as LegacyMagic, { allowPartialTail: true }), p.fetchOffset, limit, minOneMessage);
      } catch (err) {
        if (err instanceof UnsupportedCompressionError) return failedKeepingOffsets(result, ErrorCode.UnsupportedCompressionType, part, seen, fromFollower);
        this.logger.error({ err, topic: topic.name, partition: p.partition }, 'down-conversion failed');
        return failedKeepingOffsets(result, ErrorCode.UnknownServerError, part, seen, fromFollower);
      }
    }
    result.records = bytes;
    return { result, size: bytes.length, target: part, seen, toLogEnd: fromFollower };
  }

  /**
   * The leader's side of a follower's fetch before its read (Kafka's Partition.fetchRecords and
   * readRecords for a follower): when the follower names the epoch of its last batch and this log
   * shows the follower's log diverged (that epoch is unknown here or ends before the fetch offset),
   * the answer is the diverging epoch, with nothing recorded for the follower; an epoch this log
   * cannot place, or a fetch offset outside the log, is OFFSET_OUT_OF_RANGE. Otherwise the fetch
   * offset is the follower's log end offset, recorded before the read so that the high watermark the
   * answer carries includes it.
   */
  private followerFetch(part: Partition, p: FetchPartitionRequest, replicaId: number, replicaEpoch: bigint): number | { epoch: number; endOffset: bigint } {
    const logEnd = part.logEndOffset;
    if (p.fetchOffset < part.logStartOffset) return ErrorCode.OffsetOutOfRange;
    if (p.lastFetchedEpoch >= 0) {
      const end = part.log.leaderEpochs.endOffsetFor(p.lastFetchedEpoch, logEnd);
      if (end.leaderEpoch < 0 || end.endOffset < 0n) return ErrorCode.OffsetOutOfRange;
      if (end.leaderEpoch < p.lastFetchedEpoch || end.endOffset < p.fetchOffset) return { epoch: end.leaderEpoch, endOffset: end.endOffset };
    }
    if (p.fetchOffset > logEnd) return ErrorCode.OffsetOutOfRange;
    return part.updateFollowerFetchState(replicaId, replicaEpoch, p.fetchOffset, p.logStartOffset);
  }
}

/** Kafka's CONSUMER_REPLICA_ID. */
const CONSUMER_REPLICA_ID = -1;

/** What bounds a read of the partition: the log end offset for a follower, the high watermark otherwise. */
function boundOf(part: Partition, toLogEnd: boolean): bigint {
  return toLogEnd ? part.logEndOffset : part.highWatermark;
}


function setOffsets(result: PartitionFetchResult, logStart: bigint, highWatermark: bigint, lastStable: bigint): void {
  result.highWatermark = highWatermark;
  result.lastStableOffset = lastStable;
  result.logStartOffset = logStart;
}

/** The offset after the last batch of stored v2 batches. */
function nextOffsetAfter(records: readonly Buffer[]): bigint {
  let next = -1n;
  for (const buf of records) {
    forEachBatch(
      buf,
      (start) => {
        next = buf.readBigInt64BE(start + BASE_OFFSET_OFFSET) + BigInt(buf.readInt32BE(start + LAST_OFFSET_DELTA_OFFSET)) + 1n;
      },
      { allowPartialTail: true },
    );
  }
  return next;
}

/** An error found after the read: Kafka answers it with the -1 offsets of an error response. */
function failedKeepingOffsets(result: PartitionFetchResult, errorCode: number, target: Partition, seen: bigint, toLogEnd: boolean): PartitionRead {
  result.errorCode = errorCode;
  result.highWatermark = -1n;
  result.lastStableOffset = -1n;
  result.logStartOffset = -1n;
  result.abortedTransactions = null;
  result.records = EMPTY;
  return { result, size: 0, target, seen, toLogEnd };
}

/**
 * One buffer over consecutive slices: a view when they are adjacent in one allocation (a disk read
 * sliced into batches), a copy otherwise.
 */
export function joinBuffers(parts: readonly Buffer[], size: number): Buffer {
  if (parts.length === 1) return parts[0];
  const first = parts[0];
  let contiguous = true;
  for (let i = 1; i < parts.length && contiguous; i++) {
    const prev = parts[i - 1];
    const cur = parts[i];
    contiguous = cur.buffer === first.buffer && cur.byteOffset === prev.byteOffset + prev.length;
  }
  if (contiguous) return Buffer.from(first.buffer, first.byteOffset, size);
  return Buffer.concat(parts, size);
}

function hasZstdBatch(bytes: Buffer): boolean {
  let found = false;
  forEachBatch(
    bytes,
    (start, _end, magic) => {
      const attributes = magic === 2 ? bytes.readInt16BE(start + ATTRIBUTES_OFFSET) : bytes.readInt8(start + MAGIC_OFFSET + 1);
      if ((attributes & COMPRESSION_CODEC_MASK) === CompressionCodec.Zstd) found = true;
    },
    { allowPartialTail: true },
  );
  return found;
}

/**
 * Cuts a down-converted message set to whole messages within `limit` (at least one when
 * `minOneMessage`), leaving out uncompressed messages before the fetch offset as Kafka's
 * down-conversion does (a compressed wrapper stays whole: its client skips inside it).
 */
function trimLegacy(converted: Buffer, fetchOffset: bigint, limit: number, minOneMessage: boolean): Buffer {
  const keep: [number, number][] = [];
  let total = 0;
  let stop = false;
  forEachBatch(
    converted,
    (start, end) => {
      if (stop) return;
      const compressed = (converted.readInt8(start + MAGIC_OFFSET + 1) & COMPRESSION_CODEC_MASK) !== 0;
      if (!compressed && converted.readBigInt64BE(start) < fetchOffset) return;
      const size = end - start;
      if (total + size > limit && !(minOneMessage && keep.length === 0)) {
        stop = true;
        return;
      }
      const last = keep.at(-1);
      if (last && last[1] === start) last[1] = end;
      else keep.push([start, end]);
      total += size;
    },
    { allowPartialTail: true },
  );
  if (keep.length === 1 && keep[0][0] === 0 && keep[0][1] === converted.length) return converted;
  return Buffer.concat(
    keep.map(([s, e]) => converted.subarray(s, e)),
    total,
  );
}
