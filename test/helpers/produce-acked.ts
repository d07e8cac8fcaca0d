/**
 * One batch written through the Produce API (v9) as a client with acks=all writes it, for tests
 * that drive the broker over the wire without a client library.
 */
import { ApiKey } from '../../src/protocol/generated/api-table.js';
import { defaultProduceRequest } from '../../src/protocol/generated/messages/produce.js';
import type { WireClient } from './wire-client.js';

/** Appends `records` (a record batch) to partition 0 of `topic`; rejects when the partition answers an error. */
export async function produceAcked(client: WireClient, topic: string, records: Buffer): Promise<void> {
  const r = defaultProduceRequest();
  r.acks = -1;
  r.timeoutMs = 30_000;
  r.topicData = [{ name: topic, topicId: '00000000-0000-0000-0000-000000000000', partitionData: [{ index: 0, records, _unknownTaggedFields: undefined }], _unknownTaggedFields: undefined }];
  const response = await client.send(ApiKey.Produce, 9, r);
  const code = response.responses[0].partitionResponses[0].errorCode;
  if (code !== 0) throw new Error(`Produce to ${topic} answered error code ${code}`);
}
