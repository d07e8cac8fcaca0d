/**
 * The replica state machine of a Partition in a cluster, driven on a manual clock: brokers of one
 * process (replica-harness.ts) take partition states from a small compare-and-swap store, the
 * leader records follower fetches, and followers append what they read from it. What is asserted
 * is what clients see: high watermarks (what consumers may read), ISRs as the store holds them,
 * produce answers and the records in each replica's log.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { PartitionState } from '../../src/metadata/partition-state.js';
import { ErrorCode } from '../../src/protocol/generated/errors.js';
import { RecordBatchView, splitBatches } from '../../src/protocol/records/index.js';
import { ManualClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, LogOffsetService, MAX_TIMESTAMP } from '../../src/partition/log-offsets.js';
import { isSettled, valuesOf } from '../server/fetch/fixture.js';
import { tempDir } from '../storage/helpers.js';
import { batch, createTopic, FakeClusterStore, partitionOf, produce, replicate, startNode, stopNode, type Node } from './replica-harness.js';

const LAG_MS = 10_000;
let nodes: Node[] = [];

afterEach(async () => {
  for (const n of nodes) await stopNode(n);
  nodes = [];
});

interface Cluster {
  clock: ManualClock;
  store: FakeClusterStore;
  brokers: Map<number, Node>;
  node: (id: number) => Node;
  /** Writes a state to the store and applies it on every broker (the controller and the watches). */
  publish: (state: Omit<PartitionState, 'version'>) => Promise<PartitionState>;
}

async function cluster(ids: number[], topicConfigs: Record<string, string> = {}): Promise<Cluster> {
  const clock = new ManualClock(1_700_000_000_000);
  const store = new FakeClusterStore();
  const brokers = new Map<number, Node>();
  for (const id of ids) {
    const n = await startNode(id, clock, store, { 'replica.lag.time.max.ms': LAG_MS });
    nodes.push(n);
    await createTopic(n, 't', topicConfigs);
    brokers.set(id, n);
  }
  const node = (id: number): Node => {
    const n = brokers.get(id);
    if (!n) throw new Error(`no broker ${id}`);
    return n;
  };
  const publish = async (state: Omit<PartitionState, 'version'>): Promise<PartitionState> => {
    const written = store.set('t', 0, state);
    for (const n of brokers.values()) await n.partitions.applyPartitionState('t', 0, written);
    return written;
  };
  return { clock, store, brokers, node, publish };
}

/** Values in a replica's log from offset 0. */
async function logValues(n: Node): Promise<string[]> {
  const p = partitionOf(n, 't');
  const r = await p.log.read(p.logStartOffset, { maxBytes: 1 << 20 });
  return valuesOf(Buffer.concat(r.records));
}

/** partitionLeaderEpoch of every batch in a replica's log. */
async function batchEpochs(n: Node): Promise<number[]> {
  const p = partitionOf(n, 't');
  const buf = Buffer.concat((await p.log.read(p.logStartOffset, { maxBytes: 1 << 20 })).records);
  return splitBatches(buf).map((e) => new RecordBatchView(buf, e.start, e.end).partitionLeaderEpoch);
}

