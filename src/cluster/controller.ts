/**
 * The cluster's controller: what the one elected broker decides (Kafka's ZooKeeper-era
 * KafkaController with its partition and replica state machines). It places the replicas of new
 * topics and partitions, deletes topics, elects partition leaders when brokers leave, return or shut
 * down gracefully, and moves leadership back to preferred replicas.
 *
 * It runs while its broker is controller: start() once campaign() resolves, stop() when it is lost.
 * Its view of brokers, topics and partition states comes from the store's watch. Every decision is
 * one compare-and-swap on a partition state's version: the partition's leader writes its own ISR
 * changes to the same key, so a write that loses is retried on a fresh read, and the new decision
 * is made from what the leader wrote (a leader that just shrank or grew the ISR is respected).
 *
 * Work runs one item at a time, in order (Kafka's controller event queue): a broker change, a
 * CreateTopics or a controlled shutdown never interleave, so each sees the effects of the previous.
 * A reaction the store could not complete (unreachable) is tried again after a backoff.
 *
 * Leader epochs grow with every leader change, including to NO_LEADER. An ISR change alone (a
 * follower removed) keeps the epoch, as Kafka's KRaft controller does: the leader stays the same.
 */
import { randomUUID } from 'node:crypto';
import type { ResolvedBrokerConfig } from '../config/broker-config.js';
import { resolveTopicConfig, validateTopicConfigs } from '../config/topic-config.js';
import type { CreateTopicRequest } from '../metadata/metadata-store.js';
import { NO_LEADER, type PartitionState } from '../metadata/partition-state.js';
import {
  addedPartitionsProblem,
  checkManualAssignment,
  isProblem,
  newTopicNameProblem,
  requestedTopicShape,
  type RequestProblem,
} from '../metadata/topic-request-checks.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import { unifiedTopicName } from '../protocol/topic-name.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import {
  ClusterUnavailableError,
  StaleVersionError,
  type BrokerRegistration,
  type ClusterEvent,
  type ClusterStore,
  type TopicRecord,
} from './cluster-store.js';
import { controlledShutdownChange, electedState, offlineElection, preferredReplicaElection } from './leader-election.js';
import { assignAddedPartitions, assignReplicas } from './replica-placement.js';

export interface ControllerOptions {
  store: ClusterStore;
  /** This broker's id (the controller's own). */
  nodeId: number;
  brokerConfig: () => ResolvedBrokerConfig;
  clock: Clock;
  logger: Logger;
  /** In [0, 1), as Math.random (the default): the start of round-robin placement. */
  random?: () => number;
  /** Wait before a reaction the store could not complete is tried again. */
  retryBackoffMs?: number;
}

export interface ControllerResult {
  errorCode: number;
  errorMessage: string | null;
}

export interface CreateTopicResult extends ControllerResult {
  name: string;
  /** The topic as created (or as it would be, with validateOnly). */
  topic?: TopicRecord;
}

export interface CreatePartitionsRequest {
  name: string;
  /** The new total partition count. */
  count: number;
  /** Replicas of each added partition, when the client gave them. */
  assignments: readonly { brokerIds: readonly number[] }[] | null;
}

export interface CreatePartitionsResult extends ControllerResult {
  name: string;
}

export interface DeleteTopicResult extends ControllerResult {
  name: string;
  topicId: string | null;
}

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

export interface ControlledShutdownResult extends ControllerResult {
  /** Partitions the broker still leads (no other ISR member could take them); it may retry. */
  remaining: TopicPartitionRef[];
}

/** How many times a decision is retried after losing its compare-and-swap before it gives up. */
const MAX_CAS_ATTEMPTS = 50;
/** Kafka's leader.imbalance.check.interval.seconds and leader.imbalance.per.broker.percentage defaults. */
const IMBALANCE_CHECK_INTERVAL_MS = 300_000;
const IMBALANCE_PER_BROKER_PERCENTAGE = 10;

