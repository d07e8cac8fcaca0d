/**
 * Each client produces 1,000 keyed messages with headers into a 3-partition topic with each
 * compression codec it supports, then reads them back from the beginning; every key, value and
 * header byte is compared, per-partition order and per-key partitioning checked, and the stored
 * batches must carry the codec the client was asked to use (librdkafka and kafka-python send a batch
 * uncompressed when compressing does not make it smaller, so uncompressed batches may be mixed in).
 * A client that can write a codec but not read it (kafka-python and zstd) is read back by kcat.
 */
import { CLIENTS, kcat } from '../clients/index.js';
import { createTopicInProcess } from '../lib/broker.js';
import { storedCodecs } from '../lib/inspect.js';
import { assertConsumed } from '../lib/messages.js';
import { notApplicable, passWithNote, Recorder } from '../lib/results.js';
import { checkReportedOffsets, messagesFor, readBack, unsupportedReason, useBroker } from '../lib/scenario.js';
import { CODECS } from '../lib/types.js';

const COUNT = 1000;
const PARTITIONS = 3;
const rec = new Recorder('produce-consume');
const broker = useBroker();

describe.each(CLIENTS.map((c) => [c.name, c] as const))('%s', (_name, client) => {
  test.each(CODECS.map((c) => [c]))('1,000 keyed messages with headers, codec %s', (codec) =>
    rec.run(client.name, codec, async () => {
      const reason = await unsupportedReason(client, { kind: 'codec', codec });
      if (reason) return notApplicable(reason);
      const b = broker();
      const topic = `pc-${client.name}-${codec}`;
      await createTopicInProcess(b.broker, topic, PARTITIONS);
      const messages = await messagesFor(client, { count: COUNT, seed: `${client.name}-${codec}` });
      const from = Date.now() - 1000;
      const produced = await client.produce(b.bootstrap, topic, messages, { codec });
      expect(produced.acked).toBe(COUNT);
      const bad = checkReportedOffsets(produced.offsets, COUNT);
      if (bad) throw new Error(bad);
      const cannotRead = await client.unsupported({ kind: 'consume-codec', codec });
      const reader = cannotRead ? kcat : client;
      const got = await readBack(reader, b.bootstrap, topic, COUNT);
      assertConsumed(messages, got, { partitions: PARTITIONS, timestampWindow: { from, to: Date.now() + 1000 } });
      const codecs = await storedCodecs(b.broker, topic, PARTITIONS);
      const others = [...codecs.keys()].filter((c) => c !== codec && c !== 'none');
      if (!codecs.get(codec) || others.length > 0) throw new Error(`stored batches by codec: ${JSON.stringify(Object.fromEntries(codecs))}, expected ${codec}`);
      const perPartition = new Map<number, number>();
      for (const m of got) perPartition.set(m.partition, (perPartition.get(m.partition) ?? 0) + 1);
      const batches = [...codecs].map(([c, n]) => `${n} ${c}`).join(' + ');
      const detail = `${COUNT} messages byte-identical in order; per partition ${[...perPartition].sort().map(([p, n]) => `${p}:${n}`).join(' ')}; batches ${batches}`;
      return cannotRead ? passWithNote(`${detail}; read back by kcat`, `produces ${codec}; read back by kcat: ${cannotRead}`) : detail;
    }),
  );
});
