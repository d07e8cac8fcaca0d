/**
 * ProduceService driven directly (no socket): ordering of a partition's appends, storage failures,
 * producer-id expiry on the broker clock, topic deletion, snapshots on close, and the KIP-890
 * verification of a transaction's first batch.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Broker } from '../../src/broker.js';
import { ErrorCode } from '../../src/protocol/generated/errors.js';
import { defaultProduceRequest, type ProduceRequest } from '../../src/protocol/generated/messages/produce.js';
import { buildRecordBatch, type RecordBatchOptions } from '../../src/protocol/records/index.js';
import { ManualClock } from '../../src/util/clock.js';
import { ProduceService, type TransactionVerification } from '../../src/partition/produce-service.js';
import { tempDir } from '../storage/helpers.js';
import { createTopic } from '../server/fetch/fixture.js';

let broker: Broker | undefined;
afterEach(async () => {
  await broker?.stop();
  broker = undefined;
});

function request(topic: string, records: Buffer[], acks = -1): ProduceRequest {
  const r = defaultProduceRequest();
  r.acks = acks;
  r.timeoutMs = 1000;
  r.topicData = [{ name: topic, topicId: '', partitionData: records.map((b) => ({ index: 0, records: b, _unknownTaggedFields: undefined })), _unknownTaggedFields: undefined }];
  return r;
}

const idem = (pid: bigint, seq: number, n = 1, extra: RecordBatchOptions = {}): Buffer =>
  buildRecordBatch(
    Array.from({ length: n }, (_, i) => ({ value: `v${seq + i}` })),
    { producerId: pid, producerEpoch: 0, baseSequence: seq, ...extra },
  );

describe('ProduceService', () => {
  it('issues one partition appends in request order, also when some must be decoded first', async () => {
    broker = await Broker.start({ port: 0, storage: 'memory' });
    await createTopic(broker, 'mixed', 1, { 'compression.type': 'gzip' });
    const svc = broker.services.produce;
    // The first batch is gzip already (kept as is: synchronous), the others are recompressed (asynchronous).
    const calls = [
      svc.produce(request('mixed', [idem(1n, 0, 1, { compression: 1 })]), { apiVersion: 9, clientId: null }),
      svc.produce(request('mixed', [idem(1n, 1, 2)]), { apiVersion: 9, clientId: null }),
      svc.produce(request('mixed', [idem(1n, 3, 1, { compression: 1 })]), { apiVersion: 9, clientId: null }),
      svc.produce(request('mixed', [idem(1n, 4, 1)]), { apiVersion: 9, clientId: null }),
    ];
    const results = await Promise.all(calls);
    expect(results.map((r) => [r[0].partitionResponses[0].errorCode, r[0].partitionResponses[0].baseOffset])).toEqual([
      [0, 0n],
      [0, 1n],
      [0, 3n],
      [0, 4n],
    ]);
  });

  it('a failing log answers KAFKA_STORAGE_ERROR (v4+) or NOT_LEADER_OR_FOLLOWER (v0-3), and its batch is forgotten', async () => {
    broker = await Broker.start({ port: 0, storage: 'memory' });
    await createTopic(broker, 'broken', 1);
    const svc = broker.services.produce;
    expect((await svc.produce(request('broken', [idem(5n, 0)]), { apiVersion: 9, clientId: null }))[0].partitionResponses[0].errorCode).toBe(0);
    await broker.services.logs.get('broken', 0)!.close();
    const v9 = await svc.produce(request('broken', [idem(5n, 1)]), { apiVersion: 9, clientId: null });
    expect(v9[0].partitionResponses[0]).toMatchObject({ errorCode: ErrorCode.KafkaStorageError, baseOffset: -1n });
    const v3 = await svc.produce(request('broken', [idem(5n, 1)]), { apiVersion: 3, clientId: null });
    expect(v3[0].partitionResponses[0].errorCode).toBe(ErrorCode.NotLeaderOrFollower);
    const state = await svc.producerState('broken', 0);
    expect(state!.inFlight).toBe(0);
    expect(state!.lastEntry(5n)!.batches.map((b) => b.lastSeq)).toEqual([0]);
  });

  it('expires idle producer ids every producer.id.expiration.check.interval.ms on the broker clock', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    broker = await Broker.start({
      port: 0,
      storage: 'memory',
      clock,
      config: { 'producer.id.expiration.ms': 60_000, 'producer.id.expiration.check.interval.ms': 10_000 },
    });
    await createTopic(broker, 'exp', 1);
    const svc = broker.services.produce;
    const send = (seq: number): Promise<number> =>
      svc.produce(request('exp', [idem(9n, seq, 1, { now: clock.now() })]), { apiVersion: 9, clientId: null }).then((r) => r[0].partitionResponses[0].errorCode);
    expect(await send(0)).toBe(0);
    expect(await send(5)).toBe(ErrorCode.OutOfOrderSequenceNumber);
    await clock.advanceAsync(50_000);
    expect((await svc.producerState('exp', 0))!.lastEntry(9n)).toBeDefined();
    await clock.advanceAsync(20_000);
    expect((await svc.producerState('exp', 0))!.lastEntry(9n)).toBeUndefined();
    // Forgotten: any sequence is accepted again.
    expect(await send(5)).toBe(0);
  });

  it('forgets a deleted topic: the same name created again starts with no producer state', async () => {
    broker = await Broker.start({ port: 0, storage: 'memory' });
    await createTopic(broker, 'again', 1);
    const svc = broker.services.produce;
    await svc.produce(request('again', [idem(3n, 0, 2)]), { apiVersion: 9, clientId: null });
    expect((await broker.services.metadata.deleteTopic('again')).errorCode).toBe(0);
    await createTopic(broker, 'again', 1);
    const r = await svc.produce(request('again', [idem(3n, 0, 2)]), { apiVersion: 9, clientId: null });
    expect(r[0].partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(broker.services.logs.get('again', 0)!.logEndOffset).toBe(2n);
  });

  it('writes a producer snapshot into each partition folder it loaded, on stop', async () => {
    const d = await tempDir('gregor-produce-svc-');
    try {
      broker = await Broker.start({ port: 0, dataDir: d.path });
      await createTopic(broker, 'snap', 2);
      await broker.services.produce.produce(request('snap', [idem(1n, 0, 3)]), { apiVersion: 9, clientId: null });
      await broker.stop();
      broker = undefined;
      expect((await readdir(join(d.path, 'snap-0'))).filter((n) => n.endsWith('.snapshot'))).toEqual(['00000000000000000003.snapshot']);
      // Never produced to: not loaded, nothing written.
      expect((await readdir(join(d.path, 'snap-1'))).filter((n) => n.endsWith('.snapshot'))).toEqual([]);
    } finally {
      await d.remove();
    }
  });
});

describe('ProduceService: transaction verification (KIP-890 part 1)', () => {
  const txnBatch = (pid: bigint, seq: number): Buffer => idem(pid, seq, 1, { transactional: true });
  const txnRequest = (topic: string, records: Buffer[]): ProduceRequest => ({ ...request(topic, records), transactionalId: 'tx-1' });

  /** A broker with `topic` and a ProduceService whose coordinator answers verifications with `verify`. */
  async function serviceVerifiedBy(verify: (p: TransactionVerification) => Promise<number>, topic = 'verified', config: Record<string, string | number | boolean> = {}) {
    broker = await Broker.start({ port: 0, storage: 'memory', config });
    await createTopic(broker, topic, 1);
    const asked: TransactionVerification[] = [];
    const { metadata, partitions, clock, logger } = broker.services;
    const b = broker;
    const svc = new ProduceService({
      metadata,
      partitions,
      clock,
      logger,
      brokerConfig: () => b.services.brokerConfig,
      verifyTransaction: (p) => {
        asked.push(p);
        return verify(p);
      },
    });
    const send = (records: Buffer, apiVersion = 9): Promise<number> =>
      svc.produce(txnRequest(topic, [records]), { apiVersion, clientId: null }).then((r) => r[0].partitionResponses[0].errorCode);
    return { svc, asked, send, partitions };
  }

  const serviceWith = (answer: (p: TransactionVerification) => number, config: Record<string, string | number | boolean> = {}) =>
    serviceVerifiedBy((p) => Promise.resolve(answer(p)), 'verified', config);

  it('asks the coordinator for the first batch of a transaction only, with the request transactional id', async () => {
    const { asked, send } = await serviceWith(() => ErrorCode.None);
    expect(await send(txnBatch(7n, 0))).toBe(ErrorCode.None);
    expect(await send(txnBatch(7n, 1))).toBe(ErrorCode.None);
    expect(asked).toEqual([{ transactionalId: 'tx-1', producerId: 7n, producerEpoch: 0, topic: 'verified', partition: 0 }]);
    // Once the marker ends the transaction, the next one is verified again.
    expect(await broker!.services.partitions.writeTxnMarker('verified', 0, { producerId: 7n, producerEpoch: 0, committed: true, coordinatorEpoch: 0 })).toBe(0);
    expect(await send(txnBatch(7n, 2))).toBe(ErrorCode.None);
    expect(asked).toHaveLength(2);
  });

  it('a partition not in the transaction is INVALID_TXN_STATE (Produce v10-) or TRANSACTION_ABORTABLE (v11+), and nothing is appended', async () => {
    const { send } = await serviceWith(() => ErrorCode.InvalidTxnState);
    expect(await send(txnBatch(7n, 0), 10)).toBe(ErrorCode.InvalidTxnState);
    expect(await send(txnBatch(7n, 0), 11)).toBe(ErrorCode.TransactionAbortable);
    expect(broker!.services.logs.get('verified', 0)!.logEndOffset).toBe(0n);
  });

  it('a fenced producer is INVALID_PRODUCER_EPOCH', async () => {
    const { send } = await serviceWith(() => ErrorCode.ProducerFenced);
    expect(await send(txnBatch(7n, 0))).toBe(ErrorCode.InvalidProducerEpoch);
  });

  it("coordinator errors become NOT_ENOUGH_REPLICAS, which every client retries (Kafka's translation)", async () => {
    for (const code of [ErrorCode.NotCoordinator, ErrorCode.CoordinatorNotAvailable, ErrorCode.CoordinatorLoadInProgress, ErrorCode.ConcurrentTransactions]) {
      const { send, svc } = await serviceWith(() => code);
      expect(await send(txnBatch(7n, 0))).toBe(ErrorCode.NotEnoughReplicas);
      const r = await svc.produce(txnRequest('verified', [txnBatch(7n, 0)]), { apiVersion: 9, clientId: null });
      expect(r[0].partitionResponses[0].errorMessage).toMatch(/^Unable to verify the partition has been added to the transaction\. Underlying error: [A-Z_]+$/);
      await broker!.stop();
      broker = undefined;
    }
  });

  it('a marker issued while a verification ran makes its batch INVALID_TXN_STATE (the transaction it was verified for is over)', async () => {
    // The coordinator answers each producer when the test says so.
    const gates = new Map<bigint, () => void>();
    const { send: sendBatch, partitions } = await serviceVerifiedBy(
      (p) =>
        new Promise((resolve) =>
          gates.set(p.producerId, () => {
            resolve(ErrorCode.None);
          }),
        ),
      'guarded',
    );
    const send = (pid: bigint) => sendBatch(txnBatch(pid, 0));
    await partitions.get('guarded', 0)!.producerState();
    // Producer 1's batch holds the partition's queue while it is verified; the marker for producer 2 waits behind it...
    const first = send(1n);
    const markerWritten = partitions.writeTxnMarker('guarded', 0, { producerId: 2n, producerEpoch: 0, committed: false, coordinatorEpoch: 0 });
    // ...and producer 2's batch is verified meanwhile, for the transaction that marker ends.
    const late = send(2n);
    while (gates.size < 2) await new Promise((resolve) => setImmediate(resolve));
    gates.get(1n)!();
    expect(await first).toBe(ErrorCode.None);
    expect(await markerWritten).toBe(ErrorCode.None);
    gates.get(2n)!();
    expect(await late).toBe(ErrorCode.InvalidTxnState);
    expect(partitions.get('guarded', 0)!.logEndOffset).toBe(2n);
  });

  it('transaction.partition.verification.enable=false verifies nothing', async () => {
    const { asked, send } = await serviceWith(() => ErrorCode.InvalidTxnState, { 'transaction.partition.verification.enable': false });
    expect(await send(txnBatch(7n, 0))).toBe(ErrorCode.None);
    expect(asked).toEqual([]);
  });
});
