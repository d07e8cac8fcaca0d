/**
 * Transactional offset commits through the coordinator: TxnOffsetCommit's group checks, pending
 * offsets invisible to OffsetFetch until the marker, requireStable, the ordering of transactional
 * and regular commits, restarts and snapshots in the middle of a transaction, epochs, verification,
 * expiry and deletion.
 */
import { describe, expect, it } from '@jest/globals';
import type { CommitPartition } from '../../../src/coordinator/offsets/offset-manager.js';
import { TxnMarkerError, type TransactionVerifier, type TxnOffsetCommitParams } from '../../../src/coordinator/offsets/txn-offset-manager.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { coordinatorPartitionFor } from '../../../src/util/java-string-hash.js';
import { fixturePerTest } from '../fixture-per-test.js';
import { commitPart, stableMember } from '../helpers.js';

const f = fixturePerTest();
const c = () => f.coordinator;

function txnCommit(producerId: bigint, partitions: CommitPartition[], extra: Partial<TxnOffsetCommitParams> = {}): Promise<number[]> {
  return c().txnOffsetCommit({ transactionalId: `txn-${producerId}`, groupId: 'g', producerId, producerEpoch: 0, generationId: -1, memberId: '', groupInstanceId: null, apiVersion: 3, partitions, ...extra });
}

function commit(partitions: CommitPartition[]): Promise<number[]> {
  return c().commitOffsets({ groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, apiVersion: 8, partitions });
}

/** What a consumer of the group sees for the partition: [offset, error code]. */
function fetched(topic: string, partition: number, requireStable = false, groupId = 'g'): [bigint, number] {
  const o = c().fetchOffsets(groupId, [{ topic, partition }], undefined, requireStable).offsets[0];
  return [o.offset, o.errorCode];
}