describe('leader high watermark and ISR', () => {
  it('moves the high watermark to what the slowest ISR member has', async () => {
    const c = await cluster([1, 2, 3]);
    await c.publish({ leader: 1, leaderEpoch: 1, isr: [1, 2, 3], replicas: [1, 2, 3] });
    const leader = partitionOf(c.node(1), 't');
    expect((await produce(c.node(1), 't', batch(['a', 'b', 'c']), 1)).errorCode).toBe(ErrorCode.None);
    expect(leader.logEndOffset).toBe(3n);
    // Nothing is committed until every ISR member has it.
    expect(leader.highWatermark).toBe(0n);
    await replicate(c.node(1), c.node(2), 't');
    await replicate(c.node(1), c.node(2), 't');
    expect(partitionOf(c.node(2), 't').logEndOffset).toBe(3n);
    expect(leader.highWatermark).toBe(0n);
    await replicate(c.node(1), c.node(3), 't');
    expect(leader.highWatermark).toBe(0n);
    await replicate(c.node(1), c.node(3), 't');
    expect(leader.highWatermark).toBe(3n);
    // The followers learn the high watermark with their next fetch.
    await replicate(c.node(1), c.node(2), 't');
    expect(partitionOf(c.node(2), 't').highWatermark).toBe(3n);
    expect(await logValues(c.node(2))).toEqual(['a', 'b', 'c']);
    expect(await logValues(c.node(3))).toEqual(['a', 'b', 'c']);
  });

  it('drops a follower that has not caught up for replica.lag.time.max.ms, then moves the high watermark', async () => {
    const c = await cluster([1, 2, 3]);
    await c.publish({ leader: 1, leaderEpoch: 1, isr: [1, 2, 3], replicas: [1, 2, 3] });
    const leader = partitionOf(c.node(1), 't');
    await produce(c.node(1), 't', batch(['a', 'b']), 1);
    await replicate(c.node(1), c.node(2), 't');
    await replicate(c.node(1), c.node(2), 't');
    expect(leader.highWatermark).toBe(0n);
    // Broker 3 never fetches; the expiry check runs every half lag time.
    await c.clock.advanceAsync(LAG_MS);
    expect(leader.isr).toEqual([1, 2, 3]);
    await c.clock.advanceAsync(LAG_MS / 2);
    expect(c.store.get('t', 0).isr).toEqual([1, 2]);
    expect(leader.isr).toEqual([1, 2]);
    expect(leader.highWatermark).toBe(2n);
  });

  it('does not wait for a follower whose broker is gone, however recently it caught up', async () => {
    const c = await cluster([1, 2, 3]);
    await c.publish({ leader: 1, leaderEpoch: 1, isr: [1, 2, 3], replicas: [1, 2, 3] });
    const leader = partitionOf(c.node(1), 't');
    await produce(c.node(1), 't', batch(['a']), 1);
    for (const id of [2, 3, 2, 3]) await replicate(c.node(1), c.node(id), 't');
    expect(leader.highWatermark).toBe(1n);
    // Broker 3 dies (its registration lapses) and the controller takes it out of the ISR.
    c.store.unregistered.add(3);
    await c.publish({ leader: 1, leaderEpoch: 1, isr: [1, 2], replicas: [1, 2, 3] });
    await produce(c.node(1), 't', batch(['b']), 1);
    // The second fetch tells the leader that broker 2 has 'b'.
    await replicate(c.node(1), c.node(2), 't');
    await replicate(c.node(1), c.node(2), 't');
    expect(leader.highWatermark).toBe(2n);
    // Nor is it taken back into the ISR while it is gone, even with its log caught up.
    await replicate(c.node(1), c.node(3), 't');
    await replicate(c.node(1), c.node(3), 't');
    expect(c.store.proposals).toEqual([]);
    expect(leader.isr).toEqual([1, 2]);
  });

  it('takes a follower back into the ISR once its log reaches the high watermark', async () => {
    const c = await cluster([1, 2]);
    await c.publish({ leader: 1, leaderEpoch: 1, isr: [1], replicas: [1, 2] });
    const leader = partitionOf(c.node(1), 't');
    await produce(c.node(1), 't', batch(['a', 'b', 'c']), 1);
    expect(leader.highWatermark).toBe(3n);
    await replicate(c.node(1), c.node(2), 't');
    // It fetched from 0: behind the high watermark, still out.
    expect(leader.isr).toEqual([1]);
    await replicate(c.node(1), c.node(2), 't');
    expect(leader.isr).toEqual([1, 2]);
    expect(c.store.get('t', 0).isr).toEqual([1, 2]);
    // From now on the high watermark waits for it.
    await produce(c.node(1), 't', batch(['d']), 1);
    expect(leader.highWatermark).toBe(3n);
    await replicate(c.node(1), c.node(2), 't');
    await replicate(c.node(1), c.node(2), 't');
    expect(leader.highWatermark).toBe(4n);
  });

  it('keeps the high watermark at the larger ISR while a shrink is being written', async () => {
    const c = await cluster([1, 2]);
    await c.publish({ leader: 1, leaderEpoch: 1, isr: [1, 2], replicas: [1, 2] });
    const leader = partitionOf(c.node(1), 't');
    await produce(c.node(1), 't', batch(['a']), 1);
    c.store.holdWrites();
    await c.clock.advanceAsync(LAG_MS + LAG_MS / 2);
    expect(c.store.proposals.map((s) => s.isr)).toEqual([[1]]);
    expect(leader.isr).toEqual([1, 2]);
    expect(leader.highWatermark).toBe(0n);
    c.store.releaseWrites();
    await c.clock.advanceAsync(0);
    expect(leader.isr).toEqual([1]);
    expect(leader.highWatermark).toBe(1n);
  });

  it('waits for the newer state when its ISR change loses the compare-and-swap, then proposes again', async () => {
    const c = await cluster([1, 2, 3]);
    await c.publish({ leader: 1, leaderEpoch: 1, isr: [1, 2, 3], replicas: [1, 2, 3] });
    const leader = partitionOf(c.node(1), 't');
    await produce(c.node(1), 't', batch(['a']), 1);
    await replicate(c.node(1), c.node(2), 't');
    await replicate(c.node(1), c.node(2), 't');
    // The controller writes a state (broker 3 gone) that the leader has not seen yet.
    c.store.set('t', 0, { leader: 1, leaderEpoch: 1, isr: [1, 2], replicas: [1, 2, 3] });
    await c.clock.advanceAsync(LAG_MS + LAG_MS / 2);
    expect(c.store.proposals).toHaveLength(1);
    expect(leader.isr).toEqual([1, 2, 3]);
    // Still pending: no second proposal while the first one waits for the newer state.
    await c.clock.advanceAsync(LAG_MS);
    expect(c.store.proposals).toHaveLength(1);
    expect(leader.highWatermark).toBe(0n);
    // The newer state arrives through the watch.
    await c.node(1).partitions.applyPartitionState('t', 0, c.store.get('t', 0));
    expect(leader.isr).toEqual([1, 2]);
    expect(leader.highWatermark).toBe(1n);
    // Broker 2 stops fetching too: the next check shrinks against the version now known.
    await produce(c.node(1), 't', batch(['b']), 1);
    await c.clock.advanceAsync(LAG_MS + LAG_MS / 2);
    expect(c.store.proposals).toHaveLength(2);
    expect(c.store.get('t', 0).isr).toEqual([1]);
    expect(leader.isr).toEqual([1]);
    expect(leader.highWatermark).toBe(2n);
  });

  it('takes nothing found in the log at start as committed until the ISR has it', async () => {
    const c = await cluster([1, 2]);
    const p = partitionOf(c.node(1), 't');
    // Found in the log before any cluster state (a broker restarting): one broker alone would serve it.
    await p.append(batch(['a', 'b']));
    expect(p.highWatermark).toBe(2n);
    await c.publish({ leader: 1, leaderEpoch: 1, isr: [1, 2], replicas: [1, 2] });
    expect(p.highWatermark).toBe(0n);
    await replicate(c.node(1), c.node(2), 't');
    await replicate(c.node(1), c.node(2), 't');
    expect(p.highWatermark).toBe(2n);
  });

  it('answers NOT_LEADER_OR_FOLLOWER to the fetch of a replica not assigned, and on a follower', async () => {
    const c = await cluster([1, 2]);
    await c.publish({ leader: 1, leaderEpoch: 1, isr: [1, 2], replicas: [1, 2] });
    expect(partitionOf(c.node(1), 't').updateFollowerFetchState(5, 1n, 0n, 0n)).toBe(ErrorCode.NotLeaderOrFollower);
    expect(partitionOf(c.node(2), 't').updateFollowerFetchState(1, 1n, 0n, 0n)).toBe(ErrorCode.NotLeaderOrFollower);
    expect(partitionOf(c.node(1), 't').updateFollowerFetchState(2, 1n, 0n, 0n)).toBe(ErrorCode.None);
  });
});

