/**
 * The broker's topic metadata: names, topic ids, partition counts and per-topic config overrides.
 *
 * State changes only by applying records. A record is applied in memory and then appended to the
 * state log, and the request that made it is answered only after the append resolves, so replaying
 * the log on start rebuilds the state that was acknowledged (recovery is normal operation).
 * Applying before the append's await lets a concurrent request see the change at once (a second
 * CreateTopics of the same name fails) and puts it in any snapshot written after the append; if the
 * append fails, the method rejects but the change stays in memory until the broker restarts.
 *
 * The store also owns the partition logs' lifecycle: it creates a topic's logs after recording the
 * topic, deletes them after recording the deletion, and on start reconciles the logs found on disk
 * with the replayed topics (a crash between the two steps heals itself).
 *
 * Startup never deletes record data it cannot account for. Each partition folder carries its topic
 * id (partition.metadata, written when the partition is created); on start, a partition the
 * replayed metadata does not explain is handled so (Kafka calls the folders it cannot place stray logs):
 * - its topic is unknown: the topic is restored into the metadata (name from the folder, id from
 *   partition.metadata, partition count from the highest partition found, default configs) and
 *   recorded, so a damaged or lost metadata log costs config overrides at most, never data;
 * - its topic is known but the partition lies beyond the topic's count: the count is raised (a
 *   CreatePartitions record was lost);
 * - its topic is known under another topic id: the folder is set aside (`-stray`), not removed;
 * - only a partition the metadata log says was deleted (a deletion record, for the folder's topic
 *   id when the folder has one) is removed, as before.
 * Each restoration is logged at WARN with the folders and the reason, then one summary line.
 * Deletions whose folders may still exist are kept in snapshots, so compaction does not turn a
 * deleted topic into an unknown one that would be restored.
 *
 * Errors are Kafka's: the methods return an error code and message instead of throwing.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { ResolvedBrokerConfig } from '../config/broker-config.js';
import {
  resolveTopicConfig,
  toLogConfig,
  validateTopicConfigs,
  type EffectiveTopicConfig,
} from '../config/topic-config.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import type { LogManager } from '../storage/log-manager.js';
import type { StateLog } from '../storage/state-log.js';
import type { Logger } from '../util/logger.js';
import { mustGet } from '../util/must-get.js';
import { unifiedTopicName } from '../protocol/topic-name.js';
import {
  addedPartitionsProblem,
  checkManualAssignment,
  isProblem,
  newTopicNameProblem,
  replicationFactorProblem,
  requestedTopicShape,
} from './topic-request-checks.js';

export interface Topic {
  readonly name: string;
  readonly topicId: string;
  readonly partitions: number;
  /** Config overrides set on the topic (DescribeConfigs source TOPIC_CONFIG). */
  readonly overrides: ReadonlyMap<string, string>;
  /** The effective config: overrides, else broker settings, else Kafka's defaults. */
  readonly config: EffectiveTopicConfig;
}

export interface MetadataResult {
  errorCode: number;
  errorMessage: string | null;
}

export interface CreateTopicRequest {
  name: string;
  /** -1: num.partitions */
  numPartitions: number;
  /** -1: default.replication.factor */
  replicationFactor: number;
  /** Explicit replica assignment by partition, if the client gave one. */
  assignments?: readonly { partitionIndex: number; brokerIds: readonly number[] }[];
  configs: ReadonlyMap<string, string | null>;
  validateOnly: boolean;
}

export interface CreateTopicResult extends MetadataResult {
  topic?: Topic;
}

type MetadataRecord =
  | { type: 'topic'; name: string; topicId: string; partitions: number; overrides: [string, string][] }
  | { type: 'partitions'; name: string; partitions: number }
  | { type: 'overrides'; name: string; overrides: [string, string][] }
  | { type: 'delete'; name: string };

interface Snapshot {
  topics: { name: string; topicId: string; partitions: number; overrides: [string, string][] }[];
  /** Deleted topics whose partition folders were not all renamed away yet (absent in older snapshots). */
  deleted?: { name: string; topicId: string }[];
}

