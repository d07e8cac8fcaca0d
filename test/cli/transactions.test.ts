/**
 * `gregor transactions` in-process against an in-process broker, with a real transaction left open
 * by KafkaJS's transactional producer: list and describe see it Ongoing on its partition,
 * describe-producers shows its open transaction's start offset, find-hanging finds nothing (its
 * coordinator still lists the partition), and abort by start offset ends it in the partition, so a
 * read_committed reader's last stable offset moves past it. Then a hanging transaction (a
 * transactional batch no coordinator knows of, written with verification off): find-hanging
 * reports it and abort with --producer-id/--producer-epoch/--coordinator-epoch ends it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Producer as KafkaJsProducer, Transaction } from 'kafkajs';
import type { Broker } from '../../src/broker.js';
import { runTransactions } from '../../src/cli/transactions.js';
import { Admin, OffsetSpec } from '../../src/client/admin.js';
import { ApiKey } from '../../src/protocol/generated/api-table.js';
import { defaultProduceRequest } from '../../src/protocol/generated/messages/produce.js';
import { buildRecordBatch } from '../../src/protocol/records/batch-builder.js';
import { kafkaFor, startBroker } from '../helpers/kafka.js';
import { runTool } from './in-process.js';

const TOPIC = 'payments';
const TXN_ID = 'cli-open-txn';

let broker: Broker;
let producer: KafkaJsProducer;
let txn: Transaction;
let bs: string[];
let hangingBroker: Broker | undefined;

beforeAll(async () => {
  broker = await startBroker();
  bs = ['--bootstrap-server', broker.bootstrap];
  const admin = new Admin({ bootstrapServers: broker.bootstrap });
  await admin.createTopics([{ name: TOPIC, numPartitions: 2 }]);
  await admin.close();
  producer = kafkaFor(broker).producer({ transactionalId: TXN_ID, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  txn = await producer.transaction();
  await txn.send({ topic: TOPIC, messages: [{ partition: 0, value: 'a' }, { partition: 0, value: 'b' }] });
}, 60_000);

afterAll(async () => {
  await txn.abort().catch(() => undefined);
  await producer.disconnect();
  await broker.stop();
  await hangingBroker?.stop();
});

const run = (...argv: string[]) => runTool((a) => runTransactions(a), [...bs, ...argv]);
/** The tool run a minute from now, so that open transactions are idle past --max-transaction-timeout 0. */
const aMinuteLater = (argv: string[]) => runTool((a) => runTransactions(a, undefined, { now: () => Date.now() + 60_000 }), argv);

/** The last stable offset of a partition (ListOffsets read_committed, latest). */
async function lastStableOffset(admin: Admin, partition = 0): Promise<bigint> {
  const r = (await admin.listOffsets([{ topic: TOPIC, partition, timestamp: OffsetSpec.LATEST }], { isolationLevel: 1 })).get(`${TOPIC}:${partition}`);
  if (!r?.ok) throw new Error('ListOffsets failed');
  return r.value.offset;
}

/** A table's rows as trimmed cells, header first. */
const table = (out: string) => out.trimEnd().split('\n').map((l) => l.split('\t').map((c) => c.trim()).filter((c, i, all) => i < all.length - 1 || c !== ''));