describe('acks=all', () => {
  it('answers once every ISR member has the records', async () => {
    const c = await cluster([1, 2]);
    await c.publish({ leader: 1, leaderEpoch: 1, isr: [1, 2], replicas: [1, 2] });
    const answer = produce(c.node(1), 't', batch(['a', 'b']), -1);
    expect(await isSettled(answer)).toBe(false);
    await replicate(c.node(1), c.node(2), 't');
    expect(await isSettled(answer)).toBe(false);
    await replicate(c.node(1), c.node(2), 't');
    expect(await answer).toMatchObject({ errorCode: ErrorCode.None, baseOffset: 0n });
  });

  it('times out with REQUEST_TIMED_OUT after the request timeout', async () => {
    const c = await cluster([1, 2]);
    await c.publish({ leader: 1, leaderEpoch: 1, isr: [1, 2], replicas: [1, 2] });
    const answer = produce(c.node(1), 't', batch(['a']), -1, 3_000);
    await c.clock.advanceAsync(2_999);
    expect(await isSettled(answer)).toBe(false);
    await c.clock.advanceAsync(1);
    expect((await answer).errorCode).toBe(ErrorCode.RequestTimedOut);
  });

  it('fails NOT_ENOUGH_REPLICAS before appending when the ISR is below min.insync.replicas', async () => {
    const c = await cluster([1, 2], { 'min.insync.replicas': '2' });
    await c.publish({ leader: 1, leaderEpoch: 1, isr: [1], replicas: [1, 2] });
    expect((await produce(c.node(1), 't', batch(['a']), -1)).errorCode).toBe(ErrorCode.NotEnoughReplicas);
    expect(partitionOf(c.node(1), 't').logEndOffset).toBe(0n);
    // acks=1 does not ask for the ISR.
    expect((await produce(c.node(1), 't', batch(['b']), 1)).errorCode).toBe(ErrorCode.None);
    expect(await logValues(c.node(1))).toEqual(['b']);
  });

  it('fails NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrinks below min.insync.replicas while it waits', async () => {
    const c = await cluster([1, 2], { 'min.insync.replicas': '2' });
    await c.publish({ leader: 1, leaderEpoch: 1, isr: [1, 2], replicas: [1, 2] });
    const answer = produce(c.node(1), 't', batch(['a']), -1, 60_000);
    expect(await isSettled(answer)).toBe(false);
    await c.clock.advanceAsync(LAG_MS + LAG_MS / 2);
    expect((await answer).errorCode).toBe(ErrorCode.NotEnoughReplicasAfterAppend);
    // Appended all the same, as in Kafka; the next acks=all is refused before appending.
    expect(await logValues(c.node(1))).toEqual(['a']);
    expect((await produce(c.node(1), 't', batch(['b']), -1)).errorCode).toBe(ErrorCode.NotEnoughReplicas);
  });

  it('fails the waiting produces with NOT_LEADER_OR_FOLLOWER when leadership moves', async () => {
    const c = await cluster([1, 2]);
    await c.publish({ leader: 1, leaderEpoch: 1, isr: [1, 2], replicas: [1, 2] });
    const answer = produce(c.node(1), 't', batch(['a']), -1);
    expect(await isSettled(answer)).toBe(false);
    await c.publish({ leader: 2, leaderEpoch: 2, isr: [2], replicas: [1, 2] });
    expect((await answer).errorCode).toBe(ErrorCode.NotLeaderOrFollower);
    expect((await produce(c.node(1), 't', batch(['b']), 1)).errorCode).toBe(ErrorCode.NotLeaderOrFollower);
  });
});