/** What reconcileLogs did with partitions the metadata did not explain, for the summary line. */
interface Reconciliation {
  restoredTopics: string[];
  restoredPartitions: string[];
  setAside: string[];
  removed: string[];
}

/** How many records the state log takes before the store rewrites it as one snapshot. */
const SNAPSHOT_EVERY = 1000;

const ok = (): MetadataResult => ({ errorCode: ErrorCode.None, errorMessage: null });
const fail = (errorCode: number, errorMessage: string): MetadataResult => ({ errorCode, errorMessage });

/**
 * The topics of the cluster as handlers and the partition layer see them, and the changes clients
 * ask for (CreateTopics, DeleteTopics, CreatePartitions, AlterConfigs). On a single broker the
 * LocalMetadataStore below keeps them in its own state log; in cluster mode they live in the cluster
 * store and every broker holds what it last saw.
 */
export interface MetadataStore {
  topic(name: string): Topic | undefined;
  topicById(topicId: string): Topic | undefined;
  /** Every topic, by name. */
  topics(): Topic[];
  readonly broker: ResolvedBrokerConfig;
  /** Called with each topic after it is deleted (fetch sessions, groups, producer state). */
  onTopicDeleted(listener: (topic: Topic) => void): void;
  createTopic(req: CreateTopicRequest): Promise<CreateTopicResult>;
  deleteTopic(name: string): Promise<MetadataResult>;
  createPartitions(name: string, count: number, assignments: readonly { brokerIds: readonly number[] }[] | null, validateOnly: boolean): Promise<MetadataResult>;
  /** Replaces a topic's overrides (AlterConfigs / IncrementalAlterConfigs after merging). */
  setTopicOverrides(name: string, overrides: ReadonlyMap<string, string | null>, validateOnly: boolean): Promise<MetadataResult>;
  /** The broker config changed (dynamic AlterConfigs): every topic's effective config follows. */
  updateBrokerConfig(config: ResolvedBrokerConfig): void;
}

/** A single broker's topics, kept in its metadata state log. */
export class LocalMetadataStore implements MetadataStore {
  private readonly byName = new Map<string, Topic>();
  private readonly byId = new Map<string, Topic>();
  private readonly byUnifiedName = new Map<string, string>();
  private brokerConfig: ResolvedBrokerConfig;
  private recordsSinceSnapshot = 0;
  private readonly deleteListeners: ((topic: Topic) => void)[] = [];
  /**
   * Deleted topics (id to name) whose partition folders may still exist under their own names: from
   * the deletion record until every folder is renamed away. Only these may be removed on start.
   */
  private readonly pendingDeletions = new Map<string, string>();

  private constructor(
    private readonly stateLog: StateLog,
    private readonly logs: LogManager,
    brokerConfig: ResolvedBrokerConfig,
    private readonly logger: Logger,
  ) {
    this.brokerConfig = brokerConfig;
  }

  /** Replays the state log and reconciles the partition logs with it. */
  static async open(options: {
    stateLog: StateLog;
    logs: LogManager;
    brokerConfig: ResolvedBrokerConfig;
    logger: Logger;
  }): Promise<LocalMetadataStore> {
    const store = new LocalMetadataStore(options.stateLog, options.logs, options.brokerConfig, options.logger);
    for await (const entry of options.stateLog.replay()) {
      if (entry.kind === 'snapshot') {
        store.clear();
        const snapshot = entry.value as Snapshot;
        for (const t of snapshot.topics) store.apply({ type: 'topic', ...t });
        for (const d of snapshot.deleted ?? []) store.pendingDeletions.set(d.topicId, d.name);
      } else {
        store.apply(entry.value as MetadataRecord);
        store.recordsSinceSnapshot++;
      }
    }
    await store.reconcileLogs();
    // What the state log could not rebuild is now rebuilt from the folders: a snapshot of it keeps
    // the next start from reporting the same loss again.
    if (options.stateLog.damage.some((d) => d.stateLost)) {
      await store.writeSnapshot();
      options.logger.warn(
        { topics: store.byName.size },
        `metadata: the state lost with the damaged metadata log was rebuilt from the partition folders (see the lines above for what was restored); ${store.byName.size} topics are known and written to a new snapshot`,
      );
    }
    return store;
  }

