/**
 * Fetch as the API serves it: the request's incremental fetch session (KIP-227, fetch-sessions.ts)
 * decides which partitions are read and which of them the response carries; the partitions are
 * read by the partition layer's FetchService (reads, budgets, long polling).
 *
 * The session's context is made when the request arrives (its epoch moves then) and completed with
 * what was read once the read has answered, waiting included.
 */
import type { ResolvedBrokerConfig } from '../../config/broker-config.js';
import { FetchService, type FetchPartitionRequest, type PartitionFetchResult, type ReadParams } from '../../partition/fetch-service.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import type { Clock } from '../../util/clock.js';
import {
  DEFAULT_SESSION_CACHE_SLOTS,
  FetchSessionCache,
  INVALID_SESSION_ID,
  type ForgottenTopic,
  type SessionPartitionOutcome,
} from './fetch-sessions.js';

export interface FetchParams {
  maxWaitMs: number;
  minBytes: number;
  /** The response's byte budget (Fetch v3+; older versions have none: 2^31-1). */
  maxBytes: number;
  /** 0 read_uncommitted, 1 read_committed. */
  isolationLevel: number;
  sessionId: number;
  sessionEpoch: number;
  /** Fetch v13+: partitions are named by topic id. */
  usesTopicIds: boolean;
  partitions: readonly FetchPartitionRequest[];
  forgotten: readonly ForgottenTopic[];
  /** The message format the client reads: 0 (Fetch v0-1), 1 (v2-3) or 2. */
  recordMagic: 0 | 1 | 2;
  /** Whether the client can read zstd (Fetch v10+). */
  allowZstd: boolean;
  /** A follower's fetch (its session is worth more). */
  privileged?: boolean;
  /** The fetching replica's broker id (a follower's fetch), or negative for a consumer. */
  replicaId?: number;
  /** A follower's broker epoch (Fetch v15+), -1 when unknown. */
  replicaEpoch?: bigint;
}

export interface FetchResult {
  /** A fetch-session error, answered at the top level. */
  errorCode: number;
  sessionId: number;
  partitions: PartitionFetchResult[];
  /**
   * Gives the buffers the records were read into back to the pool: call it once the records have
   * been written to the socket (or will never be), not before. Not calling it only costs the reuse.
   */
  release: () => void;
}

export interface SessionFetchServiceOptions {
  reads: FetchService;
  clock: Clock;
  /** max.incremental.fetch.session.cache.slots. */
  sessionCacheSlots?: number;
  sessionEvictionMs?: number;
}

/** The session settings of a broker configuration. */
export function fetchSessionSettingsFrom(config: ResolvedBrokerConfig): { sessionCacheSlots: number } {
  return { sessionCacheSlots: config.config.maxIncrementalFetchSessionCacheSlots };
}

export class SessionFetchService {
  readonly sessions: FetchSessionCache;
  /** Reads the partitions (its read pool and waiting fetches can be watched through it). */
  readonly reads: FetchService;

  constructor(options: SessionFetchServiceOptions) {
    this.reads = options.reads;
    const sessionOptions: ConstructorParameters<typeof FetchSessionCache>[0] = {
      clock: options.clock,
      maxSlots: options.sessionCacheSlots ?? DEFAULT_SESSION_CACHE_SLOTS,
    };
    if (options.sessionEvictionMs !== undefined) sessionOptions.evictionMs = options.sessionEvictionMs;
    this.sessions = new FetchSessionCache(sessionOptions);
  }

  /** Answers every waiting fetch now, stops waiting from here on and forgets the sessions (broker stop). */
  shutdown(): void {
    this.reads.shutdown();
    this.sessions.clear();
  }

  /** Serves one fetch request: session handling, reads, and waiting for minBytes. */
  async fetch(params: FetchParams): Promise<FetchResult> {
    const context = this.sessions.newContext({
      sessionId: params.sessionId,
      sessionEpoch: params.sessionEpoch,
      usesTopicIds: params.usesTopicIds,
      partitions: params.partitions,
      forgotten: params.forgotten,
      privileged: params.privileged === true,
    });
    if (context.errorCode !== ErrorCode.None) {
      return { errorCode: context.errorCode, sessionId: INVALID_SESSION_ID, partitions: [], release: noop };
    }
    const readParams: ReadParams = {
      maxWaitMs: params.maxWaitMs,
      minBytes: params.minBytes,
      maxBytes: params.maxBytes,
      isolationLevel: params.isolationLevel,
      usesTopicIds: params.usesTopicIds,
      partitions: context.partitions,
      recordMagic: params.recordMagic,
      allowZstd: params.allowZstd,
    };
    if (params.replicaId !== undefined) readParams.replicaId = params.replicaId;
    if (params.replicaEpoch !== undefined) readParams.replicaEpoch = params.replicaEpoch;
    const read = await this.reads.read(readParams);
    const outcomes: SessionPartitionOutcome[] = read.partitions.map((r, i) => ({
      errorCode: r.errorCode,
      highWatermark: r.highWatermark,
      logStartOffset: r.logStartOffset,
      recordsSize: read.sizes[i],
      diverging: r.divergingEpoch !== null,
    }));
    const completion = context.complete(outcomes);
    if (completion.errorCode !== ErrorCode.None) {
      read.release();
      return { errorCode: completion.errorCode, sessionId: completion.sessionId, partitions: [], release: noop };
    }
    return {
      errorCode: ErrorCode.None,
      sessionId: completion.sessionId,
      partitions: read.partitions.filter((_, i) => completion.include[i]),
      release: read.release,
    };
  }
}

function noop(): void {}
