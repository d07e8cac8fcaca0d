/**
 * The cluster store on etcd, in the roles ZooKeeper had for Kafka: broker registrations are keys
 * under this store's lease (ZooKeeper's ephemeral /brokers/ids/<id>), the controller is a
 * create-if-absent key under the same lease (/controller), topics and partition states are plain
 * keys updated by compare-and-swap on their revisions (znode versions).
 *
 * Layout under `/gregor/<clusterId>/`:
 *   brokers/<id>               BrokerAddress JSON, leased; epoch = the key's create revision
 *   controller                 { nodeId } JSON, leased; controller epoch = the key's create revision
 *   topics/<name>              TopicRecord JSON
 *   partitions/<topic>/<n>     PartitionState JSON without version; version = the key's mod revision
 *   producer-ids               the next unallocated producer id, decimal
 *
 * Revisions are etcd's global counter, so every epoch grows across the whole cluster and a
 * re-registration always gets a larger one than any earlier registration had.
 */
import {
  Etcd3,
  EtcdLeaseInvalidError,
  GRPCGenericError,
  GRPCInvalidArgumentError,
  GRPCOutOfRangeError,
  isRecoverableError,
  type IKeyValue,
  type IOptions,
  type Lease,
} from 'etcd3';
import type { PartitionState } from '../metadata/partition-state.js';
import { silentLogger, type Logger } from '../util/logger.js';
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
import { EtcdClusterWatch } from './etcd-cluster-watch.js';
import { EtcdKeys, parseBroker, parseController, parsePartitionState, parseTopic } from './etcd-keys.js';
import { EtcdResumableWatch } from './etcd-resumable-watch.js';

/**
 * Kafka's KRaft brokers default to broker.session.timeout.ms=9000; a lease that long would make a
 * failover after kill -9 take more than 9 s, above the 6 s the cluster has to meet. Four seconds with
 * a keepalive every third of it (as etcd's own clients do) survives a couple of missed beats on a
 * busy machine and lets a dead broker's replicas fail over in about five.
 */
const DEFAULT_LEASE_TTL_SECONDS = 4;
/** How long a store call waits for etcd before it fails with ClusterUnavailableError. */
const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;
/** etcd's default --max-txn-ops: larger topic writes go in several transactions. */
const MAX_TXN_OPS = 128;
/** Pause between attempts to re-register after the lease was lost, while etcd stays unreachable. */
const RETRY_DELAY_MS = 250;

/** What the store tells its broker when its registration's lease expired and it registered again. */
export interface SessionLostEvent {
  /** The registration that expired with the lost lease. */
  previous: BrokerRegistration;
  /** The new registration (a new broker epoch), or null when it was refused (`error`). */
  current: BrokerRegistration | null;
  error?: Error;
}

export interface EtcdClusterStoreOptions {
  endpoints: string[];
  clusterId: string;
  leaseTtlSeconds?: number;
  requestTimeoutMs?: number;
  logger?: Logger;
  /** Called after the lease was lost and the store registered again (or could not). */
  onSessionLost?: (event: SessionLostEvent) => void;
}

interface ControllerRole {
  info: ControllerInfo;
  onLost: () => void;
  stopWatch: () => void;
}

class ClosedError extends Error {
  override readonly name = 'ClosedError';
}

function isUnavailable(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  if (e instanceof GRPCInvalidArgumentError || e instanceof GRPCOutOfRangeError) return false;
  if (e instanceof GRPCGenericError || isRecoverableError(e)) return true;
  // cockatiel's open circuit breaker, which etcd3 puts in front of each host
  return (e as { isBrokenCircuitError?: boolean }).isBrokenCircuitError === true;
}

function firstKv(res: { responses: { response_range?: { kvs: IKeyValue[] } }[] }): IKeyValue | undefined {
  return res.responses.at(0)?.response_range?.kvs.at(0);
}

export class EtcdClusterStore implements ClusterStore {
  readonly clusterId: string;
  readonly keys: EtcdKeys;
  private readonly client: Etcd3;
  private readonly ttl: number;
  private readonly timeoutMs: number;
  private readonly log: Logger;
  private readonly onSessionLost: ((event: SessionLostEvent) => void) | undefined;

