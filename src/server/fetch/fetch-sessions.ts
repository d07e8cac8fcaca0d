/**
 * Incremental fetch sessions (KIP-227), with Kafka's semantics.
 *
 * A consumer that fetches the same partitions over and over can ask the broker to remember them:
 * then each request names only the partitions whose fetch position or settings changed, and each
 * response carries only the partitions that have something to say (records, a moved high watermark
 * or log start offset, an error). The request's (sessionId, sessionEpoch) says what it is:
 *
 * | sessionId | sessionEpoch | meaning                                                              |
 * | --------- | ------------ | -------------------------------------------------------------------- |
 * | 0         | -1           | a full fetch without a session (also every Fetch v0-6 request)       |
 * | 0         | 0            | a full fetch that asks for a new session: its id is in the response  |
 * |           |              | (0 when the cache has no room), and the next epoch expected is 1      |
 * | id        | 0 or -1      | full again: the session `id` is closed first (-1: and no new one)     |
 * | id        | n > 0        | incremental: `id` must exist (else FETCH_SESSION_ID_NOT_FOUND) and    |
 * |           |              | n must be its next epoch (else INVALID_FETCH_SESSION_EPOCH)           |
 *
 * An incremental request adds or updates the partitions it names and removes the ones in
 * forgottenTopicsData; the broker then reads every partition of the session. A session keeps the
 * way it names topics: one made by Fetch v13+ (topic ids) cannot be used by v12- and the other
 * way round (FETCH_SESSION_TOPIC_ID_ERROR). A session error is a top-level error with no partitions
 * and session id 0. Epochs count up from 1 and wrap from 2^31-1 to 1.
 *
 * Partitions that go into a response move to the end of the session's order, so that a response
 * budget (max bytes) is shared fairly between partitions over successive fetches.
 *
 * The cache holds at most `maxSlots` sessions (max.incremental.fetch.session.cache.slots, 1000).
 * When it is full, a new session may take the place of one that was unused for longer than
 * `evictionMs` (120 s, Kafka's MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS); failing that, of the least
 * valuable existing session that is itself older than `evictionMs`: value orders by privileged
 * (follower) before not, then by partition count. A new session that is not more valuable gets no
 * session (id 0), and its client carries on with full fetches.
 *
 * Everything runs on the event loop: a context is made when the request arrives (the epoch moves
 * then), reads may wait (long polling), and `complete` updates the session with what is answered.
 */
import { ErrorCode } from '../../protocol/generated/errors.js';
import type { FetchPartitionRequest } from '../../partition/fetch-service.js';
import type { Clock } from '../../util/clock.js';

export const INVALID_SESSION_ID = 0;
export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;
/** Kafka's default for max.incremental.fetch.session.cache.slots. */
export const DEFAULT_SESSION_CACHE_SLOTS = 1000;
/** How long a session is protected from eviction after creation and after its last use. */
export const DEFAULT_SESSION_EVICTION_MS = 120_000;

/** The epoch that follows `epoch` (Kafka's FetchMetadata.nextEpoch). */
export function nextEpoch(epoch: number): number {
  if (epoch < 0) return FINAL_EPOCH;
  if (epoch === 0x7fffffff) return 1;
  return epoch + 1;
}

/** What a read of one partition produced, as far as the session cares. */
export interface SessionPartitionOutcome {
  errorCode: number;
  highWatermark: bigint;
  logStartOffset: bigint;
  /** Bytes of records returned. */
  recordsSize: number;
  /** A follower is told its log diverged (always sent, as Kafka's maybeUpdateResponseData). */
  diverging?: boolean;
}

export interface ForgottenTopic {
  topic: string;
  topicId: string;
  partitions: readonly number[];
}

export interface NewContextRequest {
  sessionId: number;
  sessionEpoch: number;
  /** Fetch v13+: topics are named by id. */
  usesTopicIds: boolean;
  partitions: readonly FetchPartitionRequest[];
  forgotten: readonly ForgottenTopic[];
  /** A follower's fetch (replica id >= 0): its sessions are worth more. */
  privileged?: boolean;
}

export interface ContextCompletion {
  errorCode: number;
  sessionId: number;
  /** Whether each partition (by index in `partitions`) goes into the response. */
  include: readonly boolean[];
}

