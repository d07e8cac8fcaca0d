/**
 * Codec costs that matter on the hot paths:
 * - decoding a 1 MiB Produce request (v9, 64 partitions of one 16 KiB batch) against a memcpy of
 *   the same bytes: batches must be sliced, not copied;
 * - encoding a Fetch response around 1 MiB of stored batches: the batch bytes must reach the
 *   socket as the caller's own buffers.
 */
import { randomBytes } from 'node:crypto';
import { decodeRequest, encodeRequest, encodeResponseChunks } from '../../dist/protocol/codec.js';
import { ApiKey } from '../../dist/protocol/generated/api-table.js';
import { defaultFetchResponse, defaultFetchResponseFetchableTopicResponse, defaultFetchResponsePartitionData } from '../../dist/protocol/generated/messages/fetch.js';
import { defaultProduceRequest } from '../../dist/protocol/generated/messages/produce.js';
import { measure, pct, report } from './harness.js';

export function run(): void {
  const batch = 16 * 1024;
  const partitions = 64;
  const produce = defaultProduceRequest();
  produce.acks = -1;
  produce.timeoutMs = 30000;
  produce.topicData = [
    {
      name: 'bench-topic',
      topicId: '00000000-0000-0000-0000-000000000000',
      partitionData: Array.from({ length: partitions }, (_, i) => ({ index: i, records: randomBytes(batch), _unknownTaggedFields: undefined })),
      _unknownTaggedFields: undefined,
    },
  ];
  const frame = encodeRequest({ apiKey: ApiKey.Produce, apiVersion: 9, correlationId: 1, clientId: 'bench' }, produce).subarray(4);
  const copyTarget = Buffer.allocUnsafe(frame.length);
  const memcpy = measure('memcpy', () => frame.copy(copyTarget));
  const copyOut = measure('copy into new memory', () => Buffer.from(frame));
  const decode = measure('decode', () => decodeRequest(frame));
  const decoded = decodeRequest(frame).body as typeof produce;
  const sliced = decoded.topicData[0].partitionData.every((p) => p.records!.buffer === frame.buffer);

  // The same megabyte as 64 batches in one partition: the codec's cost without per-partition objects.
  const one = defaultProduceRequest();
  one.acks = -1;
  one.topicData = [{ ...produce.topicData[0], partitionData: [{ index: 0, records: Buffer.concat(produce.topicData[0].partitionData.map((p) => p.records!)), _unknownTaggedFields: undefined }] }];
  const oneFrame = encodeRequest({ apiKey: ApiKey.Produce, apiVersion: 9, correlationId: 1, clientId: 'bench' }, one).subarray(4);
  const decodeOne = measure('decode one partition', () => decodeRequest(oneFrame));
  report(`Produce v9 request decode, 1 MiB of 16 KiB batches in one partition`, [
    ['decodeRequest', `${(decodeOne.nsPerOp / 1000).toFixed(2)} us`],
    ['decode / warm memcpy', pct(decodeOne.nsPerOp / memcpy.nsPerOp)],
  ]);

  report(`Produce v9 request decode, ${(frame.length / 1048576).toFixed(2)} MiB, ${partitions} x 16 KiB batches`, [
    ['memcpy of the frame into a warm buffer', `${(memcpy.nsPerOp / 1000).toFixed(1)} us`],
    ['copy of the frame into new memory (Buffer.from)', `${(copyOut.nsPerOp / 1000).toFixed(1)} us`],
    ['decodeRequest', `${(decode.nsPerOp / 1000).toFixed(1)} us (${(decode.nsPerOp / partitions).toFixed(0)} ns a partition)`],
    ['decode / warm memcpy', `${pct(decode.nsPerOp / memcpy.nsPerOp)} (target < 5%)`],
    ['decode / copy into new memory', pct(decode.nsPerOp / copyOut.nsPerOp)],
    ['batches are slices of the frame', String(sliced)],
  ]);

  const stored = Array.from({ length: partitions }, () => randomBytes(batch));
  const fetch = defaultFetchResponse();
  const topic = defaultFetchResponseFetchableTopicResponse();
  topic.topic = 'bench-topic';
  topic.partitions = stored.map((records, i) => {
    const p = defaultFetchResponsePartitionData();
    p.partitionIndex = i;
    p.highWatermark = 1000n;
    p.records = records;
    return p;
  });
  fetch.responses = [topic];
  const encode = measure('encode', () => encodeResponseChunks({ correlationId: 1 }, ApiKey.Fetch, 12, fetch));
  const chunks = encodeResponseChunks({ correlationId: 1 }, ApiKey.Fetch, 12, fetch);
  const referenced = stored.filter((b) => chunks.includes(b as Buffer)).length;
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const copiedBytes = chunks.filter((c) => !stored.includes(c as never)).reduce((n, c) => n + c.length, 0);
  const memcpyFetch = measure('memcpy', () => Buffer.concat(stored));
  report(`Fetch v12 response encode around ${partitions} x 16 KiB stored batches`, [
    ['encodeResponseChunks', `${(encode.nsPerOp / 1000).toFixed(1)} us`],
    ['memcpy of the batches (Buffer.concat)', `${(memcpyFetch.nsPerOp / 1000).toFixed(1)} us`],
    ['stored batches passed by reference', `${referenced} of ${stored.length}`],
    ['bytes written by the encoder (headers, lengths)', `${copiedBytes} of ${total}`],
  ]);
}