  private lease: Lease | null = null;
  private leaseId: string | null = null;
  private sessionTimer: NodeJS.Timeout | null = null;
  private address: BrokerAddress | null = null;
  private registration: BrokerRegistration | null = null;
  private controllerRole: ControllerRole | null = null;
  private readonly watches = new Set<{ stop: () => void; refresh: () => void }>();
  private readonly closeListeners = new Set<() => void>();
  /** Called when etcd answers again after the session was lost (see reregister). */
  private readonly reconnectListeners = new Set<() => void>();
  private closed = false;

  private constructor(options: EtcdClusterStoreOptions) {
    this.clusterId = options.clusterId;
    this.keys = new EtcdKeys(options.clusterId);
    this.ttl = options.leaseTtlSeconds ?? DEFAULT_LEASE_TTL_SECONDS;
    this.timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.log = options.logger ?? silentLogger;
    this.onSessionLost = options.onSessionLost;
    const timeoutMs = this.timeoutMs;
    this.client = new Etcd3({
      hosts: options.endpoints.map((e) => e.replace(/^https?:\/\//, '')),
      // Unary calls carry a deadline so gRPC gives up on a hung member; streams (watch, keepalive)
      // live as long as the store.
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeoutMs }),
      faultHandling: {
        // etcd3 retries each call up to three times and opens a circuit breaker per host that fails
        // every call for 5 s after three errors, long after etcd is back. Each store call is one
        // attempt, answered or ClusterUnavailableError, and the caller decides what to retry: a
        // retried compare-and-swap whose first attempt did apply would report a conflict with itself.
        global: passThrough,
        host: () => passThrough,
        // etcd3's default backoff grows to 30 s; a watch must be back soon after etcd is.
        watchBackoff: cappedBackoff(100, 1_000),
      },
    });
  }

