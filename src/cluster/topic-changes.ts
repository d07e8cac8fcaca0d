/**
 * Topic changes in cluster mode (the cluster metadata store's TopicChanges): decided by the
 * controller, which places replicas and writes the topic with its partitions' first states in one
 * transaction. On the controller's own broker they go to it directly; every other broker forwards
 * them over the Kafka protocol (CreateTopics, CreatePartitions, DeleteTopics), as Kafka's brokers
 * forward admin requests to the active controller. Config overrides need no decision: any broker
 * writes them to the store.
 */
import type { CreateTopicRequest, MetadataResult } from '../metadata/metadata-store.js';
import { ApiKey } from '../protocol/generated/api-table.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import { ZERO_UUID } from '../protocol/reader.js';
import type { Logger } from '../util/logger.js';
import type { TopicChanges } from './cluster-metadata-store.js';
import { ClusterUnavailableError, type ClusterStore, type TopicRecord } from './cluster-store.js';
import { NoControllerError, type ControllerChannel } from './controller-channel.js';

/** What this module needs of the running controller (controller.ts). */
export interface TopicController {
  createTopics(requests: readonly CreateTopicRequest[]): Promise<(MetadataResult & { topic?: TopicRecord })[]>;
  createPartitions(
    requests: readonly { name: string; count: number; assignments: readonly { brokerIds: readonly number[] }[] | null }[],
    validateOnly: boolean,
  ): Promise<MetadataResult[]>;
  deleteTopics(names: readonly string[]): Promise<MetadataResult[]>;
}

export interface ControllerTopicChangesOptions {
  /** The controller when this broker runs it, else undefined. */
  localController: () => TopicController | undefined;
  channel: ControllerChannel;
  store: ClusterStore;
  /** The request timeout the forwarded requests carry. */
  timeoutMs: number;
  logger: Logger;
}

/**
 * A change that could not be committed because etcd (or the controller, which needs it) is away is
 * Kafka's REQUEST_TIMED_OUT, as for a controller that cannot commit; the message names the cause so
 * an operator reading a client's error knows where to look.
 */
const failure = (err: unknown): MetadataResult => {
  if (err instanceof NoControllerError || err instanceof ClusterUnavailableError) {
    return { errorCode: ErrorCode.RequestTimedOut, errorMessage: `The cluster metadata service (etcd) is unavailable: ${err.message}` };
  }
  return { errorCode: ErrorCode.UnknownServerError, errorMessage: err instanceof Error ? err.message : String(err) };
};

const isNotController = (codes: readonly number[]): boolean => codes.includes(ErrorCode.NotController);

export class ControllerTopicChanges implements TopicChanges {
  constructor(private readonly options: ControllerTopicChangesOptions) {}

  async createTopic(req: CreateTopicRequest, configs: Record<string, string>): Promise<MetadataResult & { topicId?: string }> {
    return this.reported(`creating topic ${req.name}`, await this.createTopicNow(req, configs));
  }

  private async createTopicNow(req: CreateTopicRequest, configs: Record<string, string>): Promise<MetadataResult & { topicId?: string }> {
    const local = this.options.localController();
    try {
      if (local) {
        const [r] = await local.createTopics([{ ...req, configs: new Map(Object.entries(configs)) }]);
        return { errorCode: r.errorCode, errorMessage: r.errorMessage, ...(r.topic ? { topicId: r.topic.topicId } : {}) };
      }
      const body = await this.options.channel.forward(
        ApiKey.CreateTopics,
        () => ({
          topics: [
            {
              name: req.name,
              numPartitions: req.numPartitions,
              replicationFactor: req.replicationFactor,
              assignments: (req.assignments ?? []).map((a) => ({ partitionIndex: a.partitionIndex, brokerIds: [...a.brokerIds], _unknownTaggedFields: undefined })),
              configs: Object.entries(configs).map(([name, value]) => ({ name, value, _unknownTaggedFields: undefined })),
              _unknownTaggedFields: undefined,
            },
          ],
          timeoutMs: this.options.timeoutMs,
          validateOnly: req.validateOnly,
          _unknownTaggedFields: undefined,
        }),
        (b) => isNotController(b.topics.map((t) => t.errorCode)),
      );
      const r = body.topics.find((t) => t.name === req.name);
      if (!r) return { errorCode: ErrorCode.UnknownServerError, errorMessage: `the controller did not answer for topic ${req.name}` };
      return { errorCode: r.errorCode, errorMessage: r.errorMessage, ...(r.errorCode === ErrorCode.None ? { topicId: r.topicId } : {}) };
    } catch (err) {
      return failure(err);
    }
  }