describe('TxnOffsetCommit', () => {
  it('offsets stay pending until COMMIT: fetches see the last committed offset, requireStable UNSTABLE_OFFSET_COMMIT', async () => {
    expect(await commit([commitPart('t', 0, 5)])).toEqual([0]);
    expect(await txnCommit(7n, [commitPart('t', 0, 10, { metadata: 'txn', leaderEpoch: 2 }), commitPart('t', 1, 20)])).toEqual([0, 0]);
    expect(fetched('t', 0)).toEqual([5n, 0]);
    expect(fetched('t', 1)).toEqual([-1n, 0]);
    expect(fetched('t', 0, true)).toEqual([-1n, ErrorCode.UnstableOffsetCommit]);
    expect(fetched('t', 1, true)).toEqual([-1n, ErrorCode.UnstableOffsetCommit]);
    expect(fetched('t', 2, true)).toEqual([-1n, 0]);
    // All partitions: only committed ones are listed, a pending one as unstable.
    expect(c().fetchOffsets('g', null, undefined, true).offsets.map((o) => [o.partition, o.offset, o.errorCode])).toEqual([[0, -1n, ErrorCode.UnstableOffsetCommit]]);

    await c().completeTxnOffsets(7n, 0, true);
    expect(fetched('t', 0, true)).toEqual([10n, 0]);
    expect(fetched('t', 1, true)).toEqual([20n, 0]);
    expect(c().fetchOffsets('g', [{ topic: 't', partition: 0 }]).offsets[0]).toMatchObject({ metadata: 'txn', leaderEpoch: 2 });
  });

  it('ABORT drops the pending offsets; the committed offset stays', async () => {
    await commit([commitPart('t', 0, 5)]);
    await txnCommit(7n, [commitPart('t', 0, 10)]);
    await c().completeTxnOffsets(7n, 0, false);
    expect(fetched('t', 0, true)).toEqual([5n, 0]);
    // A later marker of the same producer has nothing to apply.
    await c().completeTxnOffsets(7n, 0, true);
    expect(fetched('t', 0)).toEqual([5n, 0]);
  });

  it('the commit written last wins, as Kafka orders them by their offset in the log', async () => {
    // A regular commit written after the transactional one wins at COMMIT.
    await txnCommit(1n, [commitPart('t', 0, 10), commitPart('t', 1, 10)]);
    await commit([commitPart('t', 0, 50)]);
    await c().completeTxnOffsets(1n, 0, true);
    expect(fetched('t', 0)).toEqual([50n, 0]);
    expect(fetched('t', 1)).toEqual([10n, 0]);
    // Two producers on one partition: the one written later wins, whichever commits first.
    await txnCommit(2n, [commitPart('t', 2, 100)]);
    await txnCommit(3n, [commitPart('t', 2, 200)]);
    await c().completeTxnOffsets(3n, 0, true);
    await c().completeTxnOffsets(2n, 0, true);
    expect(fetched('t', 2)).toEqual([200n, 0]);
    await txnCommit(4n, [commitPart('t', 3, 300)]);
    await txnCommit(5n, [commitPart('t', 3, 400)]);
    await c().completeTxnOffsets(4n, 0, true);
    expect(fetched('t', 3, true)).toEqual([-1n, ErrorCode.UnstableOffsetCommit]);
    expect(fetched('t', 3)).toEqual([300n, 0]);
    await c().completeTxnOffsets(5n, 0, true);
    expect(fetched('t', 3)).toEqual([400n, 0]);
  });

  it('a restart in the middle keeps the pending offsets; the marker after it commits them; a restart after keeps the result', async () => {
    await commit([commitPart('t', 0, 5)]);
    await txnCommit(7n, [commitPart('t', 0, 10)], { producerEpoch: 3 });
    await txnCommit(8n, [commitPart('t', 1, 11)]);
    await f.restart();
    expect(fetched('t', 0)).toEqual([5n, 0]);
    expect(fetched('t', 0, true)).toEqual([-1n, ErrorCode.UnstableOffsetCommit]);
    expect(c().describeGroup('g').state).toBe('Empty');
    // The producer's epoch came back with its pending offsets.
    expect(await txnCommit(7n, [commitPart('t', 0, 12)], { producerEpoch: 2 })).toEqual([ErrorCode.InvalidProducerEpoch]);
    await c().completeTxnOffsets(7n, 3, true);
    await c().completeTxnOffsets(8n, 0, false);
    expect(fetched('t', 0, true)).toEqual([10n, 0]);
    expect(fetched('t', 1, true)).toEqual([-1n, 0]);
    await f.restart();
    expect(fetched('t', 0, true)).toEqual([10n, 0]);
    expect(fetched('t', 1, true)).toEqual([-1n, 0]);
  });

  it('a snapshot with pending offsets replays to the same decisions', async () => {
    await txnCommit(1n, [commitPart('t', 0, 10)]);
    await commit([commitPart('t', 0, 50)]); // supersedes producer 1's offset
    await txnCommit(2n, [commitPart('t', 0, 60), commitPart('t', 1, 61)]); // newer than the commit
    await txnCommit(3n, [commitPart('t', 2, 70)]);
    await c().snapshot();
    await f.restart();
    expect(fetched('t', 0)).toEqual([50n, 0]);
    expect(fetched('t', 0, true)).toEqual([-1n, ErrorCode.UnstableOffsetCommit]);
    await c().completeTxnOffsets(1n, 0, true);
    expect(fetched('t', 0)).toEqual([50n, 0]);
    await c().completeTxnOffsets(2n, 0, true);
    await c().completeTxnOffsets(3n, 0, false);
    expect([fetched('t', 0, true), fetched('t', 1, true), fetched('t', 2, true)]).toEqual([[60n, 0], [61n, 0], [-1n, 0]]);
    await c().snapshot();
    await f.restart();
    expect([fetched('t', 0, true), fetched('t', 1, true), fetched('t', 2, true)]).toEqual([[60n, 0], [61n, 0], [-1n, 0]]);
  });

  it('a simple group is created; with members, requests without member fields pass, member fields are checked', async () => {
    expect(await txnCommit(1n, [commitPart('t', 0, 1)], { groupId: 'fresh' })).toEqual([0]);
    expect(c().describeGroup('fresh').state).toBe('Empty');
    expect(await txnCommit(1n, [commitPart('t', 0, 1)], { groupId: 'gone', generationId: 4, memberId: 'm' })).toEqual([ErrorCode.IllegalGeneration]);
    expect(await txnCommit(1n, [commitPart('t', 0, 1)], { groupId: '' })).toEqual([ErrorCode.InvalidGroupId]);

    const r = await stableMember(f);
    const as = { generationId: r.generationId, memberId: r.memberId };
    // v0-v2 carry no member: accepted even though the group has members (unlike OffsetCommit).
    expect(await txnCommit(2n, [commitPart('t', 0, 5)], { apiVersion: 2 })).toEqual([0]);
    expect(await txnCommit(2n, [commitPart('t', 0, 6)], as)).toEqual([0]);
    expect(await txnCommit(2n, [commitPart('t', 0, 6)], { ...as, generationId: as.generationId + 1 })).toEqual([ErrorCode.IllegalGeneration]);
    expect(await txnCommit(2n, [commitPart('t', 0, 6)], { ...as, memberId: 'other' })).toEqual([ErrorCode.UnknownMemberId]);

    const s = await stableMember(f, { groupId: 'static', groupInstanceId: 'instance-1' });
    expect(await txnCommit(3n, [commitPart('t', 0, 6)], { groupId: 'static', generationId: s.generationId, memberId: s.memberId, groupInstanceId: 'instance-1' })).toEqual([0]);
    expect(await txnCommit(3n, [commitPart('t', 0, 6)], { groupId: 'static', generationId: s.generationId, memberId: 'zombie', groupInstanceId: 'instance-1' })).toEqual([ErrorCode.FencedInstanceId]);
  });

  it('metadata longer than offset.metadata.max.bytes is OFFSET_METADATA_TOO_LARGE for that partition only', async () => {
    f.config = { ...f.config, offsetMetadataMaxBytes: 3 };
    expect(await txnCommit(1n, [commitPart('t', 0, 1, { metadata: 'long' }), commitPart('t', 1, 2, { metadata: 'ok' })])).toEqual([ErrorCode.OffsetMetadataTooLarge, 0]);
    await c().completeTxnOffsets(1n, 0, true);
    expect([fetched('t', 0), fetched('t', 1)]).toEqual([[-1n, 0], [2n, 0]]);
  });

  it('an older producer epoch is refused for writes and markers while offsets are pending', async () => {
    await txnCommit(1n, [commitPart('t', 0, 1)], { producerEpoch: 5 });
    expect(await txnCommit(1n, [commitPart('t', 0, 2)], { producerEpoch: 4 })).toEqual([ErrorCode.InvalidProducerEpoch]);
    const stale = c().completeTxnOffsets(1n, 4, true);
    await expect(stale).rejects.toBeInstanceOf(TxnMarkerError);
    await expect(stale).rejects.toMatchObject({ errorCode: ErrorCode.InvalidProducerEpoch });
    expect(fetched('t', 0, true)).toEqual([-1n, ErrorCode.UnstableOffsetCommit]);
    // A fencing coordinator aborts with a bumped epoch.
    await c().completeTxnOffsets(1n, 6, false);
    expect(fetched('t', 0, true)).toEqual([-1n, 0]);
  });

  it('the verifier is asked about the group\'s __consumer_offsets partition; its error applies to every partition', async () => {
    const asked: Parameters<TransactionVerifier>[0][] = [];
    let answer: number = ErrorCode.InvalidTxnState;
    c().verifyTransaction = (p) => {
      asked.push(p);
      return Promise.resolve(answer);
    };
    expect(await txnCommit(9n, [commitPart('t', 0, 1), commitPart('t', 1, 1)], { transactionalId: 'app', producerEpoch: 2 })).toEqual([ErrorCode.InvalidTxnState, ErrorCode.InvalidTxnState]);
    expect(asked).toEqual([{ transactionalId: 'app', producerId: 9n, producerEpoch: 2, topic: '__consumer_offsets', partition: coordinatorPartitionFor('g', 50) }]);
    expect(fetched('t', 0, true)).toEqual([-1n, 0]);
    answer = ErrorCode.None;
    f.config = { ...f.config, offsetsTopicNumPartitions: 7 } as typeof f.config;
    expect(await txnCommit(9n, [commitPart('t', 0, 1)], { transactionalId: 'app' })).toEqual([0]);
    expect(asked[1].partition).toBe(coordinatorPartitionFor('g', 7));
    // transaction.partition.verification.enable=false: not asked.
    f.config = { ...f.config, transactionPartitionVerificationEnable: false } as typeof f.config;
    answer = ErrorCode.InvalidTxnState;
    expect(await txnCommit(9n, [commitPart('t', 1, 1)])).toEqual([0]);
    expect(asked).toHaveLength(2);
  });
});

