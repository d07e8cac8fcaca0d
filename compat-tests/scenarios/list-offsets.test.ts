/**
 * ListOffsets as each client asks for it: earliest and latest per partition, and offsets for
 * times (the first offset whose timestamp is at or after T). Setup writes messages with explicit
 * CreateTimes through KafkaJS: partition 0 gets 10 messages at base + i*1000 ms, partition 1 gets 6
 * at base + 500 + i*2000 ms.
 */
import { CLIENTS, kafkajs } from '../clients/index.js';
import { createTopicInProcess } from '../lib/broker.js';
import { Recorder } from '../lib/results.js';
import { useBroker } from '../lib/scenario.js';
import type { OutMessage } from '../lib/types.js';

const rec = new Recorder('list-offsets');
const broker = useBroker();
const TOPIC = 'offsets';
const base = Date.now() - 10 * 60_000;

beforeAll(async () => {
  const b = broker();
  await createTopicInProcess(b.broker, TOPIC, 2);
  const m = (partition: number, i: number, timestamp: number): OutMessage => ({
    key: Buffer.from(`k${partition}-${i}`),
    value: Buffer.from(`v${partition}-${i}`),
    headers: [],
    partition,
    timestamp,
  });
  const messages = [
    ...Array.from({ length: 10 }, (_, i) => m(0, i, base + i * 1000)),
    ...Array.from({ length: 6 }, (_, i) => m(1, i, base + 500 + i * 2000)),
  ];
  await kafkajs.produce(b.bootstrap, TOPIC, messages);
});

const asObject = (m: Map<number, number>): Record<number, number> => Object.fromEntries([...m].sort((a, b) => a[0] - b[0]));

describe.each(CLIENTS.map((c) => [c.name, c] as const))('%s', (_name, client) => {
  test('earliest and latest', () =>
    rec.run(client.name, 'earliest-latest', async () => {
      const bs = broker().bootstrap;
      expect(asObject(await client.listOffsets(bs, TOPIC, [0, 1], 'earliest'))).toEqual({ 0: 0, 1: 0 });
      expect(asObject(await client.listOffsets(bs, TOPIC, [0, 1], 'latest'))).toEqual({ 0: 10, 1: 6 });
      return 'earliest {0:0, 1:0}, latest {0:10, 1:6}';
    }));

  test('offsets for times', () =>
    rec.run(client.name, 'by-time', async () => {
      const bs = broker().bootstrap;
      expect(asObject(await client.listOffsets(bs, TOPIC, [0, 1], { timestamp: base + 3500 }))).toEqual({ 0: 4, 1: 2 });
      expect(asObject(await client.listOffsets(bs, TOPIC, [0, 1], { timestamp: base }))).toEqual({ 0: 0, 1: 0 });
      expect(asObject(await client.listOffsets(bs, TOPIC, [0, 1], { timestamp: base + 9000 }))).toEqual({ 0: 9, 1: 5 });
      // After the last message Kafka answers offset -1; some clients report the end offset instead.
      const future = asObject(await client.listOffsets(bs, TOPIC, [0, 1], { timestamp: Date.now() + 3_600_000 }));
      const none = future[0] === -1 && future[1] === -1;
      const end = future[0] === 10 && future[1] === 6;
      if (!none && !end) throw new Error(`offsets for a time after every message: ${JSON.stringify(future)}, expected -1 (or the end offsets)`);
      return `T+3.5s -> {0:4, 1:2}, first and last timestamps exact, after the end -> ${none ? '-1' : 'end offsets (client maps -1)'}`;
    }));
});
