import { afterEach, describe, expect, it } from '@jest/globals';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import {
  defaultDescribeTopicPartitionsRequest,
  type DescribeTopicPartitionsRequest,
  type DescribeTopicPartitionsResponse,
} from '../../../src/protocol/generated/messages/describe-topic-partitions.js';
import { startHarness, type AdminHarness } from './admin-harness.js';

let h: AdminHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

function request(names: string[], limit: number, cursor: { topicName: string; partitionIndex: number } | null = null): DescribeTopicPartitionsRequest {
  return {
    ...defaultDescribeTopicPartitionsRequest(),
    topics: names.map((name) => ({ name, _unknownTaggedFields: undefined })),
    responsePartitionLimit: limit,
    cursor: cursor === null ? null : { ...cursor, _unknownTaggedFields: undefined },
  };
}

async function start(layout: Record<string, number>): Promise<AdminHarness> {
  h = await startHarness();
  for (const [name, partitions] of Object.entries(layout)) {
    await h.broker.services.metadata.createTopic({ name, numPartitions: partitions, replicationFactor: 1, configs: new Map(), validateOnly: false });
  }
  return h;
}

/**
 * The Java admin client's describeTopics loop (KafkaAdminClient, DescribeTopicPartitions): ask for
 * the topics not yet complete, continue a topic cut by the cursor from the partitions already
 * received, and complete a topic when the cursor moves past it.
 */
