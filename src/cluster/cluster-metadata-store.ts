/**
 * The MetadataStore of a broker in cluster mode: topics as this broker last saw them in the cluster
 * store (ClusterState), and the changes clients ask for passed to whoever writes them there
 * (TopicChanges: the controller's topic logic, which places replicas and writes the topic and its
 * partitions' first states in one transaction).
 *
 * Local logs follow the topics: when a topic appears or grows, this broker creates the logs of the
 * partitions assigned to it; when a topic is deleted, it deletes its logs and tells the delete
 * listeners, as the single broker's store does; a config change reaches the local logs.
 *
 * A change resolves once this broker's own view shows it (or after ten seconds, when the watch
 * is slow: the change is in the store either way and clients retry metadata), so a handler that
 * creates a topic and then looks it up finds it, as on a single broker.
 */
import { resolveTopicConfig, toLogConfig, validateTopicConfigs } from '../config/topic-config.js';
import type { ResolvedBrokerConfig } from '../config/broker-config.js';
import type { CreateTopicRequest, CreateTopicResult, MetadataResult, MetadataStore, Topic } from '../metadata/metadata-store.js';
import { addedPartitionsProblem, newTopicNameProblem } from '../metadata/topic-request-checks.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import { unifiedTopicName } from '../protocol/topic-name.js';
import type { LogManager } from '../storage/log-manager.js';
import type { Logger } from '../util/logger.js';
import type { ClusterState } from './cluster-state.js';
import type { TopicRecord } from './cluster-store.js';

/** Writes topic changes to the cluster store; every check beyond names and configs is its own. */
export interface TopicChanges {
  /** Places the replicas and creates the topic; resolves its topic id on success. */
  createTopic(req: CreateTopicRequest, configs: Record<string, string>): Promise<MetadataResult & { topicId?: string }>;
  deleteTopic(name: string): Promise<MetadataResult>;
  createPartitions(name: string, count: number, assignments: readonly { brokerIds: readonly number[] }[] | null, validateOnly: boolean): Promise<MetadataResult>;
  setTopicConfigs(name: string, configs: Record<string, string>): Promise<MetadataResult>;
}

export interface ClusterMetadataStoreOptions {
  state: ClusterState;
  changes: TopicChanges;
  logs: LogManager;
  nodeId: number;
  brokerConfig: ResolvedBrokerConfig;
  logger: Logger;
}

/** How long a change waits to show in this broker's view before the request is answered anyway. */
const VISIBLE_WITHIN_MS = 10_000;

const ok = (): MetadataResult => ({ errorCode: ErrorCode.None, errorMessage: null });
const fail = (errorCode: number, errorMessage: string): MetadataResult => ({ errorCode, errorMessage });

export class ClusterMetadataStore implements MetadataStore {
  private brokerConfig: ResolvedBrokerConfig;
  private readonly byName = new Map<string, Topic>();
  private readonly byId = new Map<string, Topic>();
  private readonly deleteListeners: ((topic: Topic) => void)[] = [];
  /** Local log work in the order the events came (creations, deletions, config changes). */
  private logWork: Promise<void> = Promise.resolve();
  private readonly stopWatching: () => void;

  constructor(private readonly options: ClusterMetadataStoreOptions) {
    this.brokerConfig = options.brokerConfig;
    for (const record of options.state.topics()) this.topicChanged(record);
    this.stopWatching = options.state.onChange((event) => {
      if (event.kind === 'topic') this.topicChanged(event.topic);
      else if (event.kind === 'topic-deleted') this.topicDeleted(event.name);
    });
  }

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

  onTopicDeleted(listener: (topic: Topic) => void): void {
    this.deleteListeners.push(listener);
  }

  /** Resolves when the local log work queued so far is done (tests, and a clean stop). */
  settled(): Promise<void> {
    return this.logWork;
  }

  close(): void {
    this.stopWatching();
  }

  async createTopic(req: CreateTopicRequest): Promise<CreateTopicResult> {
    const nameProblem = newTopicNameProblem(
      req.name,
      (name) => this.byName.has(name),
      (unified) => [...this.byName.keys()].find((name) => unifiedTopicName(name) === unified),
    );
    if (nameProblem) return fail(nameProblem.errorCode, nameProblem.errorMessage);
    const validation = validateTopicConfigs(req.configs, this.brokerConfig);
    if (validation.error) return fail(validation.error.errorCode, validation.error.message);
    const configs = Object.fromEntries(validation.configs);
    const result = await this.options.changes.createTopic(req, configs);
    if (result.errorCode !== ErrorCode.None || result.topicId === undefined) return { errorCode: result.errorCode, errorMessage: result.errorMessage };
    if (req.validateOnly) {
      return { ...ok(), topic: this.makeTopic({ name: req.name, topicId: result.topicId, assignment: [], configs }, req.numPartitions) };
    }
    await this.visible(() => this.byName.has(req.name));
    const topic = this.byName.get(req.name);
    return topic ? { ...ok(), topic } : ok();
  }