/** What one fetch request reads and how its response is shaped. */
export interface FetchContext {
  readonly kind: 'error' | 'sessionless' | 'full' | 'incremental';
  /** A session error: answer it at the top level, with no partitions. */
  readonly errorCode: number;
  /** The partitions to read, in order (for an incremental fetch: the whole session). */
  readonly partitions: readonly FetchPartitionRequest[];
  /** Updates the session with the outcome (aligned with `partitions`) and says what to answer. */
  complete(outcomes: readonly SessionPartitionOutcome[]): ContextCompletion;
}

interface CachedPartition extends FetchPartitionRequest {
  /** The high watermark last sent; -1 after an error so that the partition is sent again. */
  highWatermark: bigint;
  /** The log start offset last sent. */
  localLogStartOffset: bigint;
}

class FetchSession {
  /** The session's partitions by key, in the order they are read (a Map keeps insertion order). */
  readonly partitions = new Map<string, CachedPartition>();
  lastUsedMs: number;

  constructor(
    readonly id: number,
    readonly privileged: boolean,
    readonly usesTopicIds: boolean,
    readonly creationMs: number,
    public epoch: number,
  ) {
    this.lastUsedMs = creationMs;
  }

  get size(): number {
    return this.partitions.size;
  }
}

function partitionKey(usesTopicIds: boolean, topic: string, topicId: string, partition: number): string {
  return `${usesTopicIds ? topicId : topic}\u0000${partition}`;
}

function toCached(p: FetchPartitionRequest, outcome?: SessionPartitionOutcome): CachedPartition {
  return {
    topic: p.topic,
    topicId: p.topicId,
    partition: p.partition,
    fetchOffset: p.fetchOffset,
    partitionMaxBytes: p.partitionMaxBytes,
    currentLeaderEpoch: p.currentLeaderEpoch,
    logStartOffset: p.logStartOffset,
    lastFetchedEpoch: p.lastFetchedEpoch,
    highWatermark: outcome ? (outcome.errorCode !== ErrorCode.None ? -1n : outcome.highWatermark) : -1n,
    localLogStartOffset: outcome ? outcome.logStartOffset : -1n,
  };
}

function updateRequestParams(cached: CachedPartition, p: FetchPartitionRequest): void {
  cached.fetchOffset = p.fetchOffset;
  cached.partitionMaxBytes = p.partitionMaxBytes;
  cached.currentLeaderEpoch = p.currentLeaderEpoch;
  cached.logStartOffset = p.logStartOffset;
  cached.lastFetchedEpoch = p.lastFetchedEpoch;
}

/**
 * Whether an incremental response must carry a partition (Kafka's maybeUpdateResponseData), and the
 * cached response state updated to what is sent.
 */
function mustRespond(cached: CachedPartition, outcome: SessionPartitionOutcome): boolean {
  let respond = outcome.recordsSize > 0 || outcome.diverging === true;
  if (cached.highWatermark !== outcome.highWatermark) {
    respond = true;
    cached.highWatermark = outcome.highWatermark;
  }
  if (cached.localLogStartOffset !== outcome.logStartOffset) {
    respond = true;
    cached.localLogStartOffset = outcome.logStartOffset;
  }
  if (outcome.errorCode !== ErrorCode.None) {
    // Sent now, and again once the error is gone.
    cached.highWatermark = -1n;
    respond = true;
  }
  return respond;
}

const allIncluded = (n: number): boolean[] => new Array<boolean>(n).fill(true);

export interface FetchSessionCacheOptions {
  clock: Clock;
  /** max.incremental.fetch.session.cache.slots; 0 disables sessions. */
  maxSlots?: number;
  evictionMs?: number;
  /** Source of session ids in [1, 2^31-1); injectable for tests. */
  random?: () => number;
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();
  private readonly clock: Clock;
  private readonly evictionMs: number;
  private readonly random: () => number;
  /** max.incremental.fetch.session.cache.slots. */
  readonly maxSlots: number;
  /** Sessions evicted to make room, for metrics and tests. */
  evictions = 0;