async function javaAdminDescribeTopics(harness: AdminHarness, names: string[], limit: number): Promise<{ described: Map<string, number[]>; errors: Map<string, number>; requests: number }> {
  const pending = [...names].sort();
  const described = new Map<string, number[]>();
  const errors = new Map<string, number>();
  let partial: { name: string; partitions: number[] } | null = null;
  let requests = 0;
  while (pending.length > 0) {
    const cursor = partial ? { topicName: partial.name, partitionIndex: partial.partitions.length } : null;
    const response: DescribeTopicPartitionsResponse = await harness.call(ApiKey.DescribeTopicPartitions, 0, request(pending, limit, cursor));
    requests++;
    let responseCursor = response.nextCursor;
    let next: { name: string; partitions: number[] } | null = null;
    const done = (name: string): void => {
      pending.splice(pending.indexOf(name), 1);
    };
    for (const t of response.topics) {
      const name = t.name!;
      if (t.errorCode !== 0) {
        errors.set(name, t.errorCode);
        done(name);
        if (responseCursor?.topicName === name) responseCursor = null;
        continue;
      }
      const partitions = t.partitions.map((p) => p.partitionIndex);
      if (partial && partial.name === name) {
        partial.partitions.push(...partitions);
        continue;
      }
      if (responseCursor && responseCursor.topicName === name) {
        next = { name, partitions };
        continue;
      }
      described.set(name, partitions);
      done(name);
    }
    if (partial && (responseCursor === null || responseCursor.topicName !== partial.name)) {
      described.set(partial.name, partial.partitions);
      done(partial.name);
      partial = null;
    }
    if (next) partial = next;
    if (requests > 50) throw new Error('no progress');
  }
  return { described, errors, requests };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('DescribeTopicPartitions', () => {
  it('describes partitions with this broker as leader, replica and ISR, in topic name order', async () => {
    const harness = await start({ b: 2, a: 1 });
    const nodeId = harness.broker.services.nodeId;
    const r = await harness.call(ApiKey.DescribeTopicPartitions, 0, request(['b', 'a', 'b'], 2000));
    expect(r.nextCursor).toBeNull();
    expect(r.topics.map((t) => t.name)).toEqual(['a', 'b']);
    const b = r.topics[1];
    expect(b).toMatchObject({ errorCode: 0, topicId: harness.broker.services.metadata.topic('b')!.topicId, isInternal: false, topicAuthorizedOperations: 3576 });
    expect(b.partitions[1]).toMatchObject({
      errorCode: 0,
      partitionIndex: 1,
      leaderId: nodeId,
      leaderEpoch: 0,
      replicaNodes: [nodeId],
      isrNodes: [nodeId],
      eligibleLeaderReplicas: [],
      lastKnownElr: [],
      offlineReplicas: [],
    });
  });

  it('answers unknown and illegal names per topic; listing all topics shows only existing ones', async () => {
    const harness = await start({ a: 1 });
    const r = await harness.call(ApiKey.DescribeTopicPartitions, 0, request(['a', 'missing', 'bad name'], 2000));
    expect(r.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ['a', 0],
      ['bad name', ErrorCode.InvalidTopicException],
      ['missing', ErrorCode.UnknownTopicOrPartition],
    ]);
    const all = await harness.call(ApiKey.DescribeTopicPartitions, 0, request([], 2000));
    expect(all.topics.map((t) => t.name)).toEqual(['a']);
  });

  it('pages by responsePartitionLimit with Kafka cursors', async () => {
    const harness = await start({ a: 5, b: 3, c: 2 });
    const first = await harness.call(ApiKey.DescribeTopicPartitions, 0, request(['a', 'b', 'c'], 4));
    expect(first.topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)])).toEqual([['a', [0, 1, 2, 3]]]);
    expect(first.nextCursor).toMatchObject({ topicName: 'a', partitionIndex: 4 });
    const second = await harness.call(ApiKey.DescribeTopicPartitions, 0, request(['a', 'b', 'c'], 4, { topicName: 'a', partitionIndex: 4 }));
    expect(second.topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)])).toEqual([
      ['a', [4]],
      ['b', [0, 1, 2]],
    ]);
    // The limit is reached exactly and a topic follows: the cursor names it at partition 0.
    expect(second.nextCursor).toMatchObject({ topicName: 'c', partitionIndex: 0 });
    const third = await harness.call(ApiKey.DescribeTopicPartitions, 0, request([], 4, { topicName: 'c', partitionIndex: 0 }));
    expect(third.topics.map((t) => t.name)).toEqual(['c']);
    expect(third.nextCursor).toBeNull();
  });

  it('is paged through completely by the Java admin client loop', async () => {
    const layout = { orders: 7, events: 3, audit: 1, metrics: 12 };
    const harness = await start(layout);
    for (const limit of [1, 2, 3, 5, 12, 2000]) {
      const { described, errors, requests } = await javaAdminDescribeTopics(harness, [...Object.keys(layout), 'ghost'], limit);
      expect(Object.fromEntries(described)).toEqual(Object.fromEntries(Object.entries(layout).map(([n, p]) => [n, range(p)])));
      expect(Object.fromEntries(errors)).toEqual({ ghost: ErrorCode.UnknownTopicOrPartition });
      if (limit === 2000) expect(requests).toBe(1);
      if (limit === 1) expect(requests).toBeGreaterThanOrEqual(23);
    }
  });

  it('caps the page at 2000 partitions and at least 1', async () => {
    const harness = await start({ big: 2500 });
    const r = await harness.call(ApiKey.DescribeTopicPartitions, 0, request(['big'], 5000));
    expect(r.topics[0].partitions).toHaveLength(2000);
    expect(r.nextCursor).toMatchObject({ topicName: 'big', partitionIndex: 2000 });
    const one = await harness.call(ApiKey.DescribeTopicPartitions, 0, request(['big'], 0));
    expect(one.topics[0].partitions).toHaveLength(1);
  });

  it('refuses a cursor outside the topic list, or with a negative partition, with INVALID_REQUEST', async () => {
    const harness = await start({ a: 1, b: 1 });
    const r = await harness.call(ApiKey.DescribeTopicPartitions, 0, request(['a'], 10, { topicName: 'b', partitionIndex: 0 }));
    expect(r.topics).toEqual([expect.objectContaining({ name: 'a', errorCode: ErrorCode.InvalidRequest })]);
    const neg = await harness.call(ApiKey.DescribeTopicPartitions, 0, request(['a'], 10, { topicName: 'a', partitionIndex: -1 }));
    expect(neg.topics).toEqual([expect.objectContaining({ name: 'a', errorCode: ErrorCode.InvalidRequest, partitions: [] })]);
    expect(neg.nextCursor).toBeNull();
  });
});
