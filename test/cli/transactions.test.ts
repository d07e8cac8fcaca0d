/**
 * `gregor transactions` in-process against an in-process broker, with a real transaction left open
 * by KafkaJS's transactional producer: list and describe see it Ongoing on its partition,
 * describe-producers shows its open transaction's start offset, find-hanging finds nothing (its
 * coordinator still lists the partition), and abort by start offset ends it in the partition, so a
 * read_committed reader's last stable offset moves past it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Producer as KafkaJsProducer, Transaction } from 'kafkajs';
import type { Broker } from '../../src/broker.js';
import { runTransactions } from '../../src/cli/transactions.js';
import { Admin, OffsetSpec } from '../../src/client/admin.js';
import { kafkaFor, startBroker } from '../helpers/kafka.js';
import { runTool } from './in-process.js';

const TOPIC = 'payments';
const TXN_ID = 'cli-open-txn';

let broker: Broker;
let producer: KafkaJsProducer;
let txn: Transaction;
let bs: string[];

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
});

const run = (...argv: string[]) => runTool((a) => runTransactions(a), [...bs, ...argv]);

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
    const r = await run('find-hanging', '--topic', TOPIC, '--max-transaction-timeout', '0');
    expect(r.code).toBe(0);
    expect(table(r.stdout)).toEqual([['Topic', 'Partition', 'ProducerId', 'ProducerEpoch', 'CoordinatorEpoch', 'StartOffset', 'LastTimestamp', 'Duration(min)']]);
  });

  it('abort --start-offset writes the ABORT marker: no open transaction is left and the last stable offset moves on', async () => {
    const admin = new Admin({ bootstrapServers: broker.bootstrap });
    try {
      const lso = async () => {
        const r = (await admin.listOffsets([{ topic: TOPIC, partition: 0, timestamp: OffsetSpec.LATEST }], { isolationLevel: 1 })).get(`${TOPIC}:0`);
        if (!r?.ok) throw new Error('ListOffsets failed');
        return r.value.offset;
      };
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
