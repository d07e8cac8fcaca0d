/**
 * One `ClusterStore.watch` on etcd: a snapshot of everything under the cluster's root read at one
 * revision, delivered as events, then every later change from the next revision on, translated into
 * ClusterEvents in etcd's order. When etcd cannot resume the change stream (its history was
 * compacted) the watch reads a fresh snapshot and delivers the difference: topics that went away as
 * topic-deleted, then everything present again, so the listener's view converges on the store's.
 */
import type { Etcd3, IEvent, IKeyValue, IRangeResponse } from 'etcd3';
import type { Logger } from '../util/logger.js';
import type { BrokerRegistration, ClusterEvent, ControllerInfo, TopicRecord } from './cluster-store.js';
import { parseBroker, parseController, parsePartitionState, parseTopic, type EtcdKeys } from './etcd-keys.js';
import { EtcdResumableWatch } from './etcd-resumable-watch.js';

export interface ClusterWatchSource {
  /** One consistent read of the whole root, bounded by the store's request timeout. */
  snapshot(): Promise<IRangeResponse>;
  /** Waits before another snapshot attempt while etcd is unreachable. */
  retryDelay(): Promise<void>;
}

export class EtcdClusterWatch {
  private readonly brokers = new Map<number, BrokerRegistration>();
  private readonly topics = new Map<string, TopicRecord>();
  private stream: EtcdResumableWatch | null = null;
  private stopped = false;
  private resyncing = false;

  constructor(
    private readonly client: Etcd3,
    private readonly keys: EtcdKeys,
    private readonly listener: (event: ClusterEvent) => void,
    private readonly log: Logger,
    private readonly source: ClusterWatchSource,
  ) {}

  /** Delivers the snapshot and starts following changes; rejects when etcd cannot be read. */
  async start(): Promise<void> {
    const res = await this.source.snapshot();
    this.applySnapshot(res.kvs);
    this.follow(BigInt(res.header.revision) + 1n);
  }

  /**
   * Drops the change stream and reads a fresh snapshot: after etcd was away the stream may be one
   * the client never noticed had died (a frozen member keeps its sockets), and the snapshot is
   * the one way to be sure this view is the store's again.
   */
  refresh(): void {
    if (this.stopped) return;
    this.stream?.stop();
    void this.resync();
  }

  stop(): void {
    this.stopped = true;
    this.stream?.stop();
    this.stream = null;
  }

  /** Read through a method: a flag that an await may have changed. */
  private isStopped(): boolean {
    return this.stopped;
  }

  private follow(fromRevision: bigint): void {
    if (this.stopped) return;
    this.stream = new EtcdResumableWatch(this.client, this.keys.root, true, fromRevision, this.log, {
      onEvents: (events) => { this.applyEvents(events); },
      onReset: () => { void this.resync(); },
    });
  }

  private async resync(): Promise<void> {
    this.stream = null;
    // One snapshot loop at a time; a refresh during one is served by it.
    if (this.resyncing) return;
    this.resyncing = true;
    try {
      await this.resyncNow();
    } finally {
      this.resyncing = false;
    }
  }

  private async resyncNow(): Promise<void> {
    while (!this.stopped) {
      try {
        const res = await this.source.snapshot();
        if (this.isStopped()) return;
        this.applySnapshot(res.kvs);
        this.follow(BigInt(res.header.revision) + 1n);
        return;
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'cannot read the cluster state from etcd; retrying');
        await this.source.retryDelay();
      }
    }
  }

  private applySnapshot(kvs: IKeyValue[]): void {
    let controller: ControllerInfo | null = null;
    const brokers = new Map<number, BrokerRegistration>();
    const topics = new Map<string, TopicRecord>();
    const partitions: { topic: string; partition: number; kv: IKeyValue }[] = [];
    for (const kv of kvs) {
      const what = this.keys.classify(kv.key.toString('utf8'));
      switch (what.kind) {
        case 'broker': brokers.set(what.nodeId, parseBroker(kv)); break;
        case 'controller': controller = parseController(kv); break;
        case 'topic': topics.set(what.name, parseTopic(kv)); break;
        case 'partition': partitions.push({ topic: what.topic, partition: what.partition, kv }); break;
        case 'other': break;
      }
    }
    for (const [name, old] of this.topics) {
      const now = topics.get(name);
      if (now === undefined || now.topicId !== old.topicId) this.emit({ kind: 'topic-deleted', name, topicId: old.topicId });
    }
    this.brokers.clear();
    for (const [id, b] of brokers) this.brokers.set(id, b);
    this.topics.clear();
    this.emitBrokers();
    this.emit({ kind: 'controller', controller });
    for (const name of [...topics.keys()].sort()) {
      const topic = topics.get(name);
      if (topic === undefined) continue;
      this.topics.set(name, topic);
      this.emit({ kind: 'topic', topic });
    }
    partitions.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
    for (const p of partitions) this.emit({ kind: 'partition', topic: p.topic, partition: p.partition, state: parsePartitionState(p.kv) });
  }

  private applyEvents(events: IEvent[]): void {
    for (const ev of events) {
      const what = this.keys.classify(ev.kv.key.toString('utf8'));
      const put = ev.type === 'Put';
      switch (what.kind) {
        case 'broker':
          if (put) this.brokers.set(what.nodeId, parseBroker(ev.kv));
          else this.brokers.delete(what.nodeId);
          this.emitBrokers();
          break;
        case 'controller':
          this.emit({ kind: 'controller', controller: put ? parseController(ev.kv) : null });
          break;
        case 'topic':
          if (put) {
            const topic = parseTopic(ev.kv);
            this.topics.set(what.name, topic);
            this.emit({ kind: 'topic', topic });
          } else {
            const known = this.topics.get(what.name);
            this.topics.delete(what.name);
            const topicId = known?.topicId ?? parseTopic(ev.prev_kv).topicId;
            this.emit({ kind: 'topic-deleted', name: what.name, topicId });
          }
          break;
        case 'partition':
          // A partition's state goes only with its topic, whose deletion is the event.
          if (put) this.emit({ kind: 'partition', topic: what.topic, partition: what.partition, state: parsePartitionState(ev.kv) });
          break;
        case 'other':
          break;
      }
    }
  }

  private emitBrokers(): void {
    this.emit({ kind: 'brokers', brokers: [...this.brokers.values()].sort((a, b) => a.nodeId - b.nodeId) });
  }

  private emit(event: ClusterEvent): void {
    if (this.stopped) return;
    try {
      this.listener(event);
    } catch (e) {
      this.log.error({ err: e, kind: event.kind }, 'cluster watch listener failed');
    }
  }
}