const result = (errorCode: number, errorMessage: string | null): ControllerResult => ({ errorCode, errorMessage });
const NONE = result(ErrorCode.None, null);
const failure = (p: RequestProblem): ControllerResult => result(p.errorCode, p.errorMessage);
const notController = (): ControllerResult => result(ErrorCode.NotController, 'This is not the correct controller for this cluster.');

/** A store failure as the client sees it: retriable when the service did not answer. */
function storeFailure(e: unknown): ControllerResult {
  if (e instanceof ClusterUnavailableError) {
    return result(ErrorCode.RequestTimedOut, `The cluster metadata service (etcd) is unavailable: ${e.message}`);
  }
  return result(ErrorCode.UnknownServerError, e instanceof Error ? e.message : String(e));
}

export class Controller {
  private running = false;
  private stopWatch: (() => void) | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly topics = new Map<string, TopicRecord>();
  private readonly states = new Map<string, (PartitionState | undefined)[]>();
  /** Brokers in controlled shutdown, with the registration epoch that asked. */
  private readonly shuttingDown = new Map<number, bigint>();
  /** Broker epochs as of the last reaction: a changed epoch is a broker that restarted. */
  private knownEpochs = new Map<number, bigint>();
  private retryTimer: TimerHandle | undefined;
  private baselineLoaded = false;
  private reactionWaiting = false;
  private rebalanceTimer: TimerHandle | undefined;
  private readonly store: ClusterStore;
  private readonly logger: Logger;
  private readonly clock: Clock;

  constructor(private readonly options: ControllerOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.logger = options.logger.child({ controller: options.nodeId });
  }

  get isActive(): boolean {
    return this.running;
  }

  /** Takes over: loads the store's contents, then reacts to the brokers as they are now. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    // What an earlier term knew may be stale: this term starts from the store.
    this.topics.clear();
    this.states.clear();
    this.shuttingDown.clear();
    this.knownEpochs = new Map();
    this.baselineLoaded = false;
    this.logger.info('became controller');
    let stop: () => void;
    try {
      stop = await this.store.watch((event) => {
        this.onEvent(event);
      });
    } catch (e) {
      this.running = false;
      throw e;
    }
    if (!this.isActive) {
      stop();
      return;
    }
    this.stopWatch = stop;
    await this.enqueue(() => this.catchUp()).catch((e: unknown) => {
      this.reactionFailed(e);
    });
    this.scheduleRebalance();
  }

  /** Stops deciding (controllership lost or the broker stops); queued work answers NOT_CONTROLLER. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopWatch?.();
    this.stopWatch = undefined;
    if (this.retryTimer !== undefined) this.clock.clearTimeout(this.retryTimer);
    if (this.rebalanceTimer !== undefined) this.clock.clearTimeout(this.rebalanceTimer);
    this.retryTimer = undefined;
    this.rebalanceTimer = undefined;
    this.logger.info('no longer controller');
    await this.tail.catch(() => undefined);
  }

  /** The controller's view of a partition's state (as last seen from the store). */
  partitionState(topic: string, partition: number): PartitionState | undefined {
    return this.states.get(topic)?.at(partition);
  }

  // ---------------------------------------------------------------------------------------------
  // Requests

  /** CreateTopics: each topic's result in request order, Kafka's error codes and messages. */
  createTopics(requests: readonly CreateTopicRequest[]): Promise<CreateTopicResult[]> {
    return this.request(
      () => requests.map((r) => ({ name: r.name, ...notController() })),
      async () => {
        const out: CreateTopicResult[] = [];
        let brokers: BrokerRegistration[] | undefined;
        for (const req of requests) {
          try {
            brokers ??= await this.store.brokers();
            out.push({ name: req.name, ...(await this.createTopic(req, brokers)) });
          } catch (e) {
            out.push({ name: req.name, ...storeFailure(e) });
          }
        }
        return out;
      },
    );
  }

  /** CreatePartitions: raises each topic's partition count to `count`. */
  createPartitions(requests: readonly CreatePartitionsRequest[], validateOnly: boolean): Promise<CreatePartitionsResult[]> {
    return this.request(
      () => requests.map((r) => ({ name: r.name, ...notController() })),
      async () => {
        const out: CreatePartitionsResult[] = [];
        for (const req of requests) {
          try {
            out.push({ name: req.name, ...(await this.createPartitionsOf(req, validateOnly)) });
          } catch (e) {
            out.push({ name: req.name, ...storeFailure(e) });
          }
        }
        return out;
      },
    );
  }

