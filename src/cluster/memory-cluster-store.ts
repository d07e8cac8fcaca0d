/**
 * The cluster store kept in one process: what etcd holds for a cluster, shared by every broker of
 * an in-process cluster (unit tests, test clusters without etcd). `MemoryCluster` is the service;
 * each broker talks to it through its own handle from `connect()`, as each broker process has its
 * own etcd client and lease.
 *
 * It keeps the contract's rules as etcd does:
 * - one revision grows with every write; a partition state's `version` is the revision that wrote
 *   it, so compare-and-swap versions only grow (a topic's states are created in one revision);
 * - a watcher gets the contents, then every change in the order it was applied, delivered
 *   asynchronously (a listener may call the store without re-entering it);
 * - a handle's registration and controllership live with its lease: `expire(nodeId)` ends it at
 *   once (a killed broker's session expiring); with `leaseMs` the lease is kept alive on the
 *   injected clock and lapses `leaseMs` after keep-alives stop (`suspend()`, `disconnect()`, or
 *   close() without `graceful`, which is a process killed). A live broker whose lease lapsed
 *   registers again with a new epoch as soon as it reaches the service (`onSessionLost` tells it),
 *   as EtcdClusterStore does;
 * - while `setAvailable(false)` (the service down) or a handle's `disconnect()` (one broker cut off),
 *   calls reject with ClusterUnavailableError, watch deliveries wait and keep-alives fail.
 */
import type { PartitionState } from '../metadata/partition-state.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import {
  ClusterUnavailableError,
  DuplicateBrokerError,
  StaleVersionError,
  type BrokerAddress,
  type BrokerRegistration,
  type ClusterEvent,
  type ClusterStore,
  type ControllerInfo,
  type TopicRecord,
} from './cluster-store.js';

export interface MemoryClusterOptions {
  /** With leaseMs: leases lapse on this clock when not kept alive. */
  clock?: Clock;
  /** Lease time to live; keep-alives are sent every third of it. Without it, only expire() ends a lease. */
  leaseMs?: number;
}

/** As EtcdClusterStore reports it: the lease was lost under a live broker, which registered again. */
export interface MemorySessionLostEvent {
  previous: BrokerRegistration;
  /** The new registration (a new broker epoch), or null when it was refused (`error`). */
  current: BrokerRegistration | null;
  error?: Error;
}

export interface MemoryClusterStoreOptions {
  onSessionLost?: (event: MemorySessionLostEvent) => void;
}

interface Candidate {
  handle: MemoryClusterStore;
  nodeId: number;
  onLost: () => void;
  resolve: (info: ControllerInfo) => void;
  reject: (error: unknown) => void;
}

interface Watcher {
  listener: (event: ClusterEvent) => void;
  reachable: () => boolean;
  queue: ClusterEvent[];
  scheduled: boolean;
  stopped: boolean;
}

const copy = <T>(value: T): T => structuredClone(value);

