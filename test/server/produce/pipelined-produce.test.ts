/**
 * Bulk produce as bulk producers send it: large requests pipelined on one connection, so several
 * are in flight at once and each arrives in many socket reads (their frames are served from the
 * server's reusable frame buffers). Every record must be stored as sent, in both storages: a frame
 * buffer reused while its batch was still to be written or kept would show here as records
 * carrying another request's bytes.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Broker } from '../../../src/broker.js';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { defaultProduceRequest } from '../../../src/protocol/generated/messages/produce.js';
import { buildRecordBatch, RecordBatchView, splitBatches } from '../../../src/protocol/records/index.js';
import { WireClient } from '../../helpers/wire-client.js';
import { tempDir } from '../../storage/helpers.js';
import { createTopic } from '../fetch/fixture.js';

let broker: Broker | undefined;
let client: WireClient | undefined;
let removeDir: (() => Promise<void>) | undefined;

afterEach(async () => {
  client?.close();
  await broker?.stop();
  await removeDir?.();
  broker = client = removeDir = undefined;
});

const REQUESTS = 12;
const RECORDS = 40;
const VALUE_BYTES = 5000;

/** Record r of request q: its own bytes, so any mix-up between requests shows. */
function value(q: number, r: number): string {
  return `${q}/${r}:`.padEnd(VALUE_BYTES, String.fromCharCode(97 + ((q * 7 + r) % 26)));
}

async function produceAndReadBack(b: Broker): Promise<void> {
  const topic = 'bulk';
  await createTopic(b, topic, 2);
  client = await WireClient.connect(b.port);
  const sent = Array.from({ length: REQUESTS }, (_, q) => {
    const r = defaultProduceRequest();
    r.acks = -1;
    r.timeoutMs = 30_000;
    const partitionData = [0, 1].map((partition) => ({
      index: partition,
      records: buildRecordBatch(Array.from({ length: RECORDS / 2 }, (_, i) => ({ value: value(q, partition * (RECORDS / 2) + i) }))),
      _unknownTaggedFields: undefined,
    }));
    r.topicData = [{ name: topic, topicId: '00000000-0000-0000-0000-000000000000', partitionData, _unknownTaggedFields: undefined }];
    // Not awaited one by one: all are written to the socket at once.
    return client!.send(ApiKey.Produce, 9, r);
  });
  for (const response of await Promise.all(sent)) {
    for (const p of response.responses[0].partitionResponses) expect(p.errorCode).toBe(ErrorCode.None);
  }
  for (const partition of [0, 1]) {
    const log = b.services.logs.get(topic, partition)!;
    const read = await log.read(0n, { maxBytes: 64 << 20 });
    const values = read.records.flatMap((buf) =>
      splitBatches(buf).flatMap((e) => {
        const v = new RecordBatchView(buf, e.start, e.end);
        expect(v.verifyCrc()).toBe(true);
        return v.readRecords().map((rec) => rec.value!.toString());
      }),
    );
    const expected = Array.from({ length: REQUESTS }, (_, q) => Array.from({ length: RECORDS / 2 }, (_, i) => value(q, partition * (RECORDS / 2) + i))).flat();
    expect(values).toHaveLength(expected.length);
    // Compared one by one, so a failure names the first record that differs rather than printing megabytes.
    const firstWrong = values.findIndex((v, i) => v !== expected[i]);
    expect(firstWrong === -1 ? null : values[firstWrong].slice(0, 20)).toBeNull();
  }
}

describe('pipelined produce of large requests', () => {
  it('stores every record as sent, with disk storage', async () => {
    const dir = await tempDir('gregor-pipelined-produce-');
    removeDir = dir.remove;
    broker = await Broker.start({ port: 0, dataDir: dir.path });
    await produceAndReadBack(broker);
  });

  it('stores every record as sent, with memory storage', async () => {
    broker = await Broker.start({ port: 0, storage: 'memory' });
    await produceAndReadBack(broker);
  });
});
