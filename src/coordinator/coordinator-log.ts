/**
 * The coordinator's log: durable state changes as Kafka's __consumer_offsets records, kept in the
 * broker's state log (msgpack frames with snapshots; see storage/state-log.ts).
 *
 * The coordinator changes its durable state only through `apply`, the function that also replays
 * the log at start: `write(batch)` appends the batch and, once it is written, applies its records.
 * So a restart rebuilds exactly what was acknowledged, and recovery is the normal code path (Kafka's
 * CoordinatorShard `replay`). A write hands `apply` the records it encoded, so they are not decoded
 * again; at start they are decoded from the bytes.
 *
 * The records are the group coordinator's by default; the transaction coordinator keeps its own
 * records (transaction/txn-log-records.ts) in a log of its own, with its decoder and builder.
 *
 * Frames (records.ts describes the batch layout):
 *   record   = { b: batch }          one write: the records of one request, atomically
 *   snapshot = { v: 1, b: batch }    the live keys at the time, then the records of writes still in
 *                                    flight (appended before the snapshot, not yet applied), in order
 *
 * Snapshots: after a write is applied, when the log has grown past `snapshotMinBytes` (default
 * 64 MiB, after offsets.topic.segment.bytes: Kafka's offsets log also holds up to a segment of
 * records before its cleaner compacts them) and past twice the previous snapshot, the whole state is
 * written as one snapshot (so compaction costs stay proportional to the state, as a compacted
 * topic's cleaner). Appends wait while the state log writes a snapshot (tens of milliseconds with
 * its fsyncs), so snapshots are kept rare: at 500 commits of 100 partitions a second, one every
 * 20 s. A clean shutdown writes one too when the log holds more than a little, so that the next
 * start replays a snapshot rather than the records (about 15 ms per MiB of records to replay).
 */
import { decode as msgpackDecode } from '@msgpack/msgpack';
import { readDamagedLogPayloads, readDamagedSnapshotPayload, type StateLog } from '../storage/state-log.js';
import type { Logger } from '../util/logger.js';
import { decodeBatch, groupIdsInDamagedBatch, type CoordinatorRecord } from './records.js';

interface Frame {
  v?: number;
  b: Uint8Array;
}

/** The records of one write or snapshot, as bytes and (for a write) as the records to apply. */
export interface CoordinatorBatch<R> {
  finish(): Buffer;
  readonly records: readonly R[];
}

export interface CoordinatorLogOptions<R = CoordinatorRecord> {
  /** Applies records to the coordinator's state: on replay and after each write. */
  apply: (records: readonly R[]) => void;
  /** Every live key of the state, for a snapshot; `sizeHint` is the previous snapshot's size in bytes. */
  snapshot: (sizeHint: number) => CoordinatorBatch<R>;
  /** Reads a batch's bytes back into records. Default: the group coordinator's decodeBatch. */
  decode?: (bytes: Uint8Array) => R[];
  /** Who owns the log, for its messages. Default 'group coordinator'. */
  name?: string;
  logger: Logger;
  /** Do not snapshot before the log holds this many bytes since the last one. Default 64 MiB. */
  snapshotMinBytes?: number;
}

const DEFAULT_SNAPSHOT_MIN_BYTES = 64 * 1024 * 1024;
/** A clean shutdown snapshots a log holding at least this much since the last snapshot. */
const CLOSE_SNAPSHOT_MIN_BYTES = 1024 * 1024;

interface InFlight {
  bytes: Buffer;
}

export class CoordinatorLog<R = CoordinatorRecord> {
  /** Writes appended and not yet applied, in append order. */
  private readonly inFlight: InFlight[] = [];
  private snapshotting = false;
  private lastSnapshotBytes = 0;
  private readonly snapshotMinBytes: number;
  private readonly decode: (bytes: Uint8Array) => R[];
  private readonly name: string;

  constructor(
    private readonly stateLog: StateLog,
    private readonly options: CoordinatorLogOptions<R>,
  ) {
    this.snapshotMinBytes = options.snapshotMinBytes ?? DEFAULT_SNAPSHOT_MIN_BYTES;
    // Without a decoder R is the group coordinator's record type (the default type argument).
    this.decode = options.decode ?? (decodeBatch as unknown as (bytes: Uint8Array) => R[]);
    this.name = options.name ?? 'group coordinator';
  }

  /** Replays the snapshot and the records after it through `apply`. Call once, before any write. */
  async load(): Promise<{ records: number }> {
    let records = 0;
    for await (const entry of this.stateLog.replay()) {
      const batch = this.decode((entry.value as Frame).b);
      if (entry.kind === 'snapshot') this.lastSnapshotBytes = (entry.value as Frame).b.length;
      else records += batch.length;
      this.options.apply(batch);
    }
    return { records };
  }