  async deleteTopic(name: string): Promise<MetadataResult> {
    if (!this.byName.has(name)) return fail(ErrorCode.UnknownTopicOrPartition, 'This server does not host this topic-partition.');
    if (!this.brokerConfig.config.deleteTopicEnable) return fail(ErrorCode.TopicDeletionDisabled, 'Topic deletion is disabled.');
    const result = await this.options.changes.deleteTopic(name);
    if (result.errorCode === ErrorCode.None) await this.visible(() => !this.byName.has(name));
    return result;
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
    const result = await this.options.changes.createPartitions(name, count, assignments, validateOnly);
    if (result.errorCode === ErrorCode.None && !validateOnly) await this.visible(() => (this.byName.get(name)?.partitions ?? 0) >= count);
    return result;
  }

  async setTopicOverrides(name: string, overrides: ReadonlyMap<string, string | null>, validateOnly: boolean): Promise<MetadataResult> {
    if (!this.byName.has(name)) return fail(ErrorCode.UnknownTopicOrPartition, `Topic ${name} does not exist.`);
    const validation = validateTopicConfigs(overrides, this.brokerConfig);
    if (validation.error) return fail(validation.error.errorCode, validation.error.message);
    if (validateOnly) return ok();
    const configs = Object.fromEntries(validation.configs);
    const result = await this.options.changes.setTopicConfigs(name, configs);
    if (result.errorCode === ErrorCode.None) {
      const same = (t: Topic | undefined) => t !== undefined && t.overrides.size === validation.configs.size && [...validation.configs].every(([k, v]) => t.overrides.get(k) === v);
      await this.visible(() => same(this.byName.get(name)));
    }
    return result;
  }

  updateBrokerConfig(config: ResolvedBrokerConfig): void {
    this.brokerConfig = config;
    for (const record of this.options.state.topics()) this.topicChanged(record);
  }

  private makeTopic(record: TopicRecord, partitions = record.assignment.length): Topic {
    const overrides = new Map(Object.entries(record.configs));
    return { name: record.name, topicId: record.topicId, partitions, overrides, config: resolveTopicConfig(overrides, this.brokerConfig) };
  }

  private topicChanged(record: TopicRecord): void {
    const before = this.byName.get(record.name);
    if (before && before.topicId !== record.topicId) this.topicDeleted(record.name);
    const topic = this.makeTopic(record);
    this.byName.set(topic.name, topic);
    this.byId.set(topic.topicId, topic);
    const { logs, nodeId, logger } = this.options;
    const config = toLogConfig(topic.config);
    this.queueLogWork(async () => {
      for (let p = 0; p < record.assignment.length; p++) {
        if (!record.assignment[p].includes(nodeId)) continue;
        const log = logs.get(topic.name, p);
        if (log) log.updateConfig(config);
        else await logs.create(topic.name, p, config, topic.topicId);
      }
    }, (err) => { logger.error({ err, topic: topic.name }, 'cluster: could not create or update the logs of a topic'); });
  }

  private topicDeleted(name: string): void {
    const topic = this.byName.get(name);
    if (!topic) return;
    this.byName.delete(name);
    this.byId.delete(topic.topicId);
    const { logs, logger } = this.options;
    this.queueLogWork(async () => {
      await Promise.all(Array.from({ length: topic.partitions }, (_, p) => logs.delete(name, p)));
      for (const listener of this.deleteListeners) listener(topic);
      logger.info({ topic: name }, 'deleted topic');
    }, (err) => { logger.error({ err, topic: name }, 'cluster: could not delete the logs of a deleted topic'); });
  }

  private queueLogWork(work: () => Promise<void>, onError: (err: unknown) => void): void {
    this.logWork = this.logWork.then(work).catch(onError);
  }

  /** Waits until this broker's view and local logs show a change, at most VISIBLE_WITHIN_MS. */
  private async visible(ready: () => boolean): Promise<void> {
    await this.options.state.until(ready, VISIBLE_WITHIN_MS);
    await this.logWork;
  }
}