  /** DeleteTopics by name. */
  deleteTopics(names: readonly string[]): Promise<DeleteTopicResult[]> {
    return this.request(
      () => names.map((name) => ({ name, topicId: null, ...notController() })),
      async () => {
        const out: DeleteTopicResult[] = [];
        for (const name of names) {
          const topic = this.topics.get(name);
          if (!topic) {
            out.push({ name, topicId: null, ...result(ErrorCode.UnknownTopicOrPartition, 'This server does not host this topic-partition.') });
            continue;
          }
          if (!this.options.brokerConfig().config.deleteTopicEnable) {
            out.push({ name, topicId: topic.topicId, ...result(ErrorCode.TopicDeletionDisabled, 'Topic deletion is disabled.') });
            continue;
          }
          try {
            const deleted = await this.store.deleteTopic(name);
            if (deleted) {
              this.forgetTopic(name);
              this.logger.info({ topic: name }, 'deleted topic');
              out.push({ name, topicId: topic.topicId, ...NONE });
            } else {
              out.push({ name, topicId: topic.topicId, ...result(ErrorCode.UnknownTopicOrPartition, 'This server does not host this topic-partition.') });
            }
          } catch (e) {
            out.push({ name, topicId: topic.topicId, ...storeFailure(e) });
          }
        }
        return out;
      },
    );
  }

  /**
   * ControlledShutdown (Kafka's doControlledShutdown): every partition the broker leads moves to
   * another live ISR member with the next epoch, and the broker leaves every ISR it is a follower
   * in. It is not chosen again until it registers anew. Partitions of one replica stay where they
   * are; partitions with no other ISR member are returned as remaining.
   */
  controlledShutdown(nodeId: number, brokerEpoch?: bigint): Promise<ControlledShutdownResult> {
    return this.request(
      () => ({ ...notController(), remaining: [] }),
      async () => {
        let brokers: BrokerRegistration[];
        try {
          brokers = await this.store.brokers();
        } catch (e) {
          return { ...storeFailure(e), remaining: [] };
        }
        const registration = brokers.find((b) => b.nodeId === nodeId);
        if (!registration) {
          return { ...result(ErrorCode.BrokerNotAvailable, `Broker id ${nodeId} does not exist.`), remaining: [] };
        }
        if (brokerEpoch !== undefined && brokerEpoch >= 0n && brokerEpoch !== registration.epoch) {
          return { ...result(ErrorCode.StaleBrokerEpoch, `Received controlled shutdown request from an old broker epoch ${brokerEpoch}.`), remaining: [] };
        }
        this.shuttingDown.set(nodeId, registration.epoch);
        this.logger.info({ broker: nodeId }, 'controlled shutdown of broker');
        const live = this.liveSet(brokers);
        const stopping = new Set(this.shuttingDown.keys());
        try {
          for (const { topic, partition } of this.partitions()) {
            if (!this.topics.get(topic)?.assignment[partition]?.includes(nodeId)) continue;
            await this.change(topic, partition, (st) => controlledShutdownChange(st, nodeId, live, stopping), true);
          }
        } catch (e) {
          return { ...storeFailure(e), remaining: this.ledBy(nodeId) };
        }
        return { ...NONE, remaining: this.ledBy(nodeId) };
      },
    );
  }

