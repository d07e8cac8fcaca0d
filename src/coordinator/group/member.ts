/**
 * One member of a classic group (Kafka's `MemberMetadata` / `ClassicGroupMember`): who it is, the
 * protocols it supports with their metadata (its subscription), its timeouts, the assignment the
 * leader gave it, and the JoinGroup / SyncGroup responses it is waiting for.
 *
 * A JoinGroup or SyncGroup request that has to wait (long polling) is parked here as a callback;
 * the group completes it when the rebalance reaches the point where Kafka would answer. The
 * session timer is armed by the group manager; this object only holds its handle.
 */
import type { TimerHandle } from '../../util/clock.js';

const EMPTY = Buffer.alloc(0);

/** One assignment protocol a member supports: its name and the member's metadata for it. */
export interface MemberProtocol {
  readonly name: string;
  readonly metadata: Buffer;
}

/** What a JoinGroup gets back: the handler turns it into the response of its version. */
export interface JoinGroupResult {
  errorCode: number;
  memberId: string;
  generationId: number;
  /** null when the group has none or on error. */
  protocolType: string | null;
  /** The chosen protocol; null on error or when the group has none. */
  protocolName: string | null;
  /** The leader's member id, or '' on error. */
  leaderId: string;
  skipAssignment: boolean;
  /** Every member with its metadata for the chosen protocol: for the leader only. */
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

/** What a SyncGroup gets back. */
export interface SyncGroupResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export function joinError(memberId: string, errorCode: number): JoinGroupResult {
  return {
    errorCode,
    memberId,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leaderId: '',
    skipAssignment: false,
    members: [],
  };
}

export function syncError(errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
}

export class MemberMetadata {
  /** The assignment from the latest completed SyncGroup (empty until then). */
  assignment: Buffer = EMPTY;
  /** The parked JoinGroup response, while the member waits for the rebalance to complete. */
  awaitingJoin: ((result: JoinGroupResult) => void) | null = null;
  /** The parked SyncGroup response, while the member waits for the leader's assignment. */
  awaitingSync: ((result: SyncGroupResult) => void) | null = null;
  /** Joined in the rebalance under way and has not yet completed a join (Kafka's `isNew`). */
  isNew = false;
  /** The session (heartbeat) timer, armed by the group manager. */
  heartbeatTimer: TimerHandle | null = null;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    /** Most preferred first. */
    public supportedProtocols: readonly MemberProtocol[],
  ) {}

  get isStaticMember(): boolean {
    return this.groupInstanceId !== null;
  }

  get isAwaitingJoin(): boolean {
    return this.awaitingJoin !== null;
  }

  get isAwaitingSync(): boolean {
    return this.awaitingSync !== null;
  }

  /** The member's metadata for a protocol it supports. */
  metadata(protocol: string): Buffer {
    const p = this.supportedProtocols.find((x) => x.name === protocol);
    if (!p) throw new Error(`member ${this.memberId} does not support protocol ${protocol}`);
    return p.metadata;
  }

  /** True when the protocols are the same, in the same order, with the same metadata bytes. */
  matches(protocols: readonly MemberProtocol[]): boolean {
    if (protocols.length !== this.supportedProtocols.length) return false;
    for (let i = 0; i < protocols.length; i++) {
      const a = protocols[i];
      const b = this.supportedProtocols[i];
      if (a.name !== b.name || !a.metadata.equals(b.metadata)) return false;
    }
    return true;
  }

  /** The member's preferred protocol among the candidates (those every member supports). */
  vote(candidates: ReadonlySet<string>): string {
    const p = this.supportedProtocols.find((x) => candidates.has(x.name));
    if (!p) throw new Error(`member ${this.memberId} does not support any of the candidate protocols`);
    return p.name;
  }
}
