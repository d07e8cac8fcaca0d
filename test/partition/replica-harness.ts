/**
 * Brokers of a cluster for the replication tests, in one process and without sockets: each has its
 * own memory logs, metadata and PartitionManager on one shared ManualClock, and a small cluster
 * store holds each partition's state with compare-and-swap on its version (what the etcd store does
 * for the real cluster). Replication is one call: the leader records the follower's fetch, reads
 * from the follower's log end and the follower appends what it got.
 */
import { join } from 'node:path';
import { loadBrokerConfig } from '../../src/config/broker-config.js';
import { LocalMetadataStore } from '../../src/metadata/metadata-store.js';
import type { PartitionState } from '../../src/metadata/partition-state.js';
import { defaultProduceRequest, type ProduceRequest } from '../../src/protocol/generated/messages/produce.js';
import { buildRecordBatch, type RecordBatchOptions } from '../../src/protocol/records/index.js';
import type { Partition } from '../../src/partition/partition.js';
import { PartitionManager } from '../../src/partition/partition-manager.js';
import { ProduceService } from '../../src/partition/produce-service.js';
import { openLogManager, type LogManager } from '../../src/storage/log-manager.js';
import { MemoryStateLogStore, openStateLog, type StateLog } from '../../src/storage/state-log.js';
import type { ManualClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';

/** The cluster store's partition states, swapped only by version. */
export class FakeClusterStore {
  readonly states = new Map<string, PartitionState>();
  /** Every ISR change a leader proposed, in order. */
  readonly proposals: PartitionState[] = [];
  /** Brokers whose registration is gone (killed): not eligible for an ISR. */
  readonly unregistered = new Set<number>();
  /** While set, alterIsr calls wait here instead of answering. */
  hold: { release: () => void; promise: Promise<void> } | null = null;

  set(topic: string, partition: number, state: Omit<PartitionState, 'version'>): PartitionState {
    const current = this.states.get(`${topic}-${partition}`);
    const next = { ...state, version: (current?.version ?? 0n) + 1n };
    this.states.set(`${topic}-${partition}`, next);
    return next;
  }

  get(topic: string, partition: number): PartitionState {
    const s = this.states.get(`${topic}-${partition}`);
    if (!s) throw new Error(`no state for ${topic}-${partition}`);
    return s;
  }

  holdWrites(): void {
    let release!: () => void;
    const promise = new Promise<void>((resolve) => (release = resolve));
    this.hold = { release, promise };
  }

  releaseWrites(): void {
    const hold = this.hold;
    this.hold = null;
    hold?.release();
  }

  readonly alterIsr = async (topic: string, partition: number, proposed: PartitionState): Promise<PartitionState | null> => {
    this.proposals.push(proposed);
    if (this.hold) await this.hold.promise;
    const current = this.get(topic, partition);
    if (current.version !== proposed.version) return null;
    const { version: _ignored, ...rest } = proposed;
    return this.set(topic, partition, rest);
  };
}

export interface Node {
  id: number;
  partitions: PartitionManager;
  produce: ProduceService;
  metadata: LocalMetadataStore;
  logs: LogManager;
  stateLog: StateLog;
}

/** A broker on memory storage, or on disk in `dataDir` (which a later start with the same dir reopens). */
export async function startNode(id: number, clock: ManualClock, store: FakeClusterStore, config: Record<string, string | number> = {}, dataDir?: string): Promise<Node> {
  const flags = { 'node.id': id, 'replica.lag.time.max.ms': 10_000, ...config, ...(dataDir === undefined ? {} : { 'log.dirs': dataDir }) };
  const brokerConfig = await loadBrokerConfig({ env: {}, flags });
  const logs = await openLogManager(dataDir === undefined ? { storage: 'memory', clock, logger: silentLogger } : { storage: 'disk', dirs: [dataDir], clock, logger: silentLogger });
  const stateLog = await openStateLog(dataDir === undefined ? new MemoryStateLogStore() : join(dataDir, '__gregor_metadata'), { name: 'metadata', logger: silentLogger });
  const metadata = await LocalMetadataStore.open({ stateLog, logs, brokerConfig, logger: silentLogger });
  const partitions = new PartitionManager({
    metadata,
    logs,
    clock,
    logger: silentLogger,
    brokerConfig: () => metadata.broker,
    alterIsr: store.alterIsr,
    isReplicaEligible: (brokerId) => !store.unregistered.has(brokerId),
  });
  const produce = new ProduceService({ metadata, partitions, clock, logger: silentLogger, brokerConfig: () => metadata.broker });
  return { id, partitions, produce, metadata, logs, stateLog };
}

export async function stopNode(node: Node): Promise<void> {
  await node.partitions.close();
  await node.logs.close();
  await node.stateLog.close();
}

/** Creates the topic in a node's metadata (the controller's job in the real cluster). */
export async function createTopic(node: Node, name: string, configs: Record<string, string> = {}): Promise<void> {
  const r = await node.metadata.createTopic({ name, numPartitions: 1, replicationFactor: -1, configs: new Map(Object.entries(configs)), validateOnly: false });
  if (r.errorCode !== 0) throw new Error(`createTopic ${name}: ${r.errorCode} ${r.errorMessage}`);
}

export function partitionOf(node: Node, topic: string): Partition {
  const p = node.partitions.get(topic, 0);
  if (!p) throw new Error(`node ${node.id} has no ${topic}-0`);
  return p;
}

/**
 * One replica fetch of `follower` from `leader`: the leader records it (as the Fetch handler does
 * before reading), reads from the follower's log end, and the follower appends what came with the
 * leader's high watermark. Returns the leader's answer to the fetch state.
 */
export async function replicate(leader: Node, follower: Node, topic: string, brokerEpoch = 1n): Promise<number> {
  const lp = partitionOf(leader, topic);
  const fp = partitionOf(follower, topic);
  const code = lp.updateFollowerFetchState(follower.id, brokerEpoch, fp.logEndOffset, fp.logStartOffset);
  if (code !== 0) return code;
  const read = await lp.log.read(fp.logEndOffset, { maxBytes: 1 << 20 });
  await fp.appendAsFollower(Buffer.concat(read.records), lp.highWatermark, lp.logStartOffset);
  return code;
}

export function produceRequest(topic: string, batch: Buffer, acks: number, timeoutMs = 5_000): ProduceRequest {
  const r = defaultProduceRequest();
  r.acks = acks;
  r.timeoutMs = timeoutMs;
  r.topicData = [{ name: topic, topicId: '', partitionData: [{ index: 0, records: batch, _unknownTaggedFields: undefined }], _unknownTaggedFields: undefined }];
  return r;
}

/** Produces one batch with Produce v9 and resolves the partition's answer. */
export async function produce(node: Node, topic: string, batch: Buffer, acks = -1, timeoutMs = 5_000) {
  const [t] = await node.produce.produce(produceRequest(topic, batch, acks, timeoutMs), { apiVersion: 9, clientId: 'test' });
  return t.partitionResponses[0];
}

/** A batch of `values`; an idempotent one when `pid` is given (sequences from `seq`). */
export function batch(values: string[], pid?: bigint, seq = 0, extra: RecordBatchOptions = {}): Buffer {
  return buildRecordBatch(
    values.map((value) => ({ value })),
    pid === undefined ? extra : { producerId: pid, producerEpoch: 0, baseSequence: seq, ...extra },
  );
}