  /**
   * ElectLeaders. `preferred`: each partition whose first replica is live, in the ISR and not
   * leading gets it as leader (PREFERRED_LEADER_NOT_AVAILABLE when it cannot). `unclean`: each
   * partition without a leader gets one from its live ISR, else the first live replica
   * (ELIGIBLE_LEADERS_NOT_AVAILABLE when none is live). ELECTION_NOT_NEEDED when the partition
   * already has the leader asked for. All partitions when `partitions` is omitted.
   */
  electLeaders(electionType: 'preferred' | 'unclean', partitions?: readonly TopicPartitionRef[]): Promise<(TopicPartitionRef & ControllerResult)[]> {
    const asked = (): TopicPartitionRef[] => [...(partitions ?? this.partitions())];
    return this.request(
      () => asked().map((p) => ({ ...p, ...notController() })),
      async () => {
        const out: (TopicPartitionRef & ControllerResult)[] = [];
        let live: Set<number>;
        try {
          live = this.liveSet(await this.store.brokers());
        } catch (e) {
          return asked().map((p) => ({ ...p, ...storeFailure(e) }));
        }
        for (const p of asked()) {
          try {
            out.push({ ...p, ...(await this.electLeader(electionType, p, live)) });
          } catch (e) {
            out.push({ ...p, ...storeFailure(e) });
          }
        }
        return out;
      },
    );
  }

  private async electLeader(electionType: 'preferred' | 'unclean', p: TopicPartitionRef, live: ReadonlySet<number>): Promise<ControllerResult> {
    const state = this.states.get(p.topic)?.at(p.partition);
    if (!state) return result(ErrorCode.UnknownTopicOrPartition, 'This server does not host this topic-partition.');
    const notNeeded = (st: PartitionState): boolean => (electionType === 'preferred' ? st.leader === st.replicas[0] : st.leader !== NO_LEADER);
    if (notNeeded(state)) return result(ErrorCode.ElectionNotNeeded, 'Leader election not needed for topic partition.');
    const written = await this.change(
      p.topic,
      p.partition,
      (st) => {
        if (notNeeded(st)) return null;
        const elected = electionType === 'preferred' ? preferredReplicaElection(st, live) : offlineElection(st, live, true);
        if (elected.leader === NO_LEADER) return null;
        if (elected.unclean) {
          this.logger.warn({ topic: p.topic, partition: p.partition, leader: elected.leader, isr: st.isr }, 'unclean leader election asked for: an out-of-sync replica leads; records it lacks are lost');
        }
        return electedState(st, elected);
      },
      true,
    );
    if (written && notNeeded(written)) return NONE;
    return electionType === 'preferred'
      ? result(ErrorCode.PreferredLeaderNotAvailable, 'Failed to elect leader for partition: the preferred replica is not alive or not in sync.')
      : result(ErrorCode.EligibleLeadersNotAvailable, 'Failed to elect leader for partition: no replica is alive.');
  }

  // ---------------------------------------------------------------------------------------------
  // CreateTopics / CreatePartitions

  private async createTopic(req: CreateTopicRequest, brokers: readonly BrokerRegistration[]): Promise<ControllerResult & { topic?: TopicRecord }> {
    const nameProblem = newTopicNameProblem(
      req.name,
      (name) => this.topics.has(name),
      (unified) => [...this.topics.keys()].find((name) => unifiedTopicName(name) === unified),
    );
    if (nameProblem) return failure(nameProblem);
    const brokerConfig = this.options.brokerConfig();
    const shape = requestedTopicShape(req, brokerConfig.config, new Set(brokers.map((b) => b.nodeId)));
    if (isProblem(shape)) return failure(shape);
    let assignment = shape.assignment;
    if (!assignment) {
      const placed = assignReplicas(this.placementBrokers(brokers), shape.partitions, shape.replicationFactor, this.randomOption());
      if (!('assignment' in placed)) return result(placed.errorCode, placed.errorMessage);
      assignment = placed.assignment;
    }
    const validation = validateTopicConfigs(req.configs, brokerConfig);
    if (validation.error) return result(validation.error.errorCode, validation.error.message);
    const topic: TopicRecord = { name: req.name, topicId: randomUUID(), assignment, configs: Object.fromEntries(validation.configs) };
    if (req.validateOnly) return { ...NONE, topic };
    const live = this.liveSet(brokers);
    const created = await this.store.createTopic(topic, assignment.map((replicas) => initialState(replicas, live)));
    if (!created) return result(ErrorCode.TopicAlreadyExists, `Topic '${req.name}' already exists.`);
    this.topics.set(topic.name, topic);
    this.logger.info({ topic: topic.name, partitions: assignment.length, replicationFactor: shape.replicationFactor }, 'created topic');
    return { ...NONE, topic };
  }

