/**
 * The marker router: data partitions to the partition layer, __consumer_offsets partitions to the
 * group coordinator (once per marker), failures turned into error codes, never a rejection.
 */
import { describe, expect, it } from '@jest/globals';
import { TxnMarkerError } from '../../src/coordinator/offsets/txn-offset-manager.js';
import { ErrorCode } from '../../src/protocol/generated/errors.js';
import { TxnMarkerRouter, type PartitionMarker } from '../../src/server/txn-marker-router.js';
import { txnVerifier } from '../../src/server/txn-verifier.js';
import { silentLogger } from '../../src/util/logger.js';

const marker = (partitions: { topic: string; partition: number }[], committed = true) => ({ producerId: 9n, producerEpoch: 4, committed, coordinatorEpoch: 0, transactionVersion: 0, partitions });

describe('TxnMarkerRouter', () => {
  it('writes data partitions through the partition layer and completes offsets once per marker', async () => {
    const partitionCalls: [string, number, PartitionMarker][] = [];
    const groupCalls: [bigint, number, boolean][] = [];
    const router = new TxnMarkerRouter({
      writePartitionMarker: (topic, partition, m) => {
        partitionCalls.push([topic, partition, m]);
        return Promise.resolve(partition === 1 ? ErrorCode.NotLeaderOrFollower : ErrorCode.None);
      },
      completeGroupOffsets: (id, epoch, committed) => {
        groupCalls.push([id, epoch, committed]);
        return Promise.resolve();
      },
      logger: silentLogger,
    });
    const results = await router.writeMarkers(marker([{ topic: 't', partition: 0 }, { topic: '__consumer_offsets', partition: 3 }, { topic: 't', partition: 1 }, { topic: '__consumer_offsets', partition: 17 }], false));
    expect(results).toEqual([
      { topic: 't', partition: 0, errorCode: ErrorCode.None },
      { topic: '__consumer_offsets', partition: 3, errorCode: ErrorCode.None },
      { topic: 't', partition: 1, errorCode: ErrorCode.NotLeaderOrFollower },
      { topic: '__consumer_offsets', partition: 17, errorCode: ErrorCode.None },
    ]);
    expect(partitionCalls).toEqual([
      ['t', 0, { producerId: 9n, producerEpoch: 4, committed: false, coordinatorEpoch: 0 }],
      ['t', 1, { producerId: 9n, producerEpoch: 4, committed: false, coordinatorEpoch: 0 }],
    ]);
    expect(groupCalls).toEqual([[9n, 4, false]]);
  });

  it('a function that throws is answered UNKNOWN_SERVER_ERROR (retried by the coordinator)', async () => {
    const router = new TxnMarkerRouter({
      writePartitionMarker: () => Promise.reject(new Error('disk gone')),
      completeGroupOffsets: () => Promise.reject(new Error('group log gone')),
      logger: silentLogger,
    });
    expect(await router.writeMarkers(marker([{ topic: 't', partition: 0 }, { topic: '__consumer_offsets', partition: 0 }]))).toEqual([
      { topic: 't', partition: 0, errorCode: ErrorCode.UnknownServerError },
      { topic: '__consumer_offsets', partition: 0, errorCode: ErrorCode.UnknownServerError },
    ]);
  });

  it("a group coordinator's refusal keeps its Kafka error code", async () => {
    const router = new TxnMarkerRouter({
      writePartitionMarker: () => Promise.resolve(ErrorCode.None),
      completeGroupOffsets: () => Promise.reject(new TxnMarkerError('older epoch', ErrorCode.InvalidProducerEpoch)),
      logger: silentLogger,
    });
    expect(await router.writeMarkers(marker([{ topic: '__consumer_offsets', partition: 2 }]))).toEqual([
      { topic: '__consumer_offsets', partition: 2, errorCode: ErrorCode.InvalidProducerEpoch },
    ]);
  });
});

describe('txnVerifier', () => {
  it("answers the produce path with the coordinator's verification", async () => {
    const asked: unknown[] = [];
    const verify = txnVerifier({
      verifyPartitionInTransaction: (p) => {
        asked.push(p);
        return p.partition === 0 ? ErrorCode.None : ErrorCode.InvalidTxnState;
      },
    });
    const p = { transactionalId: 'tx', producerId: 1n, producerEpoch: 0, topic: 't', partition: 0 };
    expect(await verify(p)).toBe(ErrorCode.None);
    expect(await verify({ ...p, partition: 1 })).toBe(ErrorCode.InvalidTxnState);
    expect(asked).toEqual([p, { ...p, partition: 1 }]);
  });
});