  /**
   * The group ids a damaged snapshot set aside by the state log (its `copy`) still names, as far
   * as its bytes can be read: the frame's checksum failed, so this is a best effort for reporting
   * what could not be loaded, never state to apply. Empty when nothing can be read.
   */
  static async groupsInDamagedSnapshot(copy: string): Promise<Set<string>> {
    const payload = await readDamagedSnapshotPayload(copy).catch(() => undefined);
    return payload === undefined ? new Set() : groupsInFramePayload(payload);
  }

  /**
   * The group ids named by the records in bytes the state log cut from a log (`copy` of a damage
   * of kind 'log'), frame by frame as far as the frames' lengths hold, checksums not asked: the
   * groups whose commits in those bytes are lost. Best effort, for reporting only.
   */
  static async groupsInDamagedLog(copy: string): Promise<Set<string>> {
    const groups = new Set<string>();
    const frames = await readDamagedLogPayloads(copy).catch(() => []);
    for (const payload of frames) for (const g of groupsInFramePayload(payload)) groups.add(g);
    return groups;
  }

  /** Appends the batch as one frame; once written, applies its records. Rejects (unapplied) when the append fails. */
  async write(batch: CoordinatorBatch<R>): Promise<void> {
    const item: InFlight = { bytes: batch.finish() };
    this.inFlight.push(item);
    try {
      await this.stateLog.append({ b: item.bytes } satisfies Frame);
    } finally {
      const i = this.inFlight.indexOf(item);
      if (i >= 0) this.inFlight.splice(i, 1);
    }
    this.options.apply(batch.records);
    this.maybeSnapshot();
  }

  /** Writes a snapshot now (tests; tools). */
  async snapshotNow(): Promise<void> {
    await this.takeSnapshot();
  }

  /** Before a clean shutdown: a snapshot if the log has grown, so that the next start is quick. */
  async snapshotBeforeClose(): Promise<void> {
    if (this.snapshotting || this.stateLog.bytesSinceSnapshot < CLOSE_SNAPSHOT_MIN_BYTES) return;
    await this.takeSnapshot().catch((err: unknown) => { this.options.logger.warn({ err }, `${this.name}: writing a snapshot at shutdown failed`); });
  }

  private maybeSnapshot(): void {
    if (this.snapshotting) return;
    const bytes = this.stateLog.bytesSinceSnapshot;
    if (bytes < this.snapshotMinBytes || bytes < 2 * this.lastSnapshotBytes) return;
    void this.takeSnapshot().catch((err: unknown) => { this.options.logger.warn({ err }, `${this.name}: writing a snapshot failed`); });
  }

  private async takeSnapshot(): Promise<void> {
    this.snapshotting = true;
    const started = performance.now();
    try {
      // Taken synchronously: the applied state, then the writes still in flight, which the state
      // log writes before the snapshot and then drops with the old generation.
      const state = this.options.snapshot(this.lastSnapshotBytes).finish();
      const b = this.inFlight.length === 0 ? state : Buffer.concat([state, ...this.inFlight.map((w) => w.bytes)]);
      this.lastSnapshotBytes = b.length;
      const built = performance.now();
      await this.stateLog.writeSnapshot({ v: 1, b } satisfies Frame);
      this.options.logger.debug({ bytes: b.length, buildMs: +(built - started).toFixed(2), totalMs: +(performance.now() - started).toFixed(2) }, `wrote a snapshot of the ${this.name} log`);
    } finally {
      this.snapshotting = false;
    }
  }
}

/** The group ids in one frame's payload ({ v?, b: batch }), read as far as it goes. */
function groupsInFramePayload(payload: Buffer): Set<string> {
  let batch: Uint8Array | undefined;
  try {
    const frame = msgpackDecode(payload) as Partial<Frame> | null;
    if (frame && frame.b instanceof Uint8Array) batch = frame.b;
  } catch {
    // Cut short or garbled: the batch starts after the "b" key and its bin header.
    batch = binAfterKeyB(payload);
  }
  return batch === undefined ? new Set() : groupIdsInDamagedBatch(batch);
}

/** The bytes of the msgpack bin value under the key "b" of an encoded Frame, as far as they go. */
function binAfterKeyB(payload: Buffer): Buffer | undefined {
  // fixstr "b" then bin 8, 16 or 32 (msgpack's header for byte arrays of those length sizes).
  for (let at = payload.indexOf(Buffer.from([0xa1, 0x62])); at >= 0; at = payload.indexOf(Buffer.from([0xa1, 0x62]), at + 1)) {
    const tag = payload[at + 2];
    const lengthBytes = tag === 0xc4 ? 1 : tag === 0xc5 ? 2 : tag === 0xc6 ? 4 : 0;
    if (lengthBytes === 0 || at + 3 + lengthBytes > payload.length) continue;
    const start = at + 3 + lengthBytes;
    const length = payload.readUIntBE(at + 3, lengthBytes);
    return payload.subarray(start, Math.min(payload.length, start + length));
  }
  return undefined;
}