  private async createPartitionsOf(req: CreatePartitionsRequest, validateOnly: boolean): Promise<ControllerResult> {
    const topic = this.topics.get(req.name);
    if (!topic) return result(ErrorCode.UnknownTopicOrPartition, `The topic '${req.name}' does not exist.`);
    const current = topic.assignment.length;
    const bad = addedPartitionsProblem(current, req.count, req.assignments ? req.assignments.length : null);
    if (bad) return failure(bad);
    const brokers = await this.store.brokers();
    let added: number[][];
    if (req.assignments) {
      const checked = checkManualAssignment(
        req.assignments.map((a, i) => ({ partitionIndex: current + i, brokerIds: a.brokerIds })),
        current,
        new Set(brokers.map((b) => b.nodeId)),
        topic.assignment[0].length,
      );
      if (isProblem(checked)) return failure(checked);
      added = checked.assignment;
    } else {
      const placed = assignAddedPartitions(this.placementBrokers(brokers), topic.assignment, req.count);
      if (!('assignment' in placed)) return result(placed.errorCode, placed.errorMessage);
      added = placed.assignment;
    }
    if (validateOnly) return NONE;
    const assignment = [...topic.assignment, ...added];
    const live = this.liveSet(brokers);
    const written = await this.store.addPartitions(req.name, current, assignment, added.map((replicas) => initialState(replicas, live)));
    if (!written) return result(ErrorCode.UnknownTopicOrPartition, `The topic '${req.name}' does not exist.`);
    this.topics.set(req.name, { ...topic, assignment });
    this.logger.info({ topic: req.name, partitions: req.count }, 'added partitions');
    return NONE;
  }

  // ---------------------------------------------------------------------------------------------
  // Broker changes

  /**
   * Brings every partition in line with the brokers registered now (Kafka's onBrokerFailure,
   * onBrokerStartup and the elections on controller failover, as one pass): a partition whose
   * leader is gone gets a new one from its live ISR (or none), gone followers leave the ISR, and a
   * partition without a leader gets one when an ISR member is back. A broker that registered again
   * since the last pass (restarted) is first treated as gone, as Kafka does with bounced brokers.
   */
  private async reactToBrokers(): Promise<void> {
    const brokers = await this.store.brokers();
    const epochs = new Map(brokers.map((b) => [b.nodeId, b.epoch]));
    for (const [id, epoch] of this.shuttingDown) {
      if (epochs.get(id) !== epoch) this.shuttingDown.delete(id);
    }
    const bounced = [...this.knownEpochs].filter(([id, epoch]) => epochs.has(id) && epochs.get(id) !== epoch).map(([id]) => id);
    const registered = new Set(epochs.keys());
    const live = this.liveSet(brokers);
    if (bounced.length > 0) {
      this.logger.info({ brokers: bounced }, 'brokers restarted: moving their partitions as if they had failed');
      const without = (ids: ReadonlySet<number>): Set<number> => new Set([...ids].filter((id) => !bounced.includes(id)));
      await this.electAll(without(registered), without(live));
    }
    await this.electAll(registered, live);
    this.knownEpochs = epochs;
  }

  /**
   * `registered`: the brokers alive (a leader among them keeps its partitions, a follower its ISR
   * places); `live`: those of them that may be elected (not shutting down).
   */
  private async electAll(registered: ReadonlySet<number>, live: ReadonlySet<number>): Promise<void> {
    for (const { topic, partition } of this.partitions()) {
      const record = this.topics.get(topic);
      if (!record) continue;
      await this.change(topic, partition, (st) => {
        if (st.leader !== NO_LEADER && registered.has(st.leader)) {
          const isr = st.isr.filter((id) => registered.has(id));
          return isr.length === st.isr.length ? null : { ...st, isr };
        }
        const unclean = this.uncleanAllowed(record);
        const elected = offlineElection(st, live, unclean);
        if (elected.leader === NO_LEADER && st.leader === NO_LEADER) return null;
        if (elected.unclean) {
          this.logger.warn({ topic, partition, leader: elected.leader, isr: st.isr }, 'unclean leader election: an out-of-sync replica leads; records it lacks are lost');
        }
        return electedState(st, elected);
      });
    }
  }

