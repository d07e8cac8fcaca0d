/**
 * Restart with the same data directory: a `gregor start` process takes 1,000 messages from each
 * client (each with a codec it supports), stops on SIGTERM (clean shutdown, exit 0), starts again
 * on the same --data-dir, and each client reads its messages back, byte for byte and in order; the
 * end offsets are what they were.
 */
import { CLIENTS, kafkajs } from '../clients/index.js';
import { CliBroker, removeDir, tempDir } from '../lib/broker.js';
import { assertConsumed } from '../lib/messages.js';
import { Recorder } from '../lib/results.js';
import { messagesFor, readBack, unsupportedReason } from '../lib/scenario.js';
import type { ClientName, Codec, OutMessage } from '../lib/types.js';

const COUNT = 1000;
const PARTITIONS = 3;
const rec = new Recorder('restart');
const PREFERRED: Record<ClientName, Codec> = {
  kcat: 'zstd',
  'confluent-kafka': 'lz4',
  'kafka-python': 'snappy',
  kafkajs: 'gzip',
  platformatic: 'snappy',
};

let dataDir = '';
let broker: CliBroker | undefined;
const before = new Map<ClientName, { messages: OutMessage[]; codec: Codec; latest: Map<number, number> } | { error: string }>();

beforeAll(async () => {
  dataDir = await tempDir('restart');
  broker = await CliBroker.start({ dataDir });
});

afterAll(async () => {
  await broker?.stop();
  await removeDir(dataDir);
});

describe.each(CLIENTS.map((c) => [c.name, c] as const))('before the restart: %s', (_name, client) => {
  test('produces 1,000 messages', async () => {
    const topic = `restart-${client.name}`;
    try {
      const codec = (await unsupportedReason(client, { kind: 'codec', codec: PREFERRED[client.name] })) ? 'gzip' : PREFERRED[client.name];
      await kafkajs.createTopic(broker!.bootstrap, { name: topic, partitions: PARTITIONS });
      const messages = await messagesFor(client, { count: COUNT, seed: `restart-${client.name}` });
      const r = await client.produce(broker!.bootstrap, topic, messages, { codec });
      expect(r.acked).toBe(COUNT);
      const latest = await kafkajs.listOffsets(broker!.bootstrap, topic, [0, 1, 2], 'latest');
      before.set(client.name, { messages, codec, latest });
    } catch (err) {
      before.set(client.name, { error: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  });
});

test('SIGTERM: clean shutdown, then start again on the same data dir', async () => {
  expect(await broker!.stop()).toBe(0);
  broker = await CliBroker.start({ dataDir });
  expect(broker.startupLine).toContain(dataDir);
});

describe.each(CLIENTS.map((c) => [c.name, c] as const))('after the restart: %s', (_name, client) => {
  test('reads everything back', () =>
    rec.run(client.name, '', async () => {
      const b = before.get(client.name);
      if (!b || 'error' in b) throw new Error(`could not produce before the restart: ${b && 'error' in b ? b.error : 'not run'}`);
      const topic = `restart-${client.name}`;
      const latest = await client.listOffsets(broker!.bootstrap, topic, [0, 1, 2], 'latest');
      expect(Object.fromEntries(latest)).toEqual(Object.fromEntries(b.latest));
      const got = await readBack(client, broker!.bootstrap, topic, COUNT);
      assertConsumed(b.messages, got, { partitions: PARTITIONS });
      return `${COUNT} ${b.codec} messages and end offsets intact after SIGTERM and restart of gregor start`;
    }));
});
