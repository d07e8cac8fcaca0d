/**
 * Large messages against Kafka's default limit (message.max.bytes 1048588):
 *  - a 900 KB message (incompressible, no codec) round trip, under the default limit;
 *  - a 1.1 MB message refused with MESSAGE_TOO_LARGE as the client reports it; the client's own
 *    size limit is raised where it has one (librdkafka message.max.bytes, kafka-python
 *    max_request_size) so that the broker, not the client, is the one refusing;
 *  - the same 1.1 MB message accepted and read back once the topic's max.message.bytes is raised.
 */
import { CLIENTS } from '../clients/index.js';
import { createTopicInProcess } from '../lib/broker.js';
import { assertConsumed, largeMessage } from '../lib/messages.js';
import { Recorder } from '../lib/results.js';
import { readBack, useBroker } from '../lib/scenario.js';
import { ClientError } from '../lib/types.js';

const rec = new Recorder('large-messages');
const broker = useBroker();
const KB900 = 900 * 1024;
const OVER = 1_100_000;
const CLIENT_LIMIT = 4 * 1024 * 1024;

describe.each(CLIENTS.map((c) => [c.name, c] as const))('%s', (_name, client) => {
  test('900 KB round trip', () =>
    rec.run(client.name, '900KB', async () => {
      const b = broker();
      const topic = `large-${client.name}`;
      await createTopicInProcess(b.broker, topic, 1);
      const m = largeMessage(`900k-${client.name}`, KB900);
      expect((await client.produce(b.bootstrap, topic, [m])).acked).toBe(1);
      const got = await readBack(client, b.bootstrap, topic, 1);
      assertConsumed([m], got);
      return `${KB900} bytes produced and read back byte-identical`;
    }));

  test('1.1 MB refused with MESSAGE_TOO_LARGE', () =>
    rec.run(client.name, 'over-limit', async () => {
      const b = broker();
      const topic = `too-large-${client.name}`;
      await createTopicInProcess(b.broker, topic, 1);
      const m = largeMessage(`over-${client.name}`, OVER);
      const err = await client.produce(b.bootstrap, topic, [m], { maxMessageBytes: CLIENT_LIMIT, timeoutMs: 30_000 }).then(
        () => null,
        (e: unknown) => e,
      );
      if (err === null) throw new Error(`a ${OVER}-byte message was accepted (message.max.bytes is 1048588)`);
      // Whatever else the client threw, passed on as it is.
      // eslint-disable-next-line @typescript-eslint/only-throw-error
      if (!(err instanceof ClientError)) throw err;
      expect(err.code).toBe(10); // MESSAGE_TOO_LARGE
      expect(err.where).not.toBe('local');
      expect(await b.broker.services.logs.get(topic, 0)?.read(0n, { maxBytes: 1 }).then((r) => r.logEndOffset)).toBe(0n);
      return `refused: ${err.errorName}; nothing stored`;
    }));

  test('1.1 MB accepted with the topic max.message.bytes raised', () =>
    rec.run(client.name, 'raised-topic-limit', async () => {
      const b = broker();
      const topic = `raised-${client.name}`;
      await createTopicInProcess(b.broker, topic, 1, { 'max.message.bytes': String(2 * 1024 * 1024) });
      const m = largeMessage(`raised-${client.name}`, OVER);
      expect((await client.produce(b.bootstrap, topic, [m], { maxMessageBytes: CLIENT_LIMIT })).acked).toBe(1);
      const got = await readBack(client, b.bootstrap, topic, 1, { maxBytes: CLIENT_LIMIT });
      assertConsumed([m], got);
      return `${OVER} bytes accepted with max.message.bytes=2097152 and read back`;
    }));
});
