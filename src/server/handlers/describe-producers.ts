/**
 * DescribeProducers v0 (KIP-664): the producers with state on each requested partition
 * (partition/active-producers.ts has what is reported and the errors). v0 is the only version; it
 * is flexible. Not implemented: authorization (TOPIC_AUTHORIZATION_FAILED never happens).
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  defaultDescribeProducersResponse,
  type DescribeProducersResponsePartitionResponse,
} from '../../protocol/generated/messages/describe-producers.js';
import { describePartitionProducers, type ProducerStateLookup } from '../../partition/active-producers.js';
import type { BrokerServices } from '../services.js';
import { defineHandler } from '../handler.js';

/** Where a partition's producer state lives: its Partition, loading the state on first use; a follower's is not described. */
function producerStateOf(services: BrokerServices): ProducerStateLookup {
  return async (topic, partition) => {
    const p = services.partitions.get(topic, partition);
    if (p === undefined) return undefined;
    return p.isLeader ? p.producerState() : ErrorCode.NotLeaderOrFollower;
  };
}

export const describeProducers = defineHandler({
  apiKey: ApiKey.DescribeProducers,
  minVersion: 0,
  maxVersion: 0,
  async handle(request, ctx) {
    const lookup = producerStateOf(ctx.services);
    const response = defaultDescribeProducersResponse();
    for (const t of request.topics) {
      const partitions: DescribeProducersResponsePartitionResponse[] = [];
      for (const partitionIndex of t.partitionIndexes) {
        const r = await describePartitionProducers(ctx.services.metadata, lookup, t.name, partitionIndex);
        partitions.push({
          partitionIndex,
          errorCode: r.errorCode,
          errorMessage: r.errorMessage,
          activeProducers: r.producers.map((p) => ({ ...p, _unknownTaggedFields: undefined })),
          _unknownTaggedFields: undefined,
        });
      }
      response.topics.push({ name: t.name, partitions, _unknownTaggedFields: undefined });
    }
    return response;
  },
});
