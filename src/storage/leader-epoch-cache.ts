/**
 * A partition's leader epochs and the offset each began at (Kafka's LeaderEpochFileCache): what a
 * follower asks the leader for (OffsetForLeaderEpoch, Fetch's divergingEpoch) to find where its log
 * and the leader's part, and what a leader answers from.
 *
 * Entries are kept in epoch order with strictly increasing epochs and start offsets. Changes are
 * made in memory at once (readers see them as soon as the call returns) and then handed to the
 * persistence hook, if any, one write at a time and in order; the returned promise resolves once
 * the state that includes the change is written. A disk log's hook writes the partition's
 * `leader-epoch-checkpoint` (leader-epoch-checkpoint.ts); a memory log has none.
 */

export interface EpochEntry {
  epoch: number;
  startOffset: bigint;
}

/** Kafka's UNDEFINED_EPOCH and UNDEFINED_EPOCH_OFFSET. */
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1n;

/** Writes the whole list of entries durably (the checkpoint file of a disk log). */
export type EpochPersistence = (entries: readonly EpochEntry[]) => Promise<void>;

export class LeaderEpochCache {
  private epochs: EpochEntry[];
  private readonly persist: EpochPersistence | null;
  /** The write in flight, if any, and whether another must follow it. */
  private writing: Promise<void> | null = null;
  private dirty = false;

  /** `entries` must be ordered by epoch and start offset (a loaded checkpoint); they are not written back. */
  constructor(entries: readonly EpochEntry[] = [], persist?: EpochPersistence) {
    this.epochs = entries.map((e) => ({ epoch: e.epoch, startOffset: e.startOffset }));
    this.persist = persist ?? null;
  }

  /** -1 when empty. */
  latestEpoch(): number {
    return this.epochs.at(-1)?.epoch ?? UNDEFINED_EPOCH;
  }

  /** Copies of the entries, oldest first. */
  entries(): readonly EpochEntry[] {
    return this.epochs.map((e) => ({ epoch: e.epoch, startOffset: e.startOffset }));
  }

  /**
   * Records that `epoch` starts at `startOffset`; ignored unless epoch > latestEpoch(). Entries
   * starting at or after `startOffset` are dropped first, as Kafka does, so start offsets stay
   * increasing. Durable before it resolves when the cache has a persistence hook.
   */
  assign(epoch: number, startOffset: bigint): Promise<void> {
    if (!Number.isInteger(epoch) || epoch < 0 || startOffset < 0n) {
      return Promise.reject(new RangeError(`invalid partition leader epoch entry: epoch ${epoch} at offset ${startOffset}`));
    }
    return this.put(epoch, startOffset) ? this.changed() : Promise.resolve();
  }

  /** The in-memory part of assign; true when it changed something. */
  private put(epoch: number, startOffset: bigint): boolean {
    if (epoch <= this.latestEpoch()) return false;
    let keep = this.epochs.length;
    while (keep > 0 && this.epochs[keep - 1].startOffset >= startOffset) keep--;
    this.epochs = [...this.epochs.slice(0, keep), { epoch, startOffset }];
    return true;
  }

  /** assign() of each entry in turn, with one write at the end (Kafka's assign of a list). */
  assignAll(entries: readonly EpochEntry[]): Promise<void> {
    let changed = false;
    for (const e of entries) {
      if (!Number.isInteger(e.epoch) || e.epoch < 0 || e.startOffset < 0n) {
        return Promise.reject(new RangeError(`invalid partition leader epoch entry: epoch ${e.epoch} at offset ${e.startOffset}`));
      }
    }
    for (const e of entries) changed = this.put(e.epoch, e.startOffset) || changed;
    return changed ? this.changed() : Promise.resolve();
  }

  /**
   * Kafka's endOffsetFor: the largest epoch <= `epoch` and where it ends (the next epoch's start,
   * or logEndOffset for the latest epoch). As Kafka: UNDEFINED (-1, -1) when `epoch` is -1, when the
   * cache is empty, or when `epoch` is above the latest; when `epoch` is below the first entry, the
   * requested epoch itself ending at the first entry's start offset (the data before it is gone).
   */
  endOffsetFor(epoch: number, logEndOffset: bigint): { leaderEpoch: number; endOffset: bigint } {
    const undefinedAnswer = { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (epoch === UNDEFINED_EPOCH) return undefinedAnswer;
    const epochs = this.epochs;
    if (epochs.length > 0 && epochs[epochs.length - 1].epoch === epoch) return { leaderEpoch: epoch, endOffset: logEndOffset };
    // The first entry with a higher epoch, and the one before it (the floor).
    let lo = 0;
    let hi = epochs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (epochs[mid].epoch <= epoch) lo = mid + 1;
      else hi = mid;
    }
    if (lo === epochs.length) return undefinedAnswer;
    const higher = epochs[lo];
    if (lo === 0) return { leaderEpoch: epoch, endOffset: higher.startOffset };
    return { leaderEpoch: epochs[lo - 1].epoch, endOffset: higher.startOffset };
  }

  /** The epoch of the entry covering `offset` (the last starting at or before it), or -1 (Kafka's epochForOffset). */
  epochForOffset(offset: bigint): number {
    let found = UNDEFINED_EPOCH;
    for (const e of this.epochs) {
      if (e.startOffset > offset) break;
      found = e.epoch;
    }
    return found;
  }

  /** Drops the entries with startOffset >= endOffset (a truncation of the log to endOffset). */
  truncateFromEnd(endOffset: bigint): Promise<void> {
    if (endOffset < 0n) return Promise.resolve();
    let keep = this.epochs.length;
    while (keep > 0 && this.epochs[keep - 1].startOffset >= endOffset) keep--;
    if (keep === this.epochs.length) return Promise.resolve();
    this.epochs = this.epochs.slice(0, keep);
    return this.changed();
  }

  /**
   * Kafka's truncateFromStart (the log start moved to `startOffset`): the entries starting at or
   * before it give way to the last of them, which now starts at `startOffset`. An entry starting
   * exactly there is kept as it is.
   */
  truncateFromStart(startOffset: bigint): Promise<void> {
    let n = 0;
    while (n < this.epochs.length && this.epochs[n].startOffset <= startOffset) n++;
    if (n === 0) return Promise.resolve();
    const last = this.epochs[n - 1];
    if (n === 1 && last.startOffset === startOffset) return Promise.resolve();
    this.epochs = [{ epoch: last.epoch, startOffset }, ...this.epochs.slice(n)];
    return this.changed();
  }

  /** Drops every entry (the log was emptied). */
  clear(): Promise<void> {
    if (this.epochs.length === 0) return Promise.resolve();
    this.epochs = [];
    return this.changed();
  }

  /** Resolves once no write is in flight (a failed one included): closing a log waits for it. */
  async whenWritten(): Promise<void> {
    while (this.writing !== null) await this.writing.catch(() => undefined);
  }

  /**
   * Writes the current entries through the hook: one write at a time, each writing the entries as
   * they are when it starts, so a change made during a write is covered by the next one.
   */
  private changed(): Promise<void> {
    const persist = this.persist;
    if (persist === null) return Promise.resolve();
    this.dirty = true;
    const run = async (): Promise<void> => {
      while (this.dirty) {
        this.dirty = false;
        try {
          await persist(this.entries());
        } catch (e) {
          // Unwritten still: the next change's write retries it.
          this.dirty = true;
          throw e;
        }
      }
    };
    const previous = this.writing;
    const next = (previous === null ? run() : previous.catch(() => undefined).then(run)).finally(() => {
      if (this.writing === next) this.writing = null;
    });
    this.writing = next;
    return next;
  }
}