describe('gregor transactions against an open transaction', () => {
  let producerId = '';

  it('list shows it Ongoing on this broker', async () => {
    const r = await run('list');
    expect(r.code).toBe(0);
    const [header, ...rows] = table(r.stdout);
    expect(header).toEqual(['TransactionalId', 'Coordinator', 'ProducerId', 'TransactionState']);
    const row = rows.find((x) => x[0] === TXN_ID);
    expect(row).toBeDefined();
    expect(row?.[1]).toBe(String(broker.services.nodeId));
    expect(row?.[3]).toBe('Ongoing');
    producerId = row?.[2] ?? '';
    expect(producerId).toMatch(/^\d+$/);
  });

  it('describe shows its producer, state and partition', async () => {
    const r = await run('describe', '--transactional-id', TXN_ID);
    expect(r.code).toBe(0);
    const [header, row] = table(r.stdout);
    expect(header[0]).toBe('CoordinatorId');
    expect(row[1]).toBe(TXN_ID);
    expect(row[2]).toBe(producerId);
    expect(row[4]).toBe('Ongoing');
    expect(Number(row[7])).toBeGreaterThanOrEqual(0);
    expect(row[8]).toBe(`${TOPIC}-0`);
    const unknown = await run('describe', '--transactional-id', 'nobody');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^Failed to describe transaction state of transactional-id `nobody`: TRANSACTIONAL_ID_NOT_FOUND/);
  });

  it('describe-producers shows the open transaction starting at offset 0', async () => {
    const r = await run('describe-producers', '--topic', TOPIC, '--partition', '0');
    expect(r.code).toBe(0);
    const [header, ...rows] = table(r.stdout);
    expect(header).toEqual(['ProducerId', 'ProducerEpoch', 'LatestCoordinatorEpoch', 'LastSequence', 'LastTimestamp', 'CurrentTransactionStartOffset']);
    expect(rows).toHaveLength(1);
    expect(rows[0][0]).toBe(producerId);
    expect(rows[0][3]).toBe('1');
    expect(rows[0][5]).toBe('0');
  });

  it('find-hanging finds nothing: the coordinator still lists the partition', async () => {
    const r = await aMinuteLater([...bs, 'find-hanging', '--topic', TOPIC, '--max-transaction-timeout', '0']);
    expect(r.code).toBe(0);
    expect(table(r.stdout)).toEqual([['Topic', 'Partition', 'ProducerId', 'ProducerEpoch', 'CoordinatorEpoch', 'StartOffset', 'LastTimestamp', 'Duration(min)']]);
  });

  it('abort --start-offset writes the ABORT marker: no open transaction is left and the last stable offset moves on', async () => {
    const admin = new Admin({ bootstrapServers: broker.bootstrap });
    try {
      const lso = () => lastStableOffset(admin);
      expect(await lso()).toBe(0n);
      const r = await run('abort', '--topic', TOPIC, '--partition', '0', '--start-offset', '0');
      expect(r).toMatchObject({ code: 0, stdout: '' });
      const after = table((await run('describe-producers', '--topic', TOPIC, '--partition', '0')).stdout);
      expect(after[1][5]).toBe('None');
      // The two records and the marker: everything is stable now.
      expect(await lso()).toBe(3n);
      const again = await run('abort', '--topic', TOPIC, '--partition', '0', '--start-offset', '0');
      expect(again.code).toBe(1);
      expect(again.stderr).toBe(`Could not find any open transactions starting at offset 0 on partition ${TOPIC}-0\n`);
    } finally {
      await admin.close();
    }
  });
});

describe('gregor transactions against a hanging transaction', () => {
  it('find-hanging reports a transaction no coordinator knows of; abort with the producer ends it', async () => {
    // Without verification the partition takes a transactional batch its coordinator never saw:
    // what a coordinator that lost its state, or a producer that skipped AddPartitionsToTxn, leaves.
    hangingBroker = await startBroker({ config: { 'transaction.partition.verification.enable': false } });
    const admin = new Admin({ bootstrapServers: hangingBroker.bootstrap });
    try {
      await admin.createTopics([{ name: TOPIC, numPartitions: 1 }]);
      const conn = await admin.client.nodeConnection(hangingBroker.services.nodeId);
      const init = await conn.request(ApiKey.InitProducerId, () => ({ transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1, enable2Pc: false, keepPreparedTxn: false, _unknownTaggedFields: undefined }));
      const { producerId, producerEpoch } = init.body;
      const produce = defaultProduceRequest();
      produce.transactionalId = 'lost-txn';
      produce.acks = -1;
      produce.timeoutMs = 30_000;
      produce.topicData = [
        {
          name: TOPIC,
          topicId: '00000000-0000-0000-0000-000000000000',
          partitionData: [{ index: 0, records: buildRecordBatch([{ value: 'x' }, { value: 'y' }], { producerId, producerEpoch, baseSequence: 0, transactional: true }), _unknownTaggedFields: undefined }],
          _unknownTaggedFields: undefined,
        },
      ];
      const written = await conn.request(ApiKey.Produce, () => produce);
      expect(written.body.responses[0].partitionResponses[0].errorCode).toBe(0);
      expect(await lastStableOffset(admin)).toBe(0n);

      const hb = ['--bootstrap-server', hangingBroker.bootstrap];
      const found = await aMinuteLater([...hb, 'find-hanging', '--broker-id', String(hangingBroker.services.nodeId), '--max-transaction-timeout', '0']);
      expect(found.code).toBe(0);
      const [header, ...rows] = table(found.stdout);
      expect(header).toEqual(['Topic', 'Partition', 'ProducerId', 'ProducerEpoch', 'CoordinatorEpoch', 'StartOffset', 'LastTimestamp', 'Duration(min)']);
      expect(rows.map((r) => [...r.slice(0, 6), r[7]])).toEqual([[TOPIC, '0', String(producerId), String(producerEpoch), '-1', '0', '1']]);

      const aborted = await runTool((a) => runTransactions(a), [
        ...hb, 'abort', '--topic', TOPIC, '--partition', '0', '--producer-id', String(producerId), '--producer-epoch', String(producerEpoch), '--coordinator-epoch', '-1',
      ]);
      expect(aborted).toMatchObject({ code: 0, stdout: '' });
      expect(await lastStableOffset(admin)).toBe(3n);
      const after = await aMinuteLater([...hb, 'find-hanging', '--topic', TOPIC, '--max-transaction-timeout', '0']);
      expect(table(after.stdout)).toHaveLength(1);
    } finally {
      await admin.close();
    }
  });
});