describe('leader epochs and followers', () => {
  it('stamps the new epoch into its batches after becoming follower and then leader again', async () => {
    const c = await cluster([1, 2]);
    await c.publish({ leader: 1, leaderEpoch: 1, isr: [1], replicas: [1, 2] });
    const p = partitionOf(c.node(1), 't');
    await produce(c.node(1), 't', batch(['a']), 1);
    await c.publish({ leader: 2, leaderEpoch: 2, isr: [2, 1], replicas: [1, 2] });
    expect(p.isLeader).toBe(false);
    expect(p.checkLeaderEpoch(-1, true)).toBe(ErrorCode.NotLeaderOrFollower);
    expect(p.checkLeaderEpoch(2, false)).toBe(ErrorCode.None);
    await c.publish({ leader: 1, leaderEpoch: 3, isr: [1, 2], replicas: [1, 2] });
    expect(p.isLeader).toBe(true);
    expect(p.leaderEpoch).toBe(3);
    await produce(c.node(1), 't', batch(['b']), 1);
    expect(await batchEpochs(c.node(1))).toEqual([1, 3]);
    expect(p.log.leaderEpochs.entries()).toEqual([
      { epoch: 1, startOffset: 0n },
      { epoch: 3, startOffset: 1n },
    ]);
    expect(p.checkLeaderEpoch(2, true)).toBe(ErrorCode.FencedLeaderEpoch);
    expect(p.checkLeaderEpoch(4, true)).toBe(ErrorCode.UnknownLeaderEpoch);
    expect(p.checkLeaderEpoch(3, true)).toBe(ErrorCode.None);
  });

  it('answers ListOffsets with the epoch of the partition and of the batch found, and fences with the partition epoch', async () => {
    const c = await cluster([1, 2]);
    const n1 = c.node(1);
    const offsets = new LogOffsetService({ metadata: n1.metadata, partitions: n1.partitions, logger: silentLogger });
    const T0 = 1_700_000_000_000;
    await c.publish({ leader: 1, leaderEpoch: 1, isr: [1], replicas: [1, 2] });
    await produce(n1, 't', batch(['a'], undefined, 0, { now: T0 }), 1);
    await c.publish({ leader: 2, leaderEpoch: 2, isr: [2, 1], replicas: [1, 2] });
    // A follower does not answer clients' ListOffsets.
    expect((await offsets.listOffset('t', 0, LATEST_TIMESTAMP)).errorCode).toBe(ErrorCode.NotLeaderOrFollower);
    // Broker 2 never fetched: alone in the ISR, broker 1's high watermark is its log end.
    await c.publish({ leader: 1, leaderEpoch: 3, isr: [1], replicas: [1, 2] });
    await produce(n1, 't', batch(['b'], undefined, 0, { now: T0 + 1000 }), 1);

    expect(await offsets.listOffset('t', 0, LATEST_TIMESTAMP, 3)).toEqual({ errorCode: 0, offset: 2n, timestamp: -1n, leaderEpoch: 3 });
    expect(await offsets.listOffset('t', 0, EARLIEST_TIMESTAMP)).toEqual({ errorCode: 0, offset: 0n, timestamp: -1n, leaderEpoch: 1 });
    expect(await offsets.listOffset('t', 0, BigInt(T0))).toEqual({ errorCode: 0, offset: 0n, timestamp: BigInt(T0), leaderEpoch: 1 });
    expect(await offsets.listOffset('t', 0, BigInt(T0 + 1))).toEqual({ errorCode: 0, offset: 1n, timestamp: BigInt(T0 + 1000), leaderEpoch: 3 });
    expect(await offsets.listOffset('t', 0, MAX_TIMESTAMP)).toEqual({ errorCode: 0, offset: 1n, timestamp: BigInt(T0 + 1000), leaderEpoch: 3 });
    // A client that saw epoch 1 or 2 is fenced; one ahead of this broker is told the epoch is unknown.
    expect((await offsets.listOffset('t', 0, LATEST_TIMESTAMP, 2)).errorCode).toBe(ErrorCode.FencedLeaderEpoch);
    expect((await offsets.listOffset('t', 0, LATEST_TIMESTAMP, 4)).errorCode).toBe(ErrorCode.UnknownLeaderEpoch);
  });

  it('a follower refuses DeleteRecords and the v0 offset list with NOT_LEADER_OR_FOLLOWER, its log untouched', async () => {
    const c = await cluster([1, 2]);
    await c.publish({ leader: 1, leaderEpoch: 1, isr: [1, 2], replicas: [1, 2] });
    await produce(c.node(1), 't', batch(['a', 'b', 'c']), 1);
    await replicate(c.node(1), c.node(2), 't');
    await replicate(c.node(1), c.node(2), 't');
    const follower = partitionOf(c.node(2), 't');
    expect(follower.highWatermark).toBe(3n);
    const offsets = new LogOffsetService({ metadata: c.node(2).metadata, partitions: c.node(2).partitions, logger: silentLogger });
    expect(await offsets.deleteRecords('t', 0, 2n)).toEqual({ errorCode: ErrorCode.NotLeaderOrFollower, lowWatermark: -1n });
    expect(await offsets.legacyOffsets('t', 0, LATEST_TIMESTAMP, 2)).toEqual({ errorCode: ErrorCode.NotLeaderOrFollower, offsets: [] });
    expect(follower.logStartOffset).toBe(0n);
    expect(await logValues(c.node(2))).toEqual(['a', 'b', 'c']);
  });

  it('creates the log of a replica it is assigned and does not have yet', async () => {
    const c = await cluster([1, 2]);
    expect(await c.node(2).logs.delete('t', 0)).toBe(true);
    expect(c.node(2).partitions.get('t', 0)).toBeUndefined();
    await c.publish({ leader: 1, leaderEpoch: 1, isr: [1], replicas: [1, 2] });
    await produce(c.node(1), 't', batch(['a']), 1);
    await replicate(c.node(1), c.node(2), 't');
    expect(await logValues(c.node(2))).toEqual(['a']);
    expect(partitionOf(c.node(2), 't').isLeader).toBe(false);
  });

  it('starts its epoch after the follower writes still in flight when it becomes leader', async () => {
    const c = await cluster([1, 2]);
    await c.publish({ leader: 1, leaderEpoch: 1, isr: [1, 2], replicas: [1, 2] });
    await produce(c.node(1), 't', batch(['a', 'b']), 1);
    const leader = partitionOf(c.node(1), 't');
    const read = Buffer.concat((await leader.log.read(0n, { maxBytes: 1 << 20 })).records);
    const follower = partitionOf(c.node(2), 't');
    const appending = follower.appendAsFollower(read, 2n, 0n);
    await c.node(2).partitions.applyPartitionState('t', 0, c.store.set('t', 0, { leader: 2, leaderEpoch: 2, isr: [2], replicas: [1, 2] }));
    await appending;
    expect(follower.log.leaderEpochs.entries()).toEqual([
      { epoch: 1, startOffset: 0n },
      { epoch: 2, startOffset: 2n },
    ]);
    await produce(c.node(2), 't', batch(['c']), 1);
    expect(await batchEpochs(c.node(2))).toEqual([1, 2]);
  });

  it('ignores states older than the one applied and states that do not assign this broker', async () => {
    const c = await cluster([1, 2]);
    const roles: [number, boolean, number][] = [];
    c.node(1).partitions.onRoleChange((p, s) => roles.push([p.leaderEpoch, p.isLeader, s.leader]));
    await c.publish({ leader: 1, leaderEpoch: 3, isr: [1, 2], replicas: [1, 2] });
    const p = partitionOf(c.node(1), 't');
    await c.node(1).partitions.applyPartitionState('t', 0, { leader: 2, leaderEpoch: 2, isr: [2], replicas: [1, 2], version: 99n });
    expect(p.isLeader).toBe(true);
    await c.node(1).partitions.applyPartitionState('t', 0, { leader: 2, leaderEpoch: 4, isr: [2], replicas: [2, 3], version: 100n });
    expect(p.isLeader).toBe(true);
    expect(roles).toEqual([[3, true, 1]]);
  });

  it('keeps the producer state of replicated batches, and rebuilds it when the follower truncates', async () => {
    const c = await cluster([1, 2]);
    await c.publish({ leader: 1, leaderEpoch: 1, isr: [1, 2], replicas: [1, 2] });
    for (let seq = 0; seq < 3; seq++) expect((await produce(c.node(1), 't', batch([`v${seq}`], 7n, seq), 1)).errorCode).toBe(ErrorCode.None);
    await replicate(c.node(1), c.node(2), 't');
    const follower = partitionOf(c.node(2), 't');
    expect(follower.logEndOffset).toBe(3n);
    const lastSeq = async () => (await follower.producerState()).lastEntry(7n)?.batches.at(-1)?.lastSeq;
    expect(await lastSeq()).toBe(2);
    await follower.truncateTo(2n);
    expect(follower.logEndOffset).toBe(2n);
    expect(await lastSeq()).toBe(1);
    expect(await logValues(c.node(2))).toEqual(['v0', 'v1']);
    // Refetching the cut batch brings the sequence back.
    await replicate(c.node(1), c.node(2), 't');
    expect(await lastSeq()).toBe(2);
  });

  it('still recognizes an idempotent producer retry after this replica went from follower to leader', async () => {
    const c = await cluster([1, 2]);
    await c.publish({ leader: 1, leaderEpoch: 1, isr: [1, 2], replicas: [1, 2] });
    const first = produce(c.node(1), 't', batch(['x'], 9n, 0), -1);
    // Appended (the producer state loads first), not yet acknowledged.
    expect(await isSettled(first)).toBe(false);
    await replicate(c.node(1), c.node(2), 't');
    await replicate(c.node(1), c.node(2), 't');
    expect(await first).toMatchObject({ errorCode: ErrorCode.None, baseOffset: 0n });
    // Broker 1 dies; broker 2 leads. The producer did not see the answer and retries there.
    await c.publish({ leader: 2, leaderEpoch: 2, isr: [2], replicas: [1, 2] });
    const retry = await produce(c.node(2), 't', batch(['x'], 9n, 0), -1);
    expect(retry).toMatchObject({ errorCode: ErrorCode.None, baseOffset: 0n });
    const next = await produce(c.node(2), 't', batch(['y'], 9n, 1), -1);
    expect(next).toMatchObject({ errorCode: ErrorCode.None, baseOffset: 1n });
    expect(await logValues(c.node(2))).toEqual(['x', 'y']);
    expect(await batchEpochs(c.node(2))).toEqual([1, 2]);
  });

  it('starts a follower log over at the leader log start when it is behind it', async () => {
    const c = await cluster([1, 2]);
    await c.publish({ leader: 1, leaderEpoch: 1, isr: [1], replicas: [1, 2] });
    await produce(c.node(1), 't', batch(['a', 'b']), 1);
    await replicate(c.node(1), c.node(2), 't');
    await produce(c.node(1), 't', batch(['c', 'd']), 1);
    await produce(c.node(1), 't', batch(['e']), 1);
    const leader = partitionOf(c.node(1), 't');
    await leader.deleteRecordsBefore(4n);
    const follower = partitionOf(c.node(2), 't');
    expect(follower.logEndOffset).toBe(2n);
    // The fetcher's answer to OFFSET_OUT_OF_RANGE below the leader's log start.
    await follower.truncateFullyAndStartAt(leader.logStartOffset);
    expect([follower.logStartOffset, follower.logEndOffset, follower.highWatermark]).toEqual([4n, 4n, 4n]);
    await replicate(c.node(1), c.node(2), 't');
    expect(await logValues(c.node(2))).toEqual(['e']);
    expect(follower.logEndOffset).toBe(5n);
    // Truncation is for followers only.
    await expect(leader.truncateTo(0n)).rejects.toThrow(/led by this broker/);
  });

  it('replicates a transaction and its ABORT marker into the follower producer state and aborted-transaction index', async () => {
    const c = await cluster([1, 2]);
    await c.publish({ leader: 1, leaderEpoch: 1, isr: [1], replicas: [1, 2] });
    const leader = partitionOf(c.node(1), 't');
    // Appended through the Partition: the transaction coordinator's side is not under test.
    await leader.append(batch(['t1', 't2'], 11n, 0, { transactional: true }));
    await replicate(c.node(1), c.node(2), 't');
    const follower = partitionOf(c.node(2), 't');
    expect((await follower.ongoingTransactions()).map((t) => t.producerId)).toEqual([11n]);
    expect(await leader.writeTxnMarker({ producerId: 11n, producerEpoch: 0, committed: false, coordinatorEpoch: 0 })).toBe(ErrorCode.None);
    await produce(c.node(1), 't', batch(['after']), 1);
    await replicate(c.node(1), c.node(2), 't');
    expect(await follower.ongoingTransactions()).toEqual([]);
    expect(await follower.abortedTransactions(0n, follower.logEndOffset)).toEqual(await leader.abortedTransactions(0n, leader.logEndOffset));
    expect((await follower.abortedTransactions(0n, follower.logEndOffset)).map((t) => [t.producerId, t.firstOffset, t.lastOffset])).toEqual([[11n, 0n, 2n]]);
    // As the new leader it takes the producer's next transaction.
    await c.publish({ leader: 2, leaderEpoch: 2, isr: [2], replicas: [1, 2] });
    const newLeader = partitionOf(c.node(2), 't');
    await newLeader.append(batch(['t3'], 11n, 2, { transactional: true }));
    expect((await newLeader.ongoingTransactions()).map((t) => [t.producerId, t.firstOffset])).toEqual([[11n, 4n]]);
  });

  it('rebuilds the follower producer state from its log when a replicated batch does not follow it', async () => {
    const c = await cluster([1, 2]);
    await c.publish({ leader: 1, leaderEpoch: 1, isr: [1], replicas: [1, 2] });
    const leader = partitionOf(c.node(1), 't');
    await produce(c.node(1), 't', batch(['a'], 12n, 0), 1);
    await replicate(c.node(1), c.node(2), 't');
    // The leader expires the producer (the follower has not yet), then accepts it again at any sequence.
    expect(leader.removeExpiredProducers(Number.MAX_SAFE_INTEGER, 1)).toBe(1);
    expect((await produce(c.node(1), 't', batch(['b'], 12n, 5), 1)).errorCode).toBe(ErrorCode.None);
    await replicate(c.node(1), c.node(2), 't');
    const follower = partitionOf(c.node(2), 't');
    expect(await logValues(c.node(2))).toEqual(['a', 'b']);
    expect((await follower.producerState()).lastEntry(12n)?.batches.at(-1)?.lastSeq).toBe(5);
  });

  it('appends the whole batches of a fetch answer and leaves a partial last one for the next fetch', async () => {
    const c = await cluster([1, 2]);
    await c.publish({ leader: 1, leaderEpoch: 1, isr: [1], replicas: [1, 2] });
    const leader = partitionOf(c.node(1), 't');
    await produce(c.node(1), 't', batch(['a'], 13n, 0), 1);
    await produce(c.node(1), 't', batch(['b'], 13n, 1), 1);
    const read = Buffer.concat((await leader.log.read(0n, { maxBytes: 1 << 20 })).records);
    const follower = partitionOf(c.node(2), 't');
    await follower.appendAsFollower(read.subarray(0, read.length - 10), leader.highWatermark, leader.logStartOffset);
    expect(follower.logEndOffset).toBe(1n);
    await replicate(c.node(1), c.node(2), 't');
    expect(await logValues(c.node(2))).toEqual(['a', 'b']);
    expect((await follower.producerState()).lastEntry(13n)?.batches.at(-1)?.lastSeq).toBe(1);
  });

  it('keeps no producer snapshot past a follower truncation on disk: a restart knows the truncated sequences', async () => {
    const dir = await tempDir('gregor-replica-');
    try {
      const c = await cluster([1]);
      const follower = await startNode(2, c.clock, c.store, { 'replica.lag.time.max.ms': LAG_MS }, dir.path);
      await createTopic(follower, 't');
      c.brokers.set(2, follower);
      await c.publish({ leader: 1, leaderEpoch: 1, isr: [1], replicas: [1, 2] });
      for (let seq = 0; seq < 3; seq++) await produce(c.node(1), 't', batch([`v${seq}`], 14n, seq), 1);
      await replicate(c.node(1), follower, 't');
      // A snapshot at the end of the three batches, as a clean stop leaves it.
      await (await partitionOf(follower, 't').producerState()).takeSnapshot();
      await partitionOf(follower, 't').truncateTo(1n);
      await stopNode(follower);
      const again = await startNode(2, c.clock, c.store, { 'replica.lag.time.max.ms': LAG_MS }, dir.path);
      try {
        const p = partitionOf(again, 't');
        expect(p.logEndOffset).toBe(1n);
        expect((await p.producerState()).lastEntry(14n)?.batches.at(-1)?.lastSeq).toBe(0);
      } finally {
        await stopNode(again);
      }
    } finally {
      await dir.remove();
    }
  });
});
