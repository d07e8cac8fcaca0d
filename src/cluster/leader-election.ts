/**
 * Which replica leads a partition, and with which ISR, when the controller must choose (Kafka's
 * PartitionLeaderElectionAlgorithms). Pure: the caller passes the partition's assignment and ISR
 * and which brokers count as live (registered and not shutting down).
 *
 * Replicas are always tried in assignment order, so the preferred replica wins whenever it can.
 * When no replica qualifies, the result names NO_LEADER and keeps the ISR as it was: the replicas
 * that have every acknowledged record stay recorded, and one of them leads again when it returns.
 */
import { NO_LEADER, type PartitionState } from '../metadata/partition-state.js';

export interface ElectionInput {
  /** Every assigned replica, preferred first. */
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

export interface ElectionResult {
  /** The new leader, or NO_LEADER. */
  leader: number;
  isr: number[];
  /** True when the leader was not in the ISR (records it lacks are lost). */
  unclean: boolean;
}

const none = (input: ElectionInput): ElectionResult => ({ leader: NO_LEADER, isr: [...input.isr], unclean: false });

/**
 * The leader is gone (or there is none): the first live replica that is in the ISR, the ISR
 * narrowed to live replicas. With `uncleanAllowed` (unclean.leader.election.enable) and no live ISR
 * member, the first live replica instead, alone in the ISR.
 */
export function offlineElection(input: ElectionInput, live: ReadonlySet<number>, uncleanAllowed: boolean): ElectionResult {
  const clean = input.replicas.find((id) => live.has(id) && input.isr.includes(id));
  if (clean !== undefined) return { leader: clean, isr: input.isr.filter((id) => live.has(id)), unclean: false };
  if (uncleanAllowed) {
    const any = input.replicas.find((id) => live.has(id));
    if (any !== undefined) return { leader: any, isr: [any], unclean: true };
  }
  return none(input);
}

/**
 * Leadership moves off brokers that are shutting down: the first live ISR member not among them;
 * the ISR loses every shutting-down broker.
 */
export function controlledShutdownElection(
  input: ElectionInput,
  live: ReadonlySet<number>,
  shuttingDown: ReadonlySet<number>,
): ElectionResult {
  const leader = input.replicas.find((id) => live.has(id) && input.isr.includes(id) && !shuttingDown.has(id));
  if (leader === undefined) return none(input);
  return { leader, isr: input.isr.filter((id) => !shuttingDown.has(id)), unclean: false };
}

/** Leadership goes back to the preferred (first) replica when it is live and in the ISR. */
export function preferredReplicaElection(input: ElectionInput, live: ReadonlySet<number>): ElectionResult {
  const preferred = input.replicas.at(0);
  if (preferred === undefined || !live.has(preferred) || !input.isr.includes(preferred)) return none(input);
  return { leader: preferred, isr: [...input.isr], unclean: false };
}

/** The state an election makes of `state`: its leader and ISR, in the next leader epoch. */
export function electedState(state: PartitionState, elected: ElectionResult): PartitionState {
  return { ...state, leader: elected.leader, leaderEpoch: state.leaderEpoch + 1, isr: elected.isr };
}

/**
 * What a controlled shutdown of `nodeId` makes of one partition's state (Kafka's
 * doControlledShutdown): a partition it leads moves to another live ISR member with the next
 * epoch; a partition it follows loses it from the ISR; null when nothing changes (a single replica,
 * no other ISR member to lead, or the broker is not in the ISR). The result keeps `state.version`,
 * for the compare-and-swap.
 */
export function controlledShutdownChange(
  state: PartitionState,
  nodeId: number,
  live: ReadonlySet<number>,
  shuttingDown: ReadonlySet<number>,
): PartitionState | null {
  if (state.replicas.length <= 1) return null;
  if (state.leader === nodeId) {
    const elected = controlledShutdownElection(state, live, shuttingDown);
    if (elected.leader === NO_LEADER) return null;
    return electedState(state, elected);
  }
  if (state.isr.includes(nodeId) && state.isr.length > 1) return { ...state, isr: state.isr.filter((id) => id !== nodeId) };
  return null;
}
