/**
 * Shared setup for the transaction handlers' tests: a memory broker driven through its dispatcher,
 * topic "t" with 3 partitions, and a transactional producer initialized at a chosen version.
 */
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { defaultInitProducerIdRequest } from '../../../src/protocol/generated/messages/init-producer-id.js';
import type { BrokerServices } from '../../../src/server/services.js';
import { createTopic } from '../fetch/fixture.js';
import { startHarness, type AdminHarness } from './admin-harness.js';

export async function startTxnHarness(services: Partial<BrokerServices> = {}): Promise<AdminHarness> {
  const h = await startHarness({ storage: 'memory', config: { 'auto.create.topics.enable': false } }, services);
  await createTopic(h.broker, 't', 3);
  return h;
}

export interface Producer {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
}

/** InitProducerId for a transactional id; throws unless it succeeds. */
export async function initTxn(h: AdminHarness, transactionalId: string, version = 4): Promise<Producer> {
  const r = await h.call(ApiKey.InitProducerId, version, { ...defaultInitProducerIdRequest(), transactionalId, transactionTimeoutMs: 60_000 });
  if (r.errorCode !== 0) throw new Error(`InitProducerId ${transactionalId}: ${r.errorCode}`);
  return { transactionalId, producerId: r.producerId, producerEpoch: r.producerEpoch };
}

/** AddPartitionsToTxn v3 for topic "t"; resolves the error codes by partition. */
export async function addPartitions(h: AdminHarness, p: Producer, partitions: number[], version = 3, topic = 't'): Promise<number[]> {
  const r = await h.call(ApiKey.AddPartitionsToTxn, version, {
    transactions: [],
    v3AndBelowTransactionalId: p.transactionalId,
    v3AndBelowProducerId: p.producerId,
    v3AndBelowProducerEpoch: p.producerEpoch,
    v3AndBelowTopics: [{ name: topic, partitions, _unknownTaggedFields: undefined }],
    _unknownTaggedFields: undefined,
  });
  return r.resultsByTopicV3AndBelow.flatMap((t) => t.resultsByPartition.map((x) => x.partitionErrorCode));
}