  // ---------------------------------------------------------------------------------------------
  // Reads

  topic(name: string): Topic | undefined {
    return this.byName.get(name);
  }

  topicById(topicId: string): Topic | undefined {
    return this.byId.get(topicId);
  }

  topics(): Topic[] {
    return [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  get broker(): ResolvedBrokerConfig {
    return this.brokerConfig;
  }

  /** Called with each topic after it is deleted (fetch sessions, groups, producer state). */
  onTopicDeleted(listener: (topic: Topic) => void): void {
    this.deleteListeners.push(listener);
  }

  // ---------------------------------------------------------------------------------------------
  // Changes

  async createTopic(req: CreateTopicRequest): Promise<CreateTopicResult> {
    const nameProblem = newTopicNameProblem(req.name, (name) => this.byName.has(name), (unified) => this.byUnifiedName.get(unified));
    if (nameProblem) return fail(nameProblem.errorCode, nameProblem.errorMessage);
    const shape = requestedTopicShape(req, this.brokerConfig.config, new Set([this.brokerConfig.config.nodeId]));
    if (isProblem(shape)) return fail(shape.errorCode, shape.errorMessage);
    const { partitions, replicationFactor } = shape;
    if (replicationFactor > 1) {
      const tooMany = replicationFactorProblem(replicationFactor, 1);
      return fail(tooMany.errorCode, tooMany.errorMessage);
    }
    const validation = validateTopicConfigs(req.configs, this.brokerConfig);
    if (validation.error) return fail(validation.error.errorCode, validation.error.message);
    const overrides = [...validation.configs.entries()];
    const topic = this.makeTopic(req.name, randomUUID(), partitions, overrides);
    if (req.validateOnly) return { ...ok(), topic };
    await this.record({ type: 'topic', name: req.name, topicId: topic.topicId, partitions, overrides });
    await this.createLogs(topic, 0);
    this.logger.info({ topic: req.name, partitions }, 'created topic');
    return { ...ok(), topic: mustGet(this.byName, req.name) };
  }

  async deleteTopic(name: string): Promise<MetadataResult> {
    const topic = this.byName.get(name);
    if (!topic) return fail(ErrorCode.UnknownTopicOrPartition, 'This server does not host this topic-partition.');
    if (!this.brokerConfig.config.deleteTopicEnable) {
      return fail(ErrorCode.TopicDeletionDisabled, 'Topic deletion is disabled.');
    }
    await this.record({ type: 'delete', name });
    await Promise.all(Array.from({ length: topic.partitions }, (_, p) => this.logs.delete(name, p)));
    this.pendingDeletions.delete(topic.topicId);
    for (const listener of this.deleteListeners) listener(topic);
    this.logger.info({ topic: name }, 'deleted topic');
    return ok();
  }

  async createPartitions(
    name: string,
    count: number,
    assignments: readonly { brokerIds: readonly number[] }[] | null,
    validateOnly: boolean,
  ): Promise<MetadataResult> {
    const topic = this.byName.get(name);
    if (!topic) return fail(ErrorCode.UnknownTopicOrPartition, `The topic '${name}' does not exist.`);
    const bad = addedPartitionsProblem(topic.partitions, count, assignments ? assignments.length : null);
    if (bad) return fail(bad.errorCode, bad.errorMessage);
    if (assignments) {
      const checked = checkManualAssignment(
        assignments.map((a, i) => ({ partitionIndex: topic.partitions + i, brokerIds: a.brokerIds })),
        topic.partitions,
        new Set([this.brokerConfig.config.nodeId]),
        1,
      );
      if (isProblem(checked)) return fail(checked.errorCode, checked.errorMessage);
    }
    if (validateOnly) return ok();
    const before = topic.partitions;
    await this.record({ type: 'partitions', name, partitions: count });
    await this.createLogs(mustGet(this.byName, name), before);
    return ok();
  }

  /** Replaces a topic's overrides (AlterConfigs / IncrementalAlterConfigs after merging). */
  async setTopicOverrides(name: string, overrides: ReadonlyMap<string, string | null>, validateOnly: boolean): Promise<MetadataResult> {
    const topic = this.byName.get(name);
    if (!topic) return fail(ErrorCode.UnknownTopicOrPartition, `Topic ${name} does not exist.`);
    const validation = validateTopicConfigs(overrides, this.brokerConfig);
    if (validation.error) return fail(validation.error.errorCode, validation.error.message);
    if (validateOnly) return ok();
    await this.record({ type: 'overrides', name, overrides: [...validation.configs.entries()] });
    this.applyLogConfig(mustGet(this.byName, name));
    return ok();
  }

  /** The broker config changed (dynamic AlterConfigs): every topic's effective config follows. */
  updateBrokerConfig(config: ResolvedBrokerConfig): void {
    this.brokerConfig = config;
    for (const t of [...this.byName.values()]) {
      const updated = this.makeTopic(t.name, t.topicId, t.partitions, [...t.overrides.entries()]);
      this.put(updated);
      this.applyLogConfig(updated);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Internals

  private makeTopic(name: string, topicId: string, partitions: number, overrides: [string, string][]): Topic {
    const map = new Map(overrides);
    return { name, topicId, partitions, overrides: map, config: resolveTopicConfig(map, this.brokerConfig) };
  }

  private put(topic: Topic): void {
    this.byName.set(topic.name, topic);
    this.byId.set(topic.topicId, topic);
    this.byUnifiedName.set(unifiedTopicName(topic.name), topic.name);
  }

  private clear(): void {
    this.byName.clear();
    this.byId.clear();
    this.byUnifiedName.clear();
    this.pendingDeletions.clear();
  }

  /** The only place state changes: on replay, and in record() just before the record is appended. */
  private apply(r: MetadataRecord): void {
    switch (r.type) {
      case 'topic': {
        // A name recorded again under another id replaces the old topic: its delete record went
        // with a damaged part of the log (on an undamaged log a name is only reused after one).
        // Its folders are not deleted on that guess: reconcile sets them aside as strays.
        const old = this.byName.get(r.name);
        if (old && old.topicId !== r.topicId) this.byId.delete(old.topicId);
        this.put(this.makeTopic(r.name, r.topicId, r.partitions, r.overrides));
        return;
      }
      case 'partitions': {
        const t = this.byName.get(r.name);
        if (t) this.put(this.makeTopic(t.name, t.topicId, r.partitions, [...t.overrides.entries()]));
        return;
      }
      case 'overrides': {
        const t = this.byName.get(r.name);
        if (t) this.put(this.makeTopic(t.name, t.topicId, t.partitions, r.overrides));
        return;
      }
      case 'delete': {
        const t = this.byName.get(r.name);
        if (!t) return;
        this.byName.delete(t.name);
        this.byId.delete(t.topicId);
        this.byUnifiedName.delete(unifiedTopicName(t.name));
        this.pendingDeletions.set(t.topicId, t.name);
        return;
      }
    }
  }

  private async record(r: MetadataRecord): Promise<void> {
    this.apply(r);
    await this.stateLog.append(r);
    if (++this.recordsSinceSnapshot >= SNAPSHOT_EVERY) await this.writeSnapshot();
  }

  private async writeSnapshot(): Promise<void> {
    this.recordsSinceSnapshot = 0;
    const snapshot: Snapshot = {
      topics: [...this.byName.values()].map((t) => ({
        name: t.name,
        topicId: t.topicId,
        partitions: t.partitions,
        overrides: [...t.overrides.entries()],
      })),
      deleted: [...this.pendingDeletions].map(([topicId, name]) => ({ name, topicId })),
    };
    await this.stateLog.writeSnapshot(snapshot);
  }

  private async createLogs(topic: Topic, fromPartition: number): Promise<void> {
    const config = toLogConfig(topic.config);
    for (let p = fromPartition; p < topic.partitions; p++) await this.logs.create(topic.name, p, config, topic.topicId);
  }

  private applyLogConfig(topic: Topic): void {
    const config = toLogConfig(topic.config);
    for (let p = 0; p < topic.partitions; p++) this.logs.get(topic.name, p)?.updateConfig(config);
  }

  /**
   * Brings the partition logs found on disk and the replayed topics together without losing data
   * (see the header): restores what the metadata lost, sets aside what belongs to no known topic,
   * removes only what was deleted, creates the partitions known but missing, and writes
   * partition.metadata where it is missing.
   */
  private async reconcileLogs(): Promise<void> {
    const done: Reconciliation = { restoredTopics: [], restoredPartitions: [], setAside: [], removed: [] };
    const deletedNames = new Set(this.pendingDeletions.values());
    /** Partitions of topics the metadata does not know, by topic name. */
    const unknown = new Map<string, number[]>();
    /** Known topics with partitions beyond their count: those partitions. */
    const beyond = new Map<string, number[]>();
    for (const log of this.logs.all()) {
      const { topic: name, partition } = log;
      const t = this.byName.get(name);
      const dirId = this.logs.topicIdOf(name, partition);
      const deleted =
        dirId !== undefined ? this.pendingDeletions.has(dirId) && dirId !== t?.topicId : deletedNames.has(name) && (!t || partition >= t.partitions);
      if (deleted) {
        this.logger.warn({ topic: name, partition, topicId: dirId }, `removing partition ${name}-${partition}: the metadata log records the deletion of its topic`);
        await this.logs.delete(name, partition);
        done.removed.push(`${name}-${partition}`);
      } else if (!t) {
        unknown.set(name, [...(unknown.get(name) ?? []), partition]);
      } else if (dirId !== undefined && dirId !== t.topicId) {
        await this.setAside(name, partition, `its partition.metadata names topic id ${dirId}, but topic ${name} has id ${t.topicId} (a folder left from an earlier topic of that name, or brought from elsewhere)`, done);
      } else if (partition >= t.partitions) {
        beyond.set(name, [...(beyond.get(name) ?? []), partition]);
      }
    }
    this.pendingDeletions.clear();

    const why = this.metadataLossReason();
    for (const [name, partitions] of unknown) await this.restoreTopic(name, partitions.sort((a, b) => a - b), why, done);
    for (const [name, partitions] of beyond) {
      const t = mustGet(this.byName, name);
      const highest = Math.max(...partitions);
      const folders = this.foldersOf(name, partitions.sort((a, b) => a - b));
      await this.record({ type: 'partitions', name, partitions: highest + 1 });
      this.logger.warn(
        { topic: name, topicId: t.topicId, partitions: highest + 1, was: t.partitions, dirs: folders },
        `restored partitions of topic ${name}: its partition count went from ${t.partitions} to ${highest + 1}, because partition folders ${folders.join(', ')} are on disk and ${why}`,
      );
      done.restoredPartitions.push(`${name}: ${t.partitions} -> ${highest + 1}`);
    }

    for (const t of this.byName.values()) {
      await this.createLogs(t, 0);
      // Partitions written before partition.metadata existed get it now, while the metadata is sure.
      for (let p = 0; p < t.partitions; p++) {
        if (this.logs.topicIdOf(t.name, p) === undefined) await this.logs.recordTopicId(t.name, p, t.topicId);
      }
    }

    if (done.restoredTopics.length + done.restoredPartitions.length + done.setAside.length > 0) {
      this.logger.warn(
        { ...done },
        `metadata reconciled with the partition folders on disk: restored topics [${done.restoredTopics.join(', ')}], restored partitions [${done.restoredPartitions.join(', ')}], set aside [${done.setAside.join(', ')}], removed as deleted [${done.removed.join(', ')}]`,
      );
    }
  }

  /** Records a topic found only on disk, from its partition folders; sets aside what cannot join it. */
  private async restoreTopic(name: string, found: number[], why: string, done: Reconciliation): Promise<void> {
    // The topic id most of the folders carry; folders with another id hold another topic's data.
    const byId = new Map<string, number[]>();
    for (const p of found) {
      const id = this.logs.topicIdOf(name, p);
      if (id !== undefined) byId.set(id, [...(byId.get(id) ?? []), p]);
    }
    let topicId = [...byId].sort((a, b) => b[1].length - a[1].length || a[1][0] - b[1][0]).at(0)?.[0];
    let partitions = found;
    for (const [id, ps] of byId) {
      if (id === topicId) continue;
      for (const p of ps) await this.setAside(name, p, `its partition.metadata names topic id ${id}, but the other folders of topic ${name} name ${topicId}`, done);
      partitions = partitions.filter((p) => !ps.includes(p));
    }
    const collides = this.byUnifiedName.get(unifiedTopicName(name));
    const owner = topicId === undefined ? undefined : this.byId.get(topicId);
    if (collides !== undefined || owner !== undefined) {
      const reason =
        collides !== undefined
          ? `its topic ${name} is unknown and cannot be restored: it collides with existing topic ${collides}`
          : `its topic ${name} is unknown and cannot be restored: its topic id ${topicId} belongs to topic ${owner?.name}`;
      for (const p of partitions) await this.setAside(name, p, reason, done);
      return;
    }
    let idNote = 'its topic id from partition.metadata';
    if (topicId === undefined) {
      topicId = randomUUID();
      idNote = `a new topic id ${topicId}, as no folder has a partition.metadata`;
    }
    const count = partitions[partitions.length - 1] + 1;
    await this.record({ type: 'topic', name, topicId, partitions: count, overrides: [] });
    const folders = this.foldersOf(name, partitions);
    this.logger.warn(
      { topic: name, topicId, partitions: count, dirs: folders },
      `restored topic ${name} (topic id ${topicId}, ${count} partitions, default configs) from partition folders ${folders.join(', ')}, with ${idNote}, because ${why}`,
    );
    done.restoredTopics.push(name);
  }

  private async setAside(name: string, partition: number, reason: string, done: Reconciliation): Promise<void> {
    const from = this.foldersOf(name, [partition])[0];
    const to = await this.logs.setAside(name, partition);
    this.logger.warn({ topic: name, partition, dir: from, movedTo: to }, `set aside partition folder ${from}${to === undefined ? '' : ` as ${to}`}: ${reason}; its data is kept, not served`);
    done.setAside.push(to ?? from);
  }

  /** The folders of a topic's partitions, for log lines ("t-0" in memory). */
  private foldersOf(name: string, partitions: readonly number[]): string[] {
    return partitions.map((p) => {
      const dir = this.logs.dirOf(name, p);
      return dir === undefined ? `${name}-${p}` : join(dir, `${name}-${p}`);
    });
  }

  /** Why the metadata may lack what is on disk, from what the state log cut on open. */
  private metadataLossReason(): string {
    const cuts = this.stateLog.damage;
    if (cuts.length === 0) return 'the metadata log does not account for these folders (it was lost or replaced)';
    const where = cuts
      .map((d) =>
        d.kind === 'missing'
          ? d.problem
          : d.kind === 'snapshot' && d.position === 0
            ? `the snapshot ${d.file} (${d.bytes} bytes from byte 0: ${d.problem}; set aside as ${d.copy})`
            : `${d.bytes} bytes at byte ${d.position} of ${d.file} (${d.problem}; kept in ${d.copy})`,
      )
      .join('; ');
    return `the metadata log was damaged and cut back: ${where}`;
  }
}