export class MemoryCluster {
  private revision = 0n;
  private nextProducerId = 0n;
  private available = true;
  private readonly registrations = new Map<number, { registration: BrokerRegistration; handle: MemoryClusterStore }>();
  private readonly topicRecords = new Map<string, TopicRecord>();
  private readonly states = new Map<string, PartitionState[]>();
  private controllerState: { info: ControllerInfo; candidate: Candidate } | null = null;
  private controllerEpoch = 0n;
  private readonly candidates: Candidate[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly handles = new Set<MemoryClusterStore>();

  constructor(
    readonly clusterId: string,
    readonly options: MemoryClusterOptions = {},
  ) {
    if (options.leaseMs !== undefined && options.clock === undefined) {
      throw new Error('a lease time needs a clock to run on');
    }
  }

  /** A broker's own client of this cluster, with its own lease. */
  connect(options: MemoryClusterStoreOptions = {}): MemoryClusterStore {
    const handle = new MemoryClusterStore(this, options);
    this.handles.add(handle);
    return handle;
  }

  /**
   * Ends the lease of the handle registered as `nodeId` now: the broker's process is gone (killed),
   * so unlike a lease that lapsed under a live process, the handle does not register again.
   */
  expire(nodeId: number): void {
    const entry = this.registrations.get(nodeId);
    if (!entry) throw new Error(`no broker ${nodeId} is registered`);
    entry.handle.killed();
  }

  /** Makes the service unreachable (calls reject, watch deliveries wait) or reachable again. */
  setAvailable(available: boolean): void {
    this.available = available;
    if (available) {
      this.deliverHeld();
      for (const handle of this.handles) handle.serviceBack();
    }
  }

  /** @internal Delivers what watchers could not receive while unreachable. */
  deliverHeld(): void {
    for (const w of this.watchers) this.schedule(w);
  }

  /** @internal The handle's current registration, if any. */
  registrationOf(handle: MemoryClusterStore): BrokerRegistration | null {
    for (const entry of this.registrations.values()) if (entry.handle === handle) return copy(entry.registration);
    return null;
  }

  get isAvailable(): boolean {
    return this.available;
  }

  // ---------------------------------------------------------------------------------------------
  // Operations of the handles (each checked for availability by the handle first)

  /** @internal */
  register(handle: MemoryClusterStore, broker: BrokerAddress): BrokerRegistration {
    const existing = this.registrations.get(broker.nodeId);
    if (existing && existing.handle !== handle) {
      throw new DuplicateBrokerError(`Another broker is registered with broker id ${broker.nodeId}.`);
    }
    for (const [id, entry] of this.registrations) {
      if (entry.handle === handle && id !== broker.nodeId) this.registrations.delete(id);
    }
    const registration: BrokerRegistration = { ...copy(broker), epoch: this.bump() };
    this.registrations.set(broker.nodeId, { registration, handle });
    this.emitBrokers();
    return copy(registration);
  }

  /** @internal Removes every registration of the handle; true when there was one. */
  unregister(handle: MemoryClusterStore): boolean {
    let removed = false;
    for (const [id, entry] of this.registrations) {
      if (entry.handle === handle) {
        this.registrations.delete(id);
        removed = true;
      }
    }
    if (removed) {
      this.bump();
      this.emitBrokers();
    }
    return removed;
  }

  /** @internal */
  brokers(): BrokerRegistration[] {
    return [...this.registrations.values()].map((e) => copy(e.registration)).sort((a, b) => a.nodeId - b.nodeId);
  }

  /** @internal */
  campaign(candidate: Candidate): void {
    this.candidates.push(candidate);
    this.electIfVacant();
  }

  /** @internal Ends the handle's pending campaigns with `reason` (its store closed). */
  withdrawCampaigns(handle: MemoryClusterStore, reason: unknown): void {
    for (let i = this.candidates.length - 1; i >= 0; i--) {
      const c = this.candidates[i];
      if (c.handle === handle) {
        this.candidates.splice(i, 1);
        c.reject(reason);
      }
    }
  }

  /** @internal */
  hasCampaign(handle: MemoryClusterStore): boolean {
    return this.candidates.some((c) => c.handle === handle);
  }

  /** @internal */
  resign(handle: MemoryClusterStore): void {
    const current = this.controllerState;
    if (current?.candidate.handle !== handle) return;
    this.controllerState = null;
    this.bump();
    this.emit({ kind: 'controller', controller: null });
    current.candidate.onLost();
    this.electIfVacant();
  }

  /** @internal */
  controller(): ControllerInfo | null {
    return this.controllerState ? copy(this.controllerState.info) : null;
  }

  /** @internal */
  topics(): TopicRecord[] {
    return [...this.topicRecords.values()].map(copy).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** @internal */
  createTopic(topic: TopicRecord, states: Omit<PartitionState, 'version'>[]): boolean {
    if (this.topicRecords.has(topic.name)) return false;
    if (states.length !== topic.assignment.length) {
      throw new Error(`topic ${topic.name} has ${topic.assignment.length} partitions but ${states.length} states were given`);
    }
    const version = this.bump();
    const stored = copy(topic);
    this.topicRecords.set(topic.name, stored);
    const written = states.map((s) => ({ ...copy(s), version }));
    this.states.set(topic.name, written);
    this.emit({ kind: 'topic', topic: copy(stored) });
    written.forEach((state, partition) => {
      this.emit({ kind: 'partition', topic: topic.name, partition, state: copy(state) });
    });
    return true;
  }

  /** @internal */
  addPartitions(name: string, fromCount: number, assignment: number[][], states: Omit<PartitionState, 'version'>[]): boolean {
    const topic = this.topicRecords.get(name);
    const current = this.states.get(name);
    if (!topic || !current || topic.assignment.length !== fromCount) return false;
    if (assignment.length !== fromCount + states.length) {
      throw new Error(`adding ${states.length} partitions to ${fromCount} needs an assignment of ${fromCount + states.length}, not ${assignment.length}`);
    }
    const version = this.bump();
    topic.assignment = copy(assignment);
    const added = states.map((s) => ({ ...copy(s), version }));
    current.push(...added);
    this.emit({ kind: 'topic', topic: copy(topic) });
    added.forEach((state, i) => {
      this.emit({ kind: 'partition', topic: name, partition: fromCount + i, state: copy(state) });
    });
    return true;
  }

  /** @internal */
  setTopicConfigs(name: string, configs: Record<string, string>): boolean {
    const topic = this.topicRecords.get(name);
    if (!topic) return false;
    this.bump();
    topic.configs = copy(configs);
    this.emit({ kind: 'topic', topic: copy(topic) });
    return true;
  }

  /** @internal */
  deleteTopic(name: string): boolean {
    const topic = this.topicRecords.get(name);
    if (!topic) return false;
    this.bump();
    this.topicRecords.delete(name);
    this.states.delete(name);
    this.emit({ kind: 'topic-deleted', name, topicId: topic.topicId });
    return true;
  }

  /** @internal */
  partitionState(topic: string, partition: number): PartitionState | null {
    const state = this.states.get(topic)?.at(partition);
    return state ? copy(state) : null;
  }

  /** @internal */
  updatePartitionState(topic: string, partition: number, state: PartitionState): PartitionState {
    const states = this.states.get(topic);
    const current = states?.at(partition);
    if (!states || !current) {
      throw new StaleVersionError(`partition ${topic}-${partition} does not exist (any more)`);
    }
    if (current.version !== state.version) {
      throw new StaleVersionError(`partition ${topic}-${partition} is at version ${current.version}, not ${state.version}`);
    }
    const written = { ...copy(state), version: this.bump() };
    states[partition] = written;
    this.emit({ kind: 'partition', topic, partition, state: copy(written) });
    return copy(written);
  }

  /** @internal */
  allocateProducerIds(size: number): bigint {
    if (!Number.isInteger(size) || size <= 0) throw new RangeError(`cannot allocate ${size} producer ids`);
    const first = this.nextProducerId;
    this.nextProducerId += BigInt(size);
    this.bump();
    return first;
  }

  /** @internal */
  watch(listener: (event: ClusterEvent) => void, reachable: () => boolean): () => void {
    const watcher: Watcher = { listener, reachable, queue: [], scheduled: false, stopped: false };
    watcher.queue.push({ kind: 'brokers', brokers: this.brokers() });
    watcher.queue.push({ kind: 'controller', controller: this.controller() });
    for (const topic of this.topics()) {
      watcher.queue.push({ kind: 'topic', topic });
      const states = this.states.get(topic.name) ?? [];
      states.forEach((state, partition) => {
        watcher.queue.push({ kind: 'partition', topic: topic.name, partition, state: copy(state) });
      });
    }
    this.watchers.add(watcher);
    this.schedule(watcher);
    return () => {
      watcher.stopped = true;
      this.watchers.delete(watcher);
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Internals

  private bump(): bigint {
    this.revision += 1n;
    return this.revision;
  }

  private electIfVacant(): void {
    if (this.controllerState) return;
    const next = this.candidates.shift();
    if (!next) return;
    this.controllerEpoch += 1n;
    const info: ControllerInfo = { nodeId: next.nodeId, epoch: this.controllerEpoch };
    this.controllerState = { info, candidate: next };
    this.bump();
    this.emit({ kind: 'controller', controller: copy(info) });
    next.resolve(copy(info));
  }

  private emitBrokers(): void {
    this.emit({ kind: 'brokers', brokers: this.brokers() });
  }

  private emit(event: ClusterEvent): void {
    for (const w of this.watchers) {
      w.queue.push(event.kind === 'brokers' ? event : copy(event));
      this.schedule(w);
    }
  }

  private schedule(w: Watcher): void {
    if (w.scheduled || w.stopped) return;
    w.scheduled = true;
    queueMicrotask(() => {
      w.scheduled = false;
      while (this.available && w.reachable() && !w.stopped) {
        const event = w.queue.shift();
        if (!event) return;
        w.listener(event);
      }
    });
  }
}

/** One broker's handle on a MemoryCluster (its etcd client and lease). */
export class MemoryClusterStore implements ClusterStore {
  private closed = false;
  private reachable = true;
  private keepAlive = true;
  private expiryTimer: TimerHandle | undefined;
  private keepAliveTimer: TimerHandle | undefined;
  private readonly stops = new Set<() => void>();

  /** Where this broker registered, while it means to be registered (re-registered after a lapse). */
  private address: BrokerAddress | null = null;
  /** The registration a lapsed lease ended, until the broker registers again. */
  private lapsed: BrokerRegistration | null = null;

  /** @internal use MemoryCluster.connect() */
  constructor(
    private readonly cluster: MemoryCluster,
    private readonly options: MemoryClusterStoreOptions = {},
  ) {}

  get clusterId(): string {
    return this.cluster.clusterId;
  }

  register(broker: BrokerAddress): Promise<BrokerRegistration> {
    return this.call(() => {
      const registration = this.cluster.register(this, broker);
      this.address = { ...broker };
      this.lapsed = null;
      this.startLease();
      return registration;
    });
  }

  unregister(): Promise<void> {
    return this.call(() => {
      this.address = null;
      this.lapsed = null;
      this.cluster.unregister(this);
    });
  }

  brokers(): Promise<BrokerRegistration[]> {
    return this.call(() => this.cluster.brokers());
  }

  async campaign(nodeId: number, onLost: () => void): Promise<ControllerInfo> {
    await this.call(() => undefined);
    return new Promise<ControllerInfo>((resolve, reject) => {
      this.startLease();
      this.cluster.campaign({ handle: this, nodeId, onLost, resolve, reject });
    });
  }

  resign(): Promise<void> {
    return this.call(() => {
      this.cluster.resign(this);
    });
  }

  controller(): Promise<ControllerInfo | null> {
    return this.call(() => this.cluster.controller());
  }

  topics(): Promise<TopicRecord[]> {
    return this.call(() => this.cluster.topics());
  }

  createTopic(topic: TopicRecord, states: Omit<PartitionState, 'version'>[]): Promise<boolean> {
    return this.call(() => this.cluster.createTopic(topic, states));
  }

  addPartitions(name: string, fromCount: number, assignment: number[][], states: Omit<PartitionState, 'version'>[]): Promise<boolean> {
    return this.call(() => this.cluster.addPartitions(name, fromCount, assignment, states));
  }

  setTopicConfigs(name: string, configs: Record<string, string>): Promise<boolean> {
    return this.call(() => this.cluster.setTopicConfigs(name, configs));
  }

  deleteTopic(name: string): Promise<boolean> {
    return this.call(() => this.cluster.deleteTopic(name));
  }

  partitionState(topic: string, partition: number): Promise<PartitionState | null> {
    return this.call(() => this.cluster.partitionState(topic, partition));
  }

  updatePartitionState(topic: string, partition: number, state: PartitionState): Promise<PartitionState> {
    return this.call(() => this.cluster.updatePartitionState(topic, partition, state));
  }

  allocateProducerIds(size: number): Promise<bigint> {
    return this.call(() => this.cluster.allocateProducerIds(size));
  }

  watch(listener: (event: ClusterEvent) => void): Promise<() => void> {
    return this.call(() => {
      const stop = this.cluster.watch(listener, () => this.reachable);
      const stopOnce = (): void => {
        this.stops.delete(stopOnce);
        stop();
      };
      this.stops.add(stopOnce);
      return stopOnce;
    });
  }

  async close(options?: { graceful?: boolean }): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.address = null;
    for (const stop of [...this.stops]) stop();
    this.cancelKeepAlive();
    this.cluster.withdrawCampaigns(this, new ClusterUnavailableError('the cluster store is closed'));
    // A process that stops without revoking its lease leaves its registration and controllership
    // until the lease lapses.
    if (options?.graceful || this.cluster.options.leaseMs === undefined || this.expiryTimer === undefined) this.endLease();
    await Promise.resolve();
  }

  /** Stops the lease's keep-alives (a frozen process); it lapses after leaseMs unless resumed. */
  suspend(): void {
    this.keepAlive = false;
    this.cancelKeepAlive();
  }

  /** Sends keep-alives again (the lease is renewed at once if it has not lapsed). */
  resume(): void {
    if (this.closed) return;
    this.keepAlive = true;
    if (this.expiryTimer !== undefined) this.renewLease();
    this.registerAgain();
  }

  /**
   * Cuts this handle off the service (a network partition): its calls reject, its watches hold
   * their deliveries, and its keep-alives fail, so its lease lapses after leaseMs.
   */
  disconnect(): void {
    this.reachable = false;
  }

  /** Ends disconnect(): held watch deliveries arrive, keep-alives resume if the lease still lives. */
  reconnect(): void {
    this.reachable = true;
    this.cluster.deliverHeld();
    this.registerAgain();
  }

  /** @internal MemoryCluster.expire: the process is gone with its lease. */
  killed(): void {
    this.address = null;
    this.lapsed = null;
    this.endLease();
  }

  /** @internal The service is reachable again. */
  serviceBack(): void {
    this.registerAgain();
  }

  /** The lease lapsed under a live broker: it registers again once it can reach the service. */
  private leaseLapsed(): void {
    const previous = this.cluster.registrationOf(this);
    this.endLease();
    if (previous && this.address) {
      this.lapsed = previous;
      this.registerAgain();
    }
  }

  /** Kafka's broker registering again after its session expired: a new lease, a new epoch. */
  private registerAgain(): void {
    const previous = this.lapsed;
    const address = this.address;
    if (!previous || !address || this.closed || !this.keepAlive || !this.canReach()) return;
    this.lapsed = null;
    try {
      const current = this.cluster.register(this, address);
      this.startLease();
      this.options.onSessionLost?.({ previous, current });
    } catch (e) {
      if (!(e instanceof DuplicateBrokerError)) throw e;
      this.address = null;
      this.options.onSessionLost?.({ previous, current: null, error: e });
    }
  }

  /** The registration and controllership end; pending campaigns go on under a new lease, as etcd's client does. */
  private endLease(): void {
    const clock = this.cluster.options.clock;
    if (this.expiryTimer !== undefined && clock) clock.clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    this.cancelKeepAlive();
    this.cluster.unregister(this);
    this.cluster.resign(this);
    if (!this.closed && this.cluster.hasCampaign(this)) this.startLease();
  }

  private startLease(): void {
    if (this.expiryTimer !== undefined) return;
    this.renewLease();
  }

  private renewLease(): void {
    const { clock, leaseMs } = this.cluster.options;
    if (!clock || leaseMs === undefined) return;
    if (this.expiryTimer !== undefined) clock.clearTimeout(this.expiryTimer);
    this.expiryTimer = clock.setTimeout(() => {
      this.expiryTimer = undefined;
      this.leaseLapsed();
    }, leaseMs);
    this.cancelKeepAlive();
    if (this.keepAlive && !this.closed) {
      this.keepAliveTimer = clock.setTimeout(
        () => {
          this.keepAliveTimer = undefined;
          if (this.canReach()) this.renewLease();
          else this.scheduleKeepAliveRetry();
        },
        Math.max(1, Math.floor(leaseMs / 3)),
        { unref: true },
      );
    }
  }

  /** The service is unreachable: keep trying, the lease lapses meanwhile unless it comes back. */
  private scheduleKeepAliveRetry(): void {
    const { clock, leaseMs } = this.cluster.options;
    if (!clock || leaseMs === undefined || this.expiryTimer === undefined) return;
    this.keepAliveTimer = clock.setTimeout(
      () => {
        this.keepAliveTimer = undefined;
        if (this.expiryTimer === undefined) return;
        if (this.canReach()) this.renewLease();
        else this.scheduleKeepAliveRetry();
      },
      Math.max(1, Math.floor(leaseMs / 10)),
      { unref: true },
    );
  }

  private cancelKeepAlive(): void {
    const clock = this.cluster.options.clock;
    if (this.keepAliveTimer !== undefined && clock) clock.clearTimeout(this.keepAliveTimer);
    this.keepAliveTimer = undefined;
  }

  private canReach(): boolean {
    return this.reachable && this.cluster.isAvailable;
  }

  private async call<T>(operation: () => T): Promise<T> {
    await Promise.resolve();
    if (this.closed) throw new ClusterUnavailableError('the cluster store is closed');
    if (!this.canReach()) throw new ClusterUnavailableError('the cluster service cannot be reached');
    return operation();
  }
}
