/**
 * `gregor topics --describe --format json` in-process against an in-process broker: the topics and
 * partitions the text shows, as one JSON array.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Broker } from '../../src/broker.js';
import { runTopics } from '../../src/cli/topics.js';
import { Admin } from '../../src/client/admin.js';
import { startBroker } from '../helpers/kafka.js';
import { runTool } from './in-process.js';

let broker: Broker;
let ids: Map<string, string>;

beforeAll(async () => {
  broker = await startBroker();
  const admin = new Admin({ bootstrapServers: broker.bootstrap });
  const created = await admin.createTopics([
    { name: 'plain', numPartitions: 2 },
    { name: 'tuned', numPartitions: 1, configs: { 'retention.ms': '1000' } },
  ]);
  ids = new Map(created.map((t) => [t.name, t.topicId]));
  await admin.close();
}, 30_000);

afterAll(async () => {
  await broker.stop();
});

const run = (...argv: string[]) => runTool(runTopics, ['--bootstrap-server', broker.bootstrap, ...argv]);

describe('gregor topics --describe --format json', () => {
  it('prints each topic with its overrides and partitions', async () => {
    const r = await run('--describe', '--topic', 'plain|tuned', '--format', 'json');
    expect(r.code).toBe(0);
    const topics = (JSON.parse(r.stdout) as { name: string }[]).sort((a, b) => (a.name < b.name ? -1 : 1));
    expect(topics).toEqual([
      {
        name: 'plain',
        topicId: ids.get('plain'),
        isInternal: false,
        partitionCount: 2,
        replicationFactor: 1,
        configs: {},
        partitions: [
          { partition: 0, leader: 1, replicas: [1], isr: [1], elr: [], lastKnownElr: [] },
          { partition: 1, leader: 1, replicas: [1], isr: [1], elr: [], lastKnownElr: [] },
        ],
      },
      {
        name: 'tuned',
        topicId: ids.get('tuned'),
        isInternal: false,
        partitionCount: 1,
        replicationFactor: 1,
        configs: { 'retention.ms': '1000' },
        partitions: [{ partition: 0, leader: 1, replicas: [1], isr: [1], elr: [], lastKnownElr: [] }],
      },
    ]);
  });

  it('keeps the filters: --topics-with-overrides lists only tuned, a partition report only what it reports', async () => {
    const overrides = JSON.parse((await run('--describe', '--topics-with-overrides', '--format', 'json')).stdout) as { name: string; partitions: unknown[] }[];
    expect(overrides.map((t) => [t.name, t.partitions.length])).toEqual([['tuned', 0]]);
    expect((await run('--describe', '--under-replicated-partitions', '--format', 'json')).stdout).toBe('[]\n');
  });

  it('takes --format only with --describe', async () => {
    const r = await run('--list', '--format', 'json');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('--format can only be used with --describe\n');
  });
});