  constructor(options: FetchSessionCacheOptions) {
    this.clock = options.clock;
    this.maxSlots = options.maxSlots ?? DEFAULT_SESSION_CACHE_SLOTS;
    this.evictionMs = options.evictionMs ?? DEFAULT_SESSION_EVICTION_MS;
    this.random = options.random ?? Math.random;
  }

  /** Number of cached sessions. */
  get size(): number {
    return this.sessions.size;
  }

  /** Total partitions over all sessions. */
  get totalPartitions(): number {
    let n = 0;
    for (const s of this.sessions.values()) n += s.size;
    return n;
  }

  has(sessionId: number): boolean {
    return this.sessions.has(sessionId);
  }

  /** The epoch the next incremental request of a session must carry, or undefined when unknown. */
  expectedEpoch(sessionId: number): number | undefined {
    return this.sessions.get(sessionId)?.epoch;
  }

  /** Drops every session (broker shutdown). */
  clear(): void {
    this.sessions.clear();
  }

  /** Kafka's FetchManager.newContext: decides what the request reads and how it is answered. */
  newContext(req: NewContextRequest): FetchContext {
    const isFull = req.sessionEpoch === INITIAL_EPOCH || req.sessionEpoch === FINAL_EPOCH;
    if (isFull) {
      // Any session named by a full fetch is closed.
      if (req.sessionId !== INVALID_SESSION_ID) this.sessions.delete(req.sessionId);
      const partitions = dedupe(req.partitions, req.usesTopicIds);
      if (req.sessionEpoch === FINAL_EPOCH) return sessionless(partitions);
      return this.fullContext(partitions, req.usesTopicIds, req.privileged === true);
    }
    const session = this.sessions.get(req.sessionId);
    if (!session) return errorContext(ErrorCode.FetchSessionIdNotFound);
    if (session.epoch !== req.sessionEpoch) return errorContext(ErrorCode.InvalidFetchSessionEpoch);
    if (session.usesTopicIds !== req.usesTopicIds) return errorContext(ErrorCode.FetchSessionTopicIdError);

    for (const p of req.partitions) {
      const key = partitionKey(session.usesTopicIds, p.topic, p.topicId, p.partition);
      const cached = session.partitions.get(key);
      if (cached) updateRequestParams(cached, p);
      else session.partitions.set(key, toCached(p));
    }
    for (const f of req.forgotten) {
      for (const partition of f.partitions) {
        session.partitions.delete(partitionKey(session.usesTopicIds, f.topic, f.topicId, partition));
      }
    }
    if (session.size === 0) {
      // Nothing left to remember: the session closes and this fetch answers without one.
      this.sessions.delete(session.id);
      return sessionless(dedupe(req.partitions, req.usesTopicIds));
    }
    session.lastUsedMs = this.clock.now();
    const expected = nextEpoch(session.epoch);
    session.epoch = expected;
    return this.incrementalContext(session, expected);
  }

  private fullContext(partitions: FetchPartitionRequest[], usesTopicIds: boolean, privileged: boolean): FetchContext {
    return {
      kind: 'full',
      errorCode: ErrorCode.None,
      partitions,
      complete: (outcomes) => {
        const sessionId = this.maybeCreateSession(privileged, usesTopicIds, partitions, outcomes);
        return { errorCode: ErrorCode.None, sessionId, include: allIncluded(partitions.length) };
      },
    };
  }

  private incrementalContext(session: FetchSession, expectedEpoch: number): FetchContext {
    const cached = [...session.partitions.values()];
    // A snapshot of the request parameters: reads use them even if a later request changes them.
    const partitions: FetchPartitionRequest[] = cached.map((c) => ({ ...c }));
    return {
      kind: 'incremental',
      errorCode: ErrorCode.None,
      partitions,
      complete: (outcomes) => {
        if (session.epoch !== expectedEpoch) {
          // Another request of the same session got in between (a duplicate or a retry).
          return { errorCode: ErrorCode.InvalidFetchSessionEpoch, sessionId: session.id, include: [] };
        }
        const include = cached.map((c, i) => {
          const respond = mustRespond(c, outcomes[i]);
          if (respond) {
            // Partitions that answered go to the back of the line.
            const key = partitionKey(session.usesTopicIds, c.topic, c.topicId, c.partition);
            if (session.partitions.get(key) === c) {
              session.partitions.delete(key);
              session.partitions.set(key, c);
            }
          }
          return respond;
        });
        return { errorCode: ErrorCode.None, sessionId: session.id, include };
      },
    };
  }

