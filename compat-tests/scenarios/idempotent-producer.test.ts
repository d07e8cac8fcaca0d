/**
 * Idempotent producers (kcat and confluent-kafka with enable.idempotence=true, KafkaJS
 * idempotent: true, @platformatic/kafka idempotent: true): two producer sessions of 500 keyed
 * messages each into a 3-partition topic. Everything reads back exactly once and in order; the
 * stored batches show what the client did on the wire: a producer id from InitProducerId, a
 * different one (or a higher epoch) for the second session, and per partition sequences starting at
 * 0 with no gap.
 */
import { CLIENTS } from '../clients/index.js';
import { createTopicInProcess } from '../lib/broker.js';
import { storedBatches, type StoredBatch } from '../lib/inspect.js';
import { assertConsumed } from '../lib/messages.js';
import { notApplicable, Recorder } from '../lib/results.js';
import { messagesFor, readBack, unsupportedReason, useBroker } from '../lib/scenario.js';

const PARTITIONS = 3;
const rec = new Recorder('idempotent-producer');
const broker = useBroker();

test.each(CLIENTS.map((c) => [c.name, c] as const))('%s', (_name, client) =>
  rec.run(client.name, '', async () => {
    const reason = await unsupportedReason(client, { kind: 'idempotence' });
    if (reason) return notApplicable(reason);
    const b = broker();
    const topic = `idem-${client.name}`;
    await createTopicInProcess(b.broker, topic, PARTITIONS);
    const messages = await messagesFor(client, { count: 1000, seed: `idem-${client.name}` });
    const first = messages.slice(0, 500);
    const second = messages.slice(500);
    expect((await client.produce(b.bootstrap, topic, first, { idempotent: true })).acked).toBe(500);
    expect((await client.produce(b.bootstrap, topic, second, { idempotent: true })).acked).toBe(500);
    const got = await readBack(client, b.bootstrap, topic, 1000);
    assertConsumed(messages, got, { partitions: PARTITIONS });

    const sessions = new Set<string>();
    for (let p = 0; p < PARTITIONS; p++) {
      const batches = await storedBatches(b.broker, topic, p);
      // Per producer session (id, epoch): sequences from 0, contiguous.
      const bySession = new Map<string, StoredBatch[]>();
      for (const batch of batches) {
        if (batch.producerId < 0n) throw new Error(`partition ${p}: batch at ${batch.baseOffset} has no producer id (not idempotent)`);
        const key = `${batch.producerId}/${batch.producerEpoch}`;
        bySession.set(key, [...(bySession.get(key) ?? []), batch]);
      }
      for (const [key, list] of bySession) {
        sessions.add(key);
        let next = 0;
        for (const batch of list) {
          if (batch.baseSequence !== next) throw new Error(`partition ${p}, producer ${key}: batch at offset ${batch.baseOffset} has sequence ${batch.baseSequence}, expected ${next}`);
          next += batch.recordCount;
        }
      }
    }
    if (sessions.size !== 2) throw new Error(`expected 2 producer sessions (id/epoch) in the log, found ${[...sessions].join(', ')}`);
    return `1,000 exactly once in order; producer sessions ${[...sessions].join(' and ')}, sequences from 0 without gaps`;
  }),
);