describe('pending transactional offsets and expiry, OffsetDelete, DeleteGroups', () => {
  const retention = 24 * 3600 * 1000;

  it('an expired offset with pending transactional offsets is kept, and the group with it', async () => {
    f.config = { ...f.config, offsetsRetentionMs: retention };
    await commit([commitPart('t', 0, 5), commitPart('t', 1, 5)]);
    await txnCommit(1n, [commitPart('t', 0, 10)]);
    await txnCommit(2n, [commitPart('u', 0, 10)]);
    f.clock.advance(retention + 1);
    await c().cleanupExpiredOffsets();
    expect(fetched('t', 0)).toEqual([5n, 0]);
    expect(fetched('t', 1)).toEqual([-1n, 0]);
    await c().completeTxnOffsets(1n, 0, false);
    f.clock.advance(1);
    await c().cleanupExpiredOffsets();
    expect(fetched('t', 0)).toEqual([-1n, 0]);
    // Only producer 2's pending offset is left: the empty group stays.
    expect(c().describeGroup('g').state).toBe('Empty');
    await c().completeTxnOffsets(2n, 0, true);
    expect(fetched('u', 0)).toEqual([10n, 0]);
    f.clock.advance(retention + 1);
    await c().cleanupExpiredOffsets();
    expect(c().describeGroup('g').state).toBe('Dead');
  });

  it('OffsetDelete and DeleteGroups drop pending transactional offsets with the committed ones, durably', async () => {
    await commit([commitPart('t', 0, 5)]);
    await txnCommit(1n, [commitPart('t', 0, 10), commitPart('t', 1, 11)]);
    expect(await c().deleteOffsets('g', [{ topic: 't', partition: 1 }])).toEqual({ errorCode: 0, partitions: [0] });
    expect(fetched('t', 1, true)).toEqual([-1n, 0]);
    expect(fetched('t', 0, true)).toEqual([-1n, ErrorCode.UnstableOffsetCommit]);
    expect(await c().deleteGroups(['g'])).toEqual(new Map([['g', 0]]));
    await f.restart();
    await c().completeTxnOffsets(1n, 0, true);
    expect([fetched('t', 0, true), fetched('t', 1, true)]).toEqual([[-1n, 0], [-1n, 0]]);
  });

  it('a deleted topic takes its pending transactional offsets', async () => {
    f.topics.add('t', 2);
    await txnCommit(1n, [commitPart('t', 0, 10)]);
    f.topics.remove('t');
    await new Promise((resolve) => setImmediate(resolve));
    await c().completeTxnOffsets(1n, 0, true);
    expect(fetched('t', 0, true)).toEqual([-1n, 0]);
  });
});