  /** Creates the store and checks that etcd answers. */
  static async connect(options: EtcdClusterStoreOptions): Promise<EtcdClusterStore> {
    if (options.endpoints.length === 0) throw new Error('no etcd endpoints');
    if (!/^[A-Za-z0-9._-]+$/.test(options.clusterId)) throw new Error(`invalid cluster id "${options.clusterId}"`);
    const ttl = options.leaseTtlSeconds;
    // etcd counts lease TTLs in whole seconds.
    if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 1)) throw new RangeError(`invalid lease TTL ${ttl} s: a whole number of seconds, at least 1`);
    const timeout = options.requestTimeoutMs;
    if (timeout !== undefined && !(timeout > 0)) throw new RangeError(`invalid etcd request timeout ${timeout} ms`);
    const store = new EtcdClusterStore(options);
    try {
      await store.call('connect', () => store.client.get(store.keys.controller).exec());
    } catch (e) {
      store.client.close();
      throw e;
    }
    return store;
  }

  // ---- registration ----

  async register(broker: BrokerAddress): Promise<BrokerRegistration> {
    this.checkOpen();
    if (this.registration !== null) {
      if (this.registration.nodeId !== broker.nodeId) throw new Error(`already registered as broker ${this.registration.nodeId}`);
      return this.registration;
    }
    const registration = await this.registerNow(broker);
    this.address = { nodeId: broker.nodeId, host: broker.host, port: broker.port, rack: broker.rack };
    this.registration = registration;
    return registration;
  }

  async unregister(): Promise<void> {
    const registration = this.registration;
    const leaseId = this.leaseId;
    this.registration = null;
    this.address = null;
    if (registration === null || leaseId === null) return;
    const key = this.keys.broker(registration.nodeId);
    await this.call('unregister', () => this.client.if(key, 'Lease', '==', leaseId).then(this.client.delete().key(key)).commit());
  }

  async brokers(): Promise<BrokerRegistration[]> {
    const res = await this.call('brokers', () => this.client.getAll().prefix(this.keys.brokersPrefix).exec());
    return res.kvs.map(parseBroker).sort((a, b) => a.nodeId - b.nodeId);
  }

  private async registerNow(broker: BrokerAddress): Promise<BrokerRegistration> {
    const leaseId = await this.ensureLease();
    const key = this.keys.broker(broker.nodeId);
    const address: BrokerAddress = { nodeId: broker.nodeId, host: broker.host, port: broker.port, rack: broker.rack };
    const value = JSON.stringify(address);
    const res = await this.call('register', () =>
      this.client
        .if(key, 'Create', '==', 0)
        .then(this.client.put(key).value(value).lease(leaseId))
        .else(this.client.get(key))
        .commit(),
    );
    if (res.succeeded) return { ...address, epoch: BigInt(res.header.revision) };
    const existing = firstKv(res);
    // Our own key: an earlier attempt went through although its answer was lost.
    if (existing !== undefined && existing.lease === leaseId) return parseBroker(existing);
    throw new DuplicateBrokerError(`broker ${broker.nodeId} is already registered by a live broker`);
  }

  // ---- the session lease ----

  private async ensureLease(): Promise<string> {
    this.checkOpen();
    if (this.lease !== null && this.leaseId !== null) return this.leaseId;
    if (this.lease === null) {
      const lease = this.client.lease(this.ttl, { autoKeepAlive: true });
      this.lease = lease;
      lease.on('lost', (err) => { this.leaseLost(lease, err); });
      lease.on('keepaliveSucceeded', () => { this.armSessionTimer(lease); });
    }
    const lease = this.lease;
    const id = await this.call('lease grant', () => lease.grant());
    if (this.lease === lease && this.leaseId === null) {
      this.leaseId = id;
      this.armSessionTimer(lease);
    }
    return id;
  }

  /**
   * etcd expires the lease at most one TTL after the last keepalive it answered. etcd3 only gives up
   * after two TTLs without an answer; by then another broker may have been controller for a whole
   * TTL. So the session counts as lost one TTL after the last answered keepalive.
   */
  private armSessionTimer(lease: Lease): void {
    if (this.lease !== lease) return;
    if (this.sessionTimer !== null) clearTimeout(this.sessionTimer);
    this.sessionTimer = setTimeout(() => {
      this.sessionTimer = null;
      if (this.lease !== lease) return;
      lease.release();
      this.leaseLost(lease, new Error(`no keepalive answered within the lease TTL of ${this.ttl} s`));
    }, this.ttl * 1000);
    this.sessionTimer.unref();
  }

  private leaseLost(lease: Lease, err: Error): void {
    if (this.lease !== lease) return;
    const hadId = this.leaseId;
    if (this.sessionTimer !== null) clearTimeout(this.sessionTimer);
    this.sessionTimer = null;
    this.lease = null;
    this.leaseId = null;
    if (this.closed || hadId === null) return;
    this.log.warn({ err: err.message, lease: hadId }, 'etcd lease lost');
    const role = this.controllerRole;
    if (role !== null) this.loseController(role);
    const previous = this.registration;
    const address = this.address;
    this.registration = null;
    if (previous !== null && address !== null) void this.reregister(lease, previous, address);
  }

  /** Kafka's broker re-registering after its ZooKeeper session expired: a new lease, a new epoch. */
  private async reregister(oldLease: Lease, previous: BrokerRegistration, address: BrokerAddress): Promise<void> {
    let revoked = false;
    while (!this.closed) {
      try {
        // The old lease may still be alive in etcd (its keepalives stopped only on this side): revoke
        // it so its registration and controller key go, and nobody trusts them any longer.
        if (!revoked) {
          await this.call('revoke lost lease', () => oldLease.revoke());
          revoked = true;
        }
        const current = await this.registerNow(address);
        if (this.isClosed() || this.address !== address) return;
        this.registration = current;
        this.log.warn({ previousEpoch: previous.epoch.toString(), epoch: current.epoch.toString() }, 'registered again after the etcd lease was lost');
        // The watches' streams lived through the outage and may be dead without knowing it.
        for (const w of this.watches) w.refresh();
        for (const l of [...this.reconnectListeners]) l();
        this.onSessionLost?.({ previous, current });
        return;
      } catch (e) {
        if (e instanceof DuplicateBrokerError) {
          this.log.error({ err: e.message }, 'cannot register again after the etcd lease was lost');
          this.onSessionLost?.({ previous, current: null, error: e });
          return;
        }
        if (e instanceof EtcdLeaseInvalidError) {
          revoked = true;
          continue;
        }
        if (!(e instanceof ClusterUnavailableError) && !(e instanceof ClosedError)) {
          this.log.error({ err: e }, 'registering again after the etcd lease was lost failed');
        }
      }
      await this.delay(RETRY_DELAY_MS);
    }
  }

  // ---- controller election ----

  async campaign(nodeId: number, onLost: () => void): Promise<ControllerInfo> {
    for (;;) {
      const leaseId = await this.ensureLease();
      const key = this.keys.controller;
      const res = await this.call('campaign', () =>
        this.client
          .if(key, 'Create', '==', 0)
          .then(this.client.put(key).value(JSON.stringify({ nodeId })).lease(leaseId))
          .else(this.client.get(key))
          .commit(),
      );
      const existing = firstKv(res);
      let info: ControllerInfo | null = null;
      if (res.succeeded) info = { nodeId, epoch: BigInt(res.header.revision) };
      else if (existing !== undefined && existing.lease === leaseId) info = parseController(existing);
      if (info !== null) {
        if (this.leaseId !== leaseId) continue; // the lease was lost while the answer was on its way
        this.becomeController(info, onLost, BigInt(res.header.revision));
        return info;
      }
      await this.waitForDelete(key, BigInt(res.header.revision) + 1n);
    }
  }

  async resign(): Promise<void> {
    const role = this.controllerRole;
    const leaseId = this.leaseId;
    if (role === null) return;
    this.loseController(role);
    if (leaseId === null) return;
    const key = this.keys.controller;
    await this.call('resign', () => this.client.if(key, 'Lease', '==', leaseId).then(this.client.delete().key(key)).commit());
  }

  async controller(): Promise<ControllerInfo | null> {
    const res = await this.call('controller', () => this.client.get(this.keys.controller).exec());
    const kv = res.kvs.at(0);
    return kv === undefined ? null : parseController(kv);
  }

  private becomeController(info: ControllerInfo, onLost: () => void, revision: bigint): void {
    const key = this.keys.controller;
    const leaseId = this.leaseId;
    // The key going away (lease revoked, expired, deleted) ends the role even if our lease object has
    // not noticed yet.
    const watch = new EtcdResumableWatch(this.client, key, false, revision + 1n, this.log, {
      onEvents: (events) => {
        for (const ev of events) {
          if (ev.type === 'Delete' || ev.kv.lease !== leaseId) {
            if (this.controllerRole === role) this.loseController(role);
            return;
          }
        }
      },
      onReset: () => {
        // History compacted: check the key itself.
        void this.controller().then(
          (c) => { if (this.controllerRole === role && (c === null || c.epoch !== info.epoch)) this.loseController(role); },
          () => undefined,
        );
      },
    });
    const role: ControllerRole = { info, onLost, stopWatch: () => { watch.stop(); } };
    this.controllerRole = role;
  }

  private loseController(role: ControllerRole): void {
    if (this.controllerRole !== role) return;
    this.controllerRole = null;
    role.stopWatch();
    try {
      role.onLost();
    } catch (e) {
      this.log.error({ err: e }, 'controller onLost listener failed');
    }
  }

  /** Resolves once `key` is deleted at or after `fromRevision`; rejects when the store closes. */
  private waitForDelete(key: string, fromRevision: bigint): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        watch.stop();
        this.closeListeners.delete(onClose);
        this.reconnectListeners.delete(onReconnect);
      };
      // etcd back after an outage: the stream may have missed the delete; campaign again and see.
      const onReconnect = (): void => {
        done();
        resolve();
      };
      const onClose = (): void => {
        done();
        reject(new ClosedError('the cluster store closed'));
      };
      const watch = new EtcdResumableWatch(this.client, key, false, fromRevision, this.log, {
        onEvents: (events) => {
          if (events.some((ev) => ev.type === 'Delete')) {
            done();
            resolve();
          }
        },
        // Compacted past fromRevision: campaign again and see.
        onReset: () => {
          done();
          resolve();
        },
      });
      this.closeListeners.add(onClose);
      this.reconnectListeners.add(onReconnect);
    });
  }

  // ---- topics and partitions ----

  async topics(): Promise<TopicRecord[]> {
    const res = await this.call('topics', () => this.client.getAll().prefix(this.keys.topicsPrefix).exec());
    return res.kvs.map(parseTopic).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async createTopic(topic: TopicRecord, states: Omit<PartitionState, 'version'>[]): Promise<boolean> {
    const key = this.keys.topic(topic.name);
    const puts = states.map((s, i) => this.partitionPut(topic.name, i, s));
    const first = puts.splice(0, MAX_TXN_OPS - 1);
    const res = await this.call('create topic', () =>
      this.client
        .if(key, 'Version', '==', 0)
        .then(this.client.put(key).value(JSON.stringify(topic)), ...first)
        .commit(),
    );
    if (!res.succeeded) return false;
    await this.writeRest(key, BigInt(res.header.revision), puts);
    return true;
  }

  async addPartitions(name: string, fromCount: number, assignment: number[][], states: Omit<PartitionState, 'version'>[]): Promise<boolean> {
    const key = this.keys.topic(name);
    for (;;) {
      const current = await this.readTopic(name);
      if (current === null || current.topic.assignment.length !== fromCount) return false;
      const record: TopicRecord = { ...current.topic, assignment };
      const puts = states.map((s, i) => this.partitionPut(name, fromCount + i, s));
      const first = puts.splice(0, MAX_TXN_OPS - 1);
      const res = await this.call('add partitions', () =>
        this.client
          .if(key, 'Mod', '==', current.modRevision.toString())
          .then(this.client.put(key).value(JSON.stringify(record)), ...first)
          .commit(),
      );
      if (res.succeeded) {
        await this.writeRest(key, BigInt(res.header.revision), puts);
        return true;
      }
    }
  }

  async setTopicConfigs(name: string, configs: Record<string, string>): Promise<boolean> {
    const key = this.keys.topic(name);
    for (;;) {
      const current = await this.readTopic(name);
      if (current === null) return false;
      const record: TopicRecord = { ...current.topic, configs };
      const res = await this.call('set topic configs', () =>
        this.client.if(key, 'Mod', '==', current.modRevision.toString()).then(this.client.put(key).value(JSON.stringify(record))).commit(),
      );
      if (res.succeeded) return true;
    }
  }

  async deleteTopic(name: string): Promise<boolean> {
    const key = this.keys.topic(name);
    const res = await this.call('delete topic', () =>
      this.client
        .if(key, 'Version', '>', 0)
        .then(this.client.delete().key(key), this.client.delete().prefix(this.keys.partitionsOf(name)))
        .commit(),
    );
    return res.succeeded;
  }

  async partitionState(topic: string, partition: number): Promise<PartitionState | null> {
    const res = await this.call('partition state', () => this.client.get(this.keys.partition(topic, partition)).exec());
    const kv = res.kvs.at(0);
    return kv === undefined ? null : parsePartitionState(kv);
  }

  async updatePartitionState(topic: string, partition: number, state: PartitionState): Promise<PartitionState> {
    const key = this.keys.partition(topic, partition);
    const res = await this.call('update partition state', () =>
      this.client.if(key, 'Mod', '==', state.version.toString()).then(this.partitionPut(topic, partition, state)).commit(),
    );
    if (!res.succeeded) throw new StaleVersionError(`partition ${topic}-${partition} changed since version ${state.version}`);
    return { ...state, version: BigInt(res.header.revision) };
  }

  private partitionPut(topic: string, partition: number, state: Omit<PartitionState, 'version'>): ReturnType<Etcd3['put']> {
    const value = JSON.stringify({ leader: state.leader, leaderEpoch: state.leaderEpoch, isr: state.isr, replicas: state.replicas });
    return this.client.put(this.keys.partition(topic, partition)).value(value);
  }

  /** Writes the partition states that did not fit the first transaction, while the topic key is unchanged. */
  private async writeRest(topicKey: string, topicRevision: bigint, puts: ReturnType<Etcd3['put']>[]): Promise<void> {
    while (puts.length > 0) {
      const chunk = puts.splice(0, MAX_TXN_OPS);
      const res = await this.call('write partition states', () =>
        this.client.if(topicKey, 'Mod', '==', topicRevision.toString()).then(...chunk).commit(),
      );
      // The topic changed (deleted, or grown by someone else) meanwhile: their write wins.
      if (!res.succeeded) return;
    }
  }

  private async readTopic(name: string): Promise<{ topic: TopicRecord; modRevision: bigint } | null> {
    const res = await this.call('read topic', () => this.client.get(this.keys.topic(name)).exec());
    const kv = res.kvs.at(0);
    return kv === undefined ? null : { topic: parseTopic(kv), modRevision: BigInt(kv.mod_revision) };
  }

  // ---- producer ids ----

  async allocateProducerIds(size: number): Promise<bigint> {
    if (!Number.isInteger(size) || size <= 0) throw new RangeError(`invalid producer id block size ${size}`);
    const key = this.keys.producerIds;
    for (;;) {
      const res = await this.call('read producer ids', () => this.client.get(key).exec());
      const kv = res.kvs.at(0);
      const next = kv === undefined ? 0n : BigInt(kv.value.toString('utf8'));
      const mod = kv === undefined ? '0' : kv.mod_revision;
      const txn = await this.call('allocate producer ids', () =>
        this.client.if(key, 'Mod', '==', mod).then(this.client.put(key).value((next + BigInt(size)).toString())).commit(),
      );
      if (txn.succeeded) return next;
    }
  }

  // ---- watch ----

  async watch(listener: (event: ClusterEvent) => void): Promise<() => void> {
    this.checkOpen();
    const watch = new EtcdClusterWatch(this.client, this.keys, listener, this.log, {
      snapshot: () => this.call('watch snapshot', () => this.client.getAll().prefix(this.keys.root).exec()),
      retryDelay: () => this.delay(RETRY_DELAY_MS),
    });
    await watch.start();
    const entry = { stop: () => { watch.stop(); }, refresh: () => { watch.refresh(); } };
    this.watches.add(entry);
    return () => {
      this.watches.delete(entry);
      entry.stop();
    };
  }

  // ---- lifecycle ----

  async close(options: { graceful?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.watches) w.stop();
    this.watches.clear();
    for (const l of [...this.closeListeners]) l();
    const role = this.controllerRole;
    if (role !== null) this.loseController(role);
    const lease = this.lease;
    this.lease = null;
    this.leaseId = null;
    this.registration = null;
    if (this.sessionTimer !== null) clearTimeout(this.sessionTimer);
    this.sessionTimer = null;
    try {
      if (lease !== null) {
        if (options.graceful === true) await this.call('revoke lease', () => lease.revoke(), true);
        else lease.release();
      }
    } finally {
      this.client.close();
    }
  }

  // ---- plumbing ----

  /** Read through a method: a flag that an await may have changed. */
  private isClosed(): boolean {
    return this.closed;
  }

  private checkOpen(): void {
    if (this.closed) throw new ClosedError('the cluster store is closed');
  }

  /** Runs one etcd call bounded by the request timeout, with unreachability as ClusterUnavailableError. */
  private async call<T>(what: string, op: () => Promise<T>, duringClose = false): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new ClusterUnavailableError(`etcd did not answer (${what}) within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
    });
    try {
      if (!duringClose) this.checkOpen();
      return await Promise.race([op(), timeout]);
    } catch (e) {
      // A call cut short by close() failed because of the close, not because etcd is away.
      if (!duringClose && this.isClosed() && !(e instanceof ClosedError)) throw new ClosedError(`the cluster store closed during ${what}`);
      if (e instanceof ClusterUnavailableError || !isUnavailable(e)) throw e;
      throw new ClusterUnavailableError(`etcd is unreachable (${what}): ${(e as Error).message}`, e);
    } finally {
      clearTimeout(timer);
    }
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.closeListeners.delete(wake);
        resolve();
      }, ms);
      const wake = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.closeListeners.add(wake);
    });
  }
}

type Policy = ReturnType<NonNullable<NonNullable<IOptions['faultHandling']>['host']>>;

/**
 * A fault-handling policy (cockatiel's, which etcd3 takes) that runs each call once. etcd3 only
 * calls execute(); the events are there for the interface.
 */
const passThrough = {
  execute: async <T>(fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T> =>
    fn({ signal: signal ?? new AbortController().signal }),
  onSuccess: () => ({ dispose: () => undefined }),
  onFailure: () => ({ dispose: () => undefined }),
} as unknown as Policy;

/** A backoff in the shape etcd3's watch manager takes: doubling from `initialMs`, capped at `maxMs`. */
function cappedBackoff(initialMs: number, maxMs: number): { duration: number; next(): ReturnType<typeof cappedBackoff> } {
  return {
    duration: initialMs,
    next: () => cappedBackoff(Math.min(initialMs * 2, maxMs), maxMs),
  };
}