  /** Kafka's FetchSessionCache.maybeCreateSession: the new id, or 0 when there is no room. */
  private maybeCreateSession(
    privileged: boolean,
    usesTopicIds: boolean,
    partitions: readonly FetchPartitionRequest[],
    outcomes: readonly SessionPartitionOutcome[],
  ): number {
    if (this.maxSlots <= 0) return INVALID_SESSION_ID;
    const now = this.clock.now();
    if (this.sessions.size >= this.maxSlots && !this.tryEvict(privileged, partitions.length, now)) return INVALID_SESSION_ID;
    const session = new FetchSession(this.newSessionId(), privileged, usesTopicIds, now, nextEpoch(INITIAL_EPOCH));
    partitions.forEach((p, i) => {
      session.partitions.set(partitionKey(usesTopicIds, p.topic, p.topicId, p.partition), toCached(p, outcomes[i]));
    });
    this.sessions.set(session.id, session);
    return session.id;
  }

  /**
   * Kafka's tryEvict: a stale session (unused for longer than evictionMs) goes first; otherwise the
   * least valuable evictable session, if the new one is worth more. Sessions younger than
   * evictionMs are evictable only by privileged ones, and then only when they are not privileged.
   */
  private tryEvict(privileged: boolean, size: number, now: number): boolean {
    let lru: FetchSession | undefined;
    for (const s of this.sessions.values()) {
      if (!lru || s.lastUsedMs < lru.lastUsedMs || (s.lastUsedMs === lru.lastUsedMs && s.id < lru.id)) lru = s;
    }
    if (!lru) return false;
    if (now - lru.lastUsedMs > this.evictionMs) {
      this.sessions.delete(lru.id);
      this.evictions++;
      return true;
    }
    let victim: FetchSession | undefined;
    for (const s of this.sessions.values()) {
      const old = now - s.creationMs > this.evictionMs;
      const evictable = privileged ? !s.privileged || old : old;
      if (!evictable) continue;
      if (!victim || compareValue(s.privileged, s.size, s.id, victim.privileged, victim.size, victim.id) < 0) victim = s;
    }
    // The new session's key has id 0, so it must be strictly more valuable to win.
    if (!victim || compareValue(privileged, size, 0, victim.privileged, victim.size, victim.id) < 0) return false;
    this.sessions.delete(victim.id);
    this.evictions++;
    return true;
  }

  private newSessionId(): number {
    for (;;) {
      const id = 1 + Math.floor(this.random() * 0x7ffffffe);
      if (id >= 1 && id <= 0x7ffffffe && !this.sessions.has(id)) return id;
    }
  }
}

/** Orders sessions by value: (privileged, size, id), false before true. */
function compareValue(p1: boolean, s1: number, id1: number, p2: boolean, s2: number, id2: number): number {
  if (p1 !== p2) return p1 ? 1 : -1;
  if (s1 !== s2) return s1 - s2;
  return id1 - id2;
}

/** A request naming a partition twice: the last mention wins, at the place of the first (Kafka's map). */
function dedupe(partitions: readonly FetchPartitionRequest[], usesTopicIds: boolean): FetchPartitionRequest[] {
  const byKey = new Map<string, FetchPartitionRequest>();
  for (const p of partitions) byKey.set(partitionKey(usesTopicIds, p.topic, p.topicId, p.partition), p);
  return byKey.size === partitions.length ? [...partitions] : [...byKey.values()];
}

function sessionless(partitions: FetchPartitionRequest[]): FetchContext {
  return {
    kind: 'sessionless',
    errorCode: ErrorCode.None,
    partitions,
    complete: () => ({ errorCode: ErrorCode.None, sessionId: INVALID_SESSION_ID, include: allIncluded(partitions.length) }),
  };
}

function errorContext(errorCode: number): FetchContext {
  return {
    kind: 'error',
    errorCode,
    partitions: [],
    complete: () => ({ errorCode, sessionId: INVALID_SESSION_ID, include: [] }),
  };
}