  async deleteTopic(name: string): Promise<MetadataResult> {
    return this.reported(`deleting topic ${name}`, await this.deleteTopicNow(name));
  }

  private async deleteTopicNow(name: string): Promise<MetadataResult> {
    const local = this.options.localController();
    try {
      if (local) return (await local.deleteTopics([name]))[0];
      const body = await this.options.channel.forward(
        ApiKey.DeleteTopics,
        (v) => ({
          topics: v >= 6 ? [{ name, topicId: ZERO_UUID, _unknownTaggedFields: undefined }] : [],
          topicNames: v < 6 ? [name] : [],
          timeoutMs: this.options.timeoutMs,
          _unknownTaggedFields: undefined,
        }),
        (b) => isNotController(b.responses.map((r) => r.errorCode)),
      );
      const r = body.responses.at(0);
      return r ? { errorCode: r.errorCode, errorMessage: r.errorMessage } : { errorCode: ErrorCode.UnknownServerError, errorMessage: 'the controller did not answer' };
    } catch (err) {
      return failure(err);
    }
  }

  async createPartitions(name: string, count: number, assignments: readonly { brokerIds: readonly number[] }[] | null, validateOnly: boolean): Promise<MetadataResult> {
    return this.reported(`adding partitions to topic ${name}`, await this.createPartitionsNow(name, count, assignments, validateOnly));
  }

  private async createPartitionsNow(name: string, count: number, assignments: readonly { brokerIds: readonly number[] }[] | null, validateOnly: boolean): Promise<MetadataResult> {
    const local = this.options.localController();
    try {
      if (local) return (await local.createPartitions([{ name, count, assignments }], validateOnly))[0];
      const body = await this.options.channel.forward(
        ApiKey.CreatePartitions,
        () => ({
          topics: [{ name, count, assignments: assignments ? assignments.map((a) => ({ brokerIds: [...a.brokerIds], _unknownTaggedFields: undefined })) : null, _unknownTaggedFields: undefined }],
          timeoutMs: this.options.timeoutMs,
          validateOnly,
          _unknownTaggedFields: undefined,
        }),
        (b) => isNotController(b.results.map((r) => r.errorCode)),
      );
      const r = body.results.at(0);
      return r ? { errorCode: r.errorCode, errorMessage: r.errorMessage } : { errorCode: ErrorCode.UnknownServerError, errorMessage: 'the controller did not answer' };
    } catch (err) {
      return failure(err);
    }
  }

  async setTopicConfigs(name: string, configs: Record<string, string>): Promise<MetadataResult> {
    return this.reported(`changing the configs of topic ${name}`, await this.setTopicConfigsNow(name, configs));
  }

  private async setTopicConfigsNow(name: string, configs: Record<string, string>): Promise<MetadataResult> {
    try {
      const written = await this.options.store.setTopicConfigs(name, configs);
      return written ? { errorCode: ErrorCode.None, errorMessage: null } : { errorCode: ErrorCode.UnknownTopicOrPartition, errorMessage: `Topic ${name} does not exist.` };
    } catch (err) {
      return failure(err);
    }
  }

  /** The broker's own line for a change refused because the metadata service is away. */
  private reported<R extends MetadataResult>(what: string, result: R): R {
    if (result.errorCode === ErrorCode.RequestTimedOut) {
      this.options.logger.warn({ error: result.errorMessage }, `cluster: ${what} refused: the cluster metadata service (etcd) is unavailable`);
    }
    return result;
  }
}
