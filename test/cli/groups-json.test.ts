/**
 * `gregor groups --describe --format json` in-process against an in-process broker: one object per
 * group with its state, coordinator, members and offsets with lag.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Broker } from '../../src/broker.js';
import { runGroups } from '../../src/cli/groups.js';
import { Producer } from '../../src/client/producer.js';
import { startBroker } from '../helpers/kafka.js';
import { runTool } from './in-process.js';

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker();
  await broker.services.metadata.createTopic({ name: 'orders', numPartitions: 2, replicationFactor: -1, configs: new Map(), validateOnly: false });
  const producer = new Producer({ bootstrapServers: broker.bootstrap });
  for (let i = 0; i < 5; i++) for (const partition of [0, 1]) await producer.send({ topic: 'orders', partition, value: Buffer.from(`v${i}`) });
  await producer.close();
  const codes = await broker.services.groups.commitOffsets({
    groupId: 'idle',
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    apiVersion: 9,
    partitions: [{ topic: 'orders', partition: 0, offset: 2n, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }],
  });
  expect(codes.every((c) => c === 0)).toBe(true);
  const r = await broker.services.groups.consumerGroupHeartbeat({
    groupId: 'live',
    memberId: 'member-a',
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: ['orders'],
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: [],
    clientId: 'app-1',
    clientHost: '/10.0.0.7',
    apiVersion: 1,
  });
  expect(r.errorCode).toBe(0);
}, 30_000);

afterAll(async () => {
  await broker.stop();
});

const run = (...argv: string[]) => runTool(runGroups, ['--bootstrap-server', broker.bootstrap, ...argv]);

describe('gregor groups --describe --format json', () => {
  it('prints each group with state, coordinator, members and offsets with lag', async () => {
    const r = await run('--describe', '--group', 'idle', '--group', 'live', '--format', 'json');
    expect(r.code).toBe(0);
    const [idle, live] = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(idle).toEqual({
      group: 'idle',
      type: 'classic',
      state: 'Empty',
      protocolType: expect.any(String),
      assignmentStrategy: expect.any(String),
      coordinator: { id: 1, host: '127.0.0.1', port: broker.port },
      members: [],
      offsets: [{ topic: 'orders', partition: 0, currentOffset: 2, logEndOffset: 5, lag: 3, consumerId: null, host: null, clientId: null }],
    });
    expect(live).toMatchObject({
      group: 'live',
      type: 'consumer',
      state: 'Stable',
      members: [{ memberId: 'member-a', clientId: 'app-1', host: '/10.0.0.7', assignment: [{ topic: 'orders', partition: 0 }, { topic: 'orders', partition: 1 }] }],
    });
    // Nothing committed for live: offsets and lag are null, as the text shows "-".
    expect((live.offsets as unknown[])[0]).toEqual({ topic: 'orders', partition: 0, currentOffset: null, logEndOffset: 5, lag: null, consumerId: 'member-a', host: '/10.0.0.7', clientId: 'app-1' });
  });

  it('reports a missing group on stderr and exits 1, the others still printed', async () => {
    const r = await run('--describe', '--group', 'ghost', '--group', 'idle', '--format', 'json');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("\nError: Consumer group 'ghost' does not exist.\n");
    expect((JSON.parse(r.stdout) as { group: string }[]).map((g) => g.group)).toEqual(['idle']);
  });

  it('takes --format json only with --describe', async () => {
    expect((await run('--list', '--format', 'json')).code).toBe(2);
  });
});
