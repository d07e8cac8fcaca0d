/**
 * Metadata as each client sees it: the one broker with the advertised host and port and its node
 * id, the cluster id where the client shows it, and two topics with their partition counts and
 * leaders.
 */
import { CLIENTS } from '../clients/index.js';
import { createTopicInProcess } from '../lib/broker.js';
import { recordResult, Recorder } from '../lib/results.js';
import { useBroker } from '../lib/scenario.js';

const rec = new Recorder('metadata');
const broker = useBroker();

beforeAll(async () => {
  // The versions under test, for the results table.
  for (const c of CLIENTS) {
    const detail = await c.describe().catch((e: unknown) => `unknown (${e instanceof Error ? e.message : String(e)})`);
    recordResult({ scenario: 'client', client: c.name, variant: '', outcome: 'pass', detail, ms: 0, at: new Date().toISOString() });
  }
  await createTopicInProcess(broker().broker, 'meta-three', 3);
  await createTopicInProcess(broker().broker, 'meta-one', 1);
});

test.each(CLIENTS.map((c) => [c.name, c] as const))('%s sees the broker and the topics', (_name, client) =>
  rec.run(client.name, '', async () => {
    const b = broker();
    const { nodeId, clusterId } = b.broker.services;
    const [host, port] = [b.bootstrap.slice(0, b.bootstrap.lastIndexOf(':')), Number(b.bootstrap.slice(b.bootstrap.lastIndexOf(':') + 1))];
    const md = await client.metadata(b.bootstrap, ['meta-three', 'meta-one']);
    expect(md.brokers).toEqual([{ nodeId, host, port }]);
    if (md.clusterId !== undefined && md.clusterId !== null) expect(md.clusterId).toBe(clusterId);
    const topics: Partial<Record<string, (typeof md.topics)[number]>> = Object.fromEntries(md.topics.map((t) => [t.name, t]));
    expect(topics['meta-three']?.error).toBeUndefined();
    expect(topics['meta-three']?.partitions.sort((a, b) => a.partition - b.partition)).toEqual([0, 1, 2].map((partition) => ({ partition, leader: nodeId })));
    expect(topics['meta-one']?.partitions).toEqual([{ partition: 0, leader: nodeId }]);
    return `broker ${nodeId} at ${host}:${port}${md.clusterId ? `, cluster ${md.clusterId}` : ''}${md.controllerId !== undefined ? `, controller ${md.controllerId}` : ''}; topics with 3 and 1 partitions led by ${nodeId}`;
  }),
);