  /** Kafka's checkAndTriggerAutoLeaderRebalance: per broker, when too many of its preferred partitions are led elsewhere. */
  private async rebalance(): Promise<void> {
    const live = this.liveSet(await this.store.brokers());
    const byPreferred = new Map<number, TopicPartitionRef[]>();
    for (const ref of this.partitions()) {
      const st = this.states.get(ref.topic)?.at(ref.partition);
      const preferred = st?.replicas.at(0);
      if (preferred === undefined) continue;
      const list = byPreferred.get(preferred) ?? [];
      list.push(ref);
      byPreferred.set(preferred, list);
    }
    for (const [broker, refs] of byPreferred) {
      if (!live.has(broker)) continue;
      const imbalanced = refs.filter((r) => this.states.get(r.topic)?.at(r.partition)?.leader !== broker);
      if ((imbalanced.length * 100) / refs.length <= IMBALANCE_PER_BROKER_PERCENTAGE) continue;
      for (const ref of imbalanced) {
        await this.change(ref.topic, ref.partition, (st) => {
          const elected = preferredReplicaElection(st, live);
          if (elected.leader === NO_LEADER || elected.leader === st.leader) return null;
          return electedState(st, elected);
        });
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Internals

  /**
   * One compare-and-swap decision: `decide` gets the partition's state and returns the state to
   * write, or null to leave it. A lost swap re-reads and decides again. Resolves the state written
   * (or the current one when nothing was written; undefined when the partition is gone).
   *
   * The first decision is made on the watched view unless `fresh`: reactions to a brokers event
   * run after the watch delivered every change before it, while a client's request reads the store.
   */
  private async change(
    topic: string,
    partition: number,
    decide: (state: PartitionState) => PartitionState | null,
    fresh = false,
  ): Promise<PartitionState | undefined> {
    let state = fresh ? undefined : this.states.get(topic)?.at(partition);
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      if (!this.running) return state;
      state ??= (await this.store.partitionState(topic, partition)) ?? undefined;
      if (!state) return undefined;
      const next = decide(state);
      if (!next) return state;
      try {
        const written = await this.store.updatePartitionState(topic, partition, { ...next, version: state.version });
        this.setState(topic, partition, written);
        this.logger.info({ topic, partition, leader: written.leader, leaderEpoch: written.leaderEpoch, isr: written.isr }, 'partition state changed');
        return written;
      } catch (e) {
        if (!(e instanceof StaleVersionError)) throw e;
        state = undefined;
      }
    }
    throw new Error(`partition ${topic}-${partition} kept changing: ${MAX_CAS_ATTEMPTS} compare-and-swap attempts lost`);
  }

  /** The store's contents once (if not loaded yet), then the reaction to the brokers as they are. */
  private async catchUp(): Promise<void> {
    if (!this.baselineLoaded) {
      await this.loadBaseline();
      this.baselineLoaded = true;
    }
    await this.reactToBrokers();
  }

  private async loadBaseline(): Promise<void> {
    for (const topic of await this.store.topics()) {
      this.topics.set(topic.name, topic);
      for (let p = 0; p < topic.assignment.length; p++) {
        const state = await this.store.partitionState(topic.name, p);
        if (state) this.setState(topic.name, p, state);
      }
    }
  }

  private onEvent(event: ClusterEvent): void {
    if (!this.running) return;
    switch (event.kind) {
      case 'brokers':
        // One reaction waiting is enough: it reads the brokers when it runs.
        if (this.reactionWaiting) return;
        this.reactionWaiting = true;
        this.enqueue(() => {
          this.reactionWaiting = false;
          return this.reactToBrokers();
        }).catch((e: unknown) => {
          this.reactionFailed(e);
        });
        return;
      case 'controller':
        return;
      case 'topic':
        this.topics.set(event.topic.name, event.topic);
        return;
      case 'topic-deleted':
        if (this.topics.get(event.name)?.topicId === event.topicId) this.forgetTopic(event.name);
        return;
      case 'partition':
        if (this.topics.has(event.topic)) this.setState(event.topic, event.partition, event.state);
        return;
    }
  }

  /** Keeps the newer of what the view has and `state` (watch and own writes may arrive in either order). */
  private setState(topic: string, partition: number, state: PartitionState): void {
    let list = this.states.get(topic);
    if (!list) {
      list = [];
      this.states.set(topic, list);
    }
    const current = list.at(partition);
    if (!current || current.version < state.version) list[partition] = state;
  }

  private forgetTopic(name: string): void {
    this.topics.delete(name);
    this.states.delete(name);
  }

  private *partitions(): Generator<TopicPartitionRef> {
    for (const [topic, record] of [...this.topics]) {
      for (let partition = 0; partition < record.assignment.length; partition++) yield { topic, partition };
    }
  }

  private ledBy(nodeId: number): TopicPartitionRef[] {
    return [...this.partitions()].filter(({ topic, partition }) => {
      const st = this.states.get(topic)?.at(partition);
      return st !== undefined && st.leader === nodeId && st.replicas.length > 1;
    });
  }

  /** Registered brokers that are not shutting down: the ones that may lead and be in an ISR. */
  private liveSet(brokers: readonly BrokerRegistration[]): Set<number> {
    return new Set(brokers.map((b) => b.nodeId).filter((id) => !this.shuttingDown.has(id)));
  }

  private placementBrokers(brokers: readonly BrokerRegistration[]): { nodeId: number; rack: string | null }[] {
    return brokers.filter((b) => !this.shuttingDown.has(b.nodeId)).map((b) => ({ nodeId: b.nodeId, rack: b.rack }));
  }

  private randomOption(): { random?: () => number } {
    return this.options.random ? { random: this.options.random } : {};
  }

  private uncleanAllowed(topic: TopicRecord): boolean {
    return resolveTopicConfig(topic.configs, this.options.brokerConfig()).uncleanLeaderElectionEnable;
  }

  private request<T>(whenNotController: () => T, work: () => Promise<T>): Promise<T> {
    if (!this.running) return Promise.resolve(whenNotController());
    return this.enqueue(() => (this.running ? work() : Promise.resolve(whenNotController())));
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work, work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** A reaction the store could not complete: logged, and the whole reaction runs again later. */
  private reactionFailed(e: unknown): void {
    if (!this.running) return;
    this.logger.warn({ err: e }, 'controller: reacting to the brokers failed; trying again');
    if (this.retryTimer !== undefined) return;
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.running) return;
      this.enqueue(() => this.catchUp()).catch((err: unknown) => {
        this.reactionFailed(err);
      });
    }, this.options.retryBackoffMs ?? 1000);
  }

  private scheduleRebalance(): void {
    if (!this.running || this.rebalanceTimer !== undefined) return;
    this.rebalanceTimer = this.clock.setTimeout(
      () => {
        this.rebalanceTimer = undefined;
        if (!this.running) return;
        if (this.options.brokerConfig().entries.get('auto.leader.rebalance.enable')?.parsed === true) {
          this.enqueue(() => this.rebalance()).catch((e: unknown) => {
            this.logger.warn({ err: e }, 'controller: preferred leader rebalance failed');
          });
        }
        this.scheduleRebalance();
      },
      IMBALANCE_CHECK_INTERVAL_MS,
      { unref: true },
    );
  }
}

/** A new partition's state (Kafka's NewPartition to OnlinePartition): the first live replica leads, the live replicas are the ISR. */
function initialState(replicas: readonly number[], live: ReadonlySet<number>): Omit<PartitionState, 'version'> {
  const alive = replicas.filter((id) => live.has(id));
  return { leader: alive.at(0) ?? NO_LEADER, leaderEpoch: 0, isr: alive.length > 0 ? alive : [...replicas], replicas: [...replicas] };
}
