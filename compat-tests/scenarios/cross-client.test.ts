/**
 * Produced by each client, consumed by each of the others: 1,000 keyed messages with headers per
 * producer (gzip or none, the codecs every client here reads), each other client reads them all
 * back from the beginning and checks every byte and the per-partition order. Recorded per consumer
 * with the producer as the variant ("from kcat").
 */
import { CLIENTS } from '../clients/index.js';
import { createTopicInProcess } from '../lib/broker.js';
import { assertConsumed } from '../lib/messages.js';
import { Recorder } from '../lib/results.js';
import { messagesFor, readBack, useBroker } from '../lib/scenario.js';
import type { ClientName, Codec, OutMessage } from '../lib/types.js';

const COUNT = 1000;
const PARTITIONS = 3;
const rec = new Recorder('cross-client');
const broker = useBroker();

const produced = new Map<ClientName, { messages: OutMessage[]; codec: Codec } | { error: string }>();

describe.each(CLIENTS.map((p, i) => [p.name, p, i] as const))('produced by %s', (_name, producer, index) => {
  const codec: Codec = index % 2 === 0 ? 'gzip' : 'none';

  beforeAll(async () => {
    const b = broker();
    const topic = `x-${producer.name}`;
    try {
      await createTopicInProcess(b.broker, topic, PARTITIONS);
      const messages = await messagesFor(producer, { count: COUNT, seed: `cross-${producer.name}` });
      const r = await producer.produce(b.bootstrap, topic, messages, { codec });
      if (r.acked !== COUNT) throw new Error(`${r.acked} of ${COUNT} acknowledged`);
      produced.set(producer.name, { messages, codec });
    } catch (err) {
      produced.set(producer.name, { error: err instanceof Error ? err.message : String(err) });
    }
  });

  test.each(CLIENTS.filter((c) => c !== producer).map((c) => [c.name, c] as const))('consumed by %s', (_c, consumer) =>
    rec.run(consumer.name, `from ${producer.name}`, async () => {
      const p = produced.get(producer.name);
      if (!p || 'error' in p) throw new Error(`nothing to read: ${producer.name} could not produce (${p && 'error' in p ? p.error : 'not run'})`);
      const got = await readBack(consumer, broker().bootstrap, `x-${producer.name}`, COUNT);
      assertConsumed(p.messages, got, { partitions: PARTITIONS });
      return `${COUNT} messages from ${producer.name} (${p.codec}) byte-identical in order`;
    }),
  );
});
