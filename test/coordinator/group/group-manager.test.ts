/**
 * The classic group protocol state machine, driven through the coordinator with a ManualClock:
 * joins, syncs, heartbeats, leaves, timeouts and every error code, with no sleeping.
 */
import { describe, expect, it } from '@jest/globals';
import type { JoinGroupResult } from '../../../src/coordinator/group/member.js';
import type { JoinGroupParams } from '../../../src/coordinator/group/group-manager.js';
import { NEW_MEMBER_JOIN_TIMEOUT_MS } from '../../../src/coordinator/group/group-manager.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { fixturePerTest } from '../fixture-per-test.js';
import { assignment, flush, joinParams, settle, subscription, track } from '../helpers.js';

const f = fixturePerTest();

const c = () => f.coordinator;

function join(overrides: Partial<JoinGroupParams> = {}) {
  return track(c().joinGroup(joinParams(overrides)));
}

function sync(memberId: string, generationId: number, assignments: { memberId: string; assignment: Buffer }[] = [], extra: { groupInstanceId?: string | null; protocolType?: string | null; protocolName?: string | null; groupId?: string } = {}) {
  return track(
    c().syncGroup({
      groupId: extra.groupId ?? 'g',
      generationId,
      memberId,
      groupInstanceId: extra.groupInstanceId ?? null,
      protocolType: extra.protocolType ?? null,
      protocolName: extra.protocolName ?? null,
      assignments,
    }),
  );
}

function heartbeat(memberId: string, generationId: number, groupInstanceId: string | null = null, groupId = 'g') {
  return c().heartbeat({ groupId, generationId, memberId, groupInstanceId });
}

const state = (groupId = 'g') => c().describeGroup(groupId).state;

/** Joins `n` members in one generation and completes the sync; returns their join results (leader first). */
async function stableGroup(n: number, overrides: (i: number) => Partial<JoinGroupParams> = () => ({})): Promise<JoinGroupResult[]> {
  const joins = Array.from({ length: n }, (_, i) => join({ clientId: `c${i}`, ...overrides(i) }));
  f.clock.advance(0);
  const results = await Promise.all(joins.map((j) => j.promise));
  const leader = results.find((r) => r.memberId === r.leaderId)!;
  const assignments = results.map((r, i) => ({ memberId: r.memberId, assignment: assignment('t', [i]) }));
  const syncs = results.map((r) => sync(r.memberId, r.generationId, r.memberId === leader.memberId ? assignments : []));
  await flush();
  for (const s of syncs) expect(s.value?.errorCode).toBe(ErrorCode.None);
  expect(state()).toBe('Stable');
  return [leader, ...results.filter((r) => r !== leader)];
}

describe('join and sync', () => {
  it('a single member becomes leader, gets itself with its metadata, and receives its assignment', async () => {
    const meta = subscription(['t'], 'hello');
    const j = join({ protocols: [{ name: 'range', metadata: meta }] });
    expect(j.done).toBe(false);
    expect(state()).toBe('PreparingRebalance');
    f.clock.advance(0);
    const r = await settle(j);
    expect(r).toMatchObject({ errorCode: ErrorCode.None, generationId: 1, protocolType: 'consumer', protocolName: 'range', leaderId: r.memberId });
    expect(r.memberId).toMatch(/^client-[0-9a-f-]{36}$/);
    expect(r.members).toEqual([{ memberId: r.memberId, groupInstanceId: null, metadata: meta }]);
    expect(state()).toBe('CompletingRebalance');

    const a = assignment('t', [0, 1]);
    const s = sync(r.memberId, 1, [{ memberId: r.memberId, assignment: a }]);
    const result = await settle(s);
    expect(result).toEqual({ errorCode: ErrorCode.None, protocolType: 'consumer', protocolName: 'range', assignment: a });
    expect(state()).toBe('Stable');
    const d = c().describeGroup('g');
    expect(d).toMatchObject({ state: 'Stable', protocolType: 'consumer', protocol: 'range' });
    expect(d.members).toEqual([{ memberId: r.memberId, groupInstanceId: null, clientId: 'client', clientHost: '/127.0.0.1', metadata: meta, assignment: a }]);
  });

  it('followers wait for the leader, and get only their own assignment; only the leader gets the member list', async () => {
    const ja = join({ clientId: 'a' });
    const jb = join({ clientId: 'b' });
    f.clock.advance(0);
    const [a, b] = [await settle(ja), await settle(jb)];
    expect(a.leaderId).toBe(a.memberId);
    expect(b.leaderId).toBe(a.memberId);
    expect(a.members.map((m) => m.memberId)).toEqual([a.memberId, b.memberId]);
    expect(b.members).toEqual([]);
    const sb = sync(b.memberId, 1);
    await flush();
    expect(sb.done).toBe(false);
    const sa = sync(a.memberId, 1, [
      { memberId: a.memberId, assignment: assignment('t', [0]) },
      { memberId: b.memberId, assignment: assignment('t', [1]) },
    ]);
    expect((await settle(sa)).assignment).toEqual(assignment('t', [0]));
    expect((await settle(sb)).assignment).toEqual(assignment('t', [1]));
  });

  it('a member the leader leaves out gets an empty assignment', async () => {
    const ja = join({ clientId: 'a' });
    const jb = join({ clientId: 'b' });
    f.clock.advance(0);
    const [a, b] = [await settle(ja), await settle(jb)];
    const sb = sync(b.memberId, 1);
    sync(a.memberId, 1, [{ memberId: a.memberId, assignment: assignment('t', [0]) }]);
    expect((await settle(sb)).assignment.length).toBe(0);
  });

  it('the chosen protocol is one every member supports, with the most votes', async () => {
    const m = subscription(['t']);
    const ja = join({ clientId: 'a', protocols: [{ name: 'range', metadata: m }, { name: 'roundrobin', metadata: m }, { name: 'sticky', metadata: m }] });
    const jb = join({ clientId: 'b', protocols: [{ name: 'sticky', metadata: m }, { name: 'roundrobin', metadata: m }] });
    const jc = join({ clientId: 'c', protocols: [{ name: 'roundrobin', metadata: m }, { name: 'sticky', metadata: m }] });
    const jd = join({ clientId: 'd', protocols: [{ name: 'roundrobin', metadata: m }, { name: 'sticky', metadata: m }, { name: 'range', metadata: m }] });
    f.clock.advance(0);
    // range is not supported by b and c; votes: a sticky? no: a prefers range (not a candidate), then roundrobin.
    for (const j of [ja, jb, jc, jd]) expect((await settle(j)).protocolName).toBe('roundrobin');
  });

  it('the leader gets each member\'s metadata for the chosen protocol', async () => {
    const ja = join({ clientId: 'a', protocols: [{ name: 'x', metadata: Buffer.from('a-x') }, { name: 'y', metadata: Buffer.from('a-y') }] });
    const jb = join({ clientId: 'b', protocols: [{ name: 'y', metadata: Buffer.from('b-y') }] });
    f.clock.advance(0);
    const a = await settle(ja);
    await settle(jb);
    expect(a.protocolName).toBe('y');
    expect(a.members.map((m) => m.metadata.toString())).toEqual(['a-y', 'b-y']);
  });

  it('generic groups that are not consumers (Kafka Connect) work the same way', async () => {
    const meta = Buffer.from('{"url":"http://worker-1:8083"}');
    const j = join({ protocolType: 'connect', protocols: [{ name: 'sessioned', metadata: meta }, { name: 'default', metadata: meta }] });
    f.clock.advance(0);
    const r = await settle(j);
    expect(r).toMatchObject({ errorCode: ErrorCode.None, protocolType: 'connect', protocolName: 'sessioned' });
    await settle(sync(r.memberId, 1, [{ memberId: r.memberId, assignment: Buffer.from('leader-assignment') }]));
    expect(c().describeGroup('g')).toMatchObject({ state: 'Stable', protocolType: 'connect', protocol: 'sessioned' });
    expect(c().listGroups()).toEqual({ errorCode: 0, groups: [{ groupId: 'g', protocolType: 'connect', state: 'Stable', type: 'classic' }] });
  });

  it('a member joining with another protocol type, or no common protocol, gets INCONSISTENT_GROUP_PROTOCOL', async () => {
    await stableGroup(1);
    const other = join({ protocolType: 'connect' });
    expect((await settle(other)).errorCode).toBe(ErrorCode.InconsistentGroupProtocol);
    const noCommon = join({ protocols: [{ name: 'cooperative-sticky', metadata: subscription(['t']) }] });
    expect(await settle(noCommon)).toMatchObject({ errorCode: ErrorCode.InconsistentGroupProtocol, memberId: '' });
    // An empty group needs a protocol type and at least one protocol.
    expect((await settle(join({ groupId: 'h', protocolType: '' }))).errorCode).toBe(ErrorCode.InconsistentGroupProtocol);
    expect((await settle(join({ groupId: 'h', protocols: [] }))).errorCode).toBe(ErrorCode.InconsistentGroupProtocol);
    expect(state()).toBe('Stable');
  });
});

describe('member ids (JoinGroup v4+)', () => {
  it('a first join is answered MEMBER_ID_REQUIRED with an id, and the rejoin with it joins the group', async () => {
    const first = await settle(join({ requireKnownMemberId: true }));
    expect(first.errorCode).toBe(ErrorCode.MemberIdRequired);
    expect(first.memberId).toMatch(/^client-/);
    const second = join({ requireKnownMemberId: true, memberId: first.memberId });
    f.clock.advance(0);
    expect(await settle(second)).toMatchObject({ errorCode: ErrorCode.None, memberId: first.memberId, leaderId: first.memberId, generationId: 1 });
  });

  it('a pending member blocks the join phase until it rejoins or its session timeout passes', async () => {
    const [leader] = await stableGroup(1);
    const pending = await settle(join({ requireKnownMemberId: true, clientId: 'late' }));
    expect(pending.errorCode).toBe(ErrorCode.MemberIdRequired);
    // The leader rejoins: the rebalance waits for the pending member.
    const rejoin = join({ memberId: leader.memberId });
    await flush();
    expect(rejoin.done).toBe(false);
    f.clock.advance(10_000); // the pending member's session timeout
    expect(await settle(rejoin)).toMatchObject({ errorCode: ErrorCode.None, generationId: 2 });
    // Too late now: the id is no longer pending.
    expect((await settle(join({ memberId: pending.memberId }))).errorCode).toBe(ErrorCode.UnknownMemberId);
  });

  it('an unknown member id is UNKNOWN_MEMBER_ID, for a group that exists or not', async () => {
    await stableGroup(1);
    expect(await settle(join({ memberId: 'nobody' }))).toMatchObject({ errorCode: ErrorCode.UnknownMemberId, memberId: 'nobody', generationId: -1 });
    expect((await settle(join({ groupId: 'other', memberId: 'nobody' }))).errorCode).toBe(ErrorCode.UnknownMemberId);
  });
});

describe('initial rebalance delay', () => {
  it('waits group.initial.rebalance.delay.ms, extended while new members arrive, up to the rebalance timeout', async () => {
    f.config = { ...f.config, groupInitialRebalanceDelayMs: 3000 };
    const ja = join({ clientId: 'a' });
    f.clock.advance(1000);
    const jb = join({ clientId: 'b' });
    f.clock.advance(1999); // t = 2999
    expect(ja.done || jb.done).toBe(false);
    f.clock.advance(1); // t = 3000: b arrived meanwhile, so one more delay
    await flush();
    expect(ja.done).toBe(false);
    f.clock.advance(2999);
    await flush();
    expect(ja.done).toBe(false);
    f.clock.advance(1); // t = 6000
    expect((await settle(ja)).members).toHaveLength(2);
    expect((await settle(jb)).generationId).toBe(1);
  });

  it('does not extend past the rebalance timeout', async () => {
    f.config = { ...f.config, groupInitialRebalanceDelayMs: 3000 };
    const ja = join({ clientId: 'a', rebalanceTimeoutMs: 4000 });
    for (let t = 0; t < 10; t++) {
      f.clock.advance(500);
      join({ clientId: `m${t}`, rebalanceTimeoutMs: 4000 });
      await flush();
      if (ja.done) break;
    }
    // delay 3000 (remaining 1000), then one more delay of min(3000, 1000).
    expect(ja.done).toBe(true);
    expect(f.clock.now() - 1_700_000_000_000).toBe(4000);
  });

  it('does not complete early even when everyone has joined', async () => {
    f.config = { ...f.config, groupInitialRebalanceDelayMs: 100 };
    const j = join();
    f.clock.advance(99);
    await flush();
    expect(j.done).toBe(false);
    f.clock.advance(1);
    expect((await settle(j)).errorCode).toBe(ErrorCode.None);
  });
});

describe('rebalances', () => {
  it('a new member triggers a rebalance: heartbeats say REBALANCE_IN_PROGRESS until members rejoin', async () => {
    const [a] = await stableGroup(1);
    const jb = join({ clientId: 'b' });
    expect(state()).toBe('PreparingRebalance');
    expect(heartbeat(a.memberId, 1)).toBe(ErrorCode.RebalanceInProgress);
    const ja = join({ memberId: a.memberId });
    const [ra, rb] = [await settle(ja), await settle(jb)];
    expect(ra).toMatchObject({ generationId: 2, leaderId: a.memberId });
    expect(ra.members).toHaveLength(2);
    expect(rb.members).toHaveLength(0);
    expect(state()).toBe('CompletingRebalance');
    expect(heartbeat(a.memberId, 2)).toBe(ErrorCode.None);
    expect(heartbeat(a.memberId, 1)).toBe(ErrorCode.IllegalGeneration);
  });

  it('the leader rejoining a stable group forces a rebalance; a follower with the same metadata does not', async () => {
    const [a, b] = await stableGroup(2);
    const jb = join({ memberId: b.memberId, clientId: 'c1' });
    expect(await settle(jb)).toMatchObject({ errorCode: ErrorCode.None, generationId: 1, leaderId: a.memberId, members: [] });
    expect(state()).toBe('Stable');
    join({ memberId: a.memberId });
    expect(state()).toBe('PreparingRebalance');
  });

  it('a follower rejoining with new metadata forces a rebalance', async () => {
    const [, b] = await stableGroup(2);
    join({ memberId: b.memberId, protocols: [{ name: 'range', metadata: subscription(['t', 'u']) }] });
    expect(state()).toBe('PreparingRebalance');
  });

  it('members that do not rejoin within the rebalance timeout are removed', async () => {
    const [a, b] = await stableGroup(2, () => ({ rebalanceTimeoutMs: 20_000 }));
    const jc = join({ clientId: 'c', rebalanceTimeoutMs: 20_000 });
    const ja = join({ memberId: a.memberId, rebalanceTimeoutMs: 20_000 });
    // b keeps heartbeating but never rejoins.
    for (let t = 0; t < 6; t++) {
      f.clock.advance(3000);
      expect(heartbeat(b.memberId, 1)).toBe(ErrorCode.RebalanceInProgress);
    }
    await flush();
    expect(ja.done).toBe(false);
    f.clock.advance(2000); // 20 s after the rebalance began
    const ra = await settle(ja);
    expect(ra.generationId).toBe(2);
    expect(ra.members.map((m) => m.memberId).sort()).toEqual([a.memberId, (await settle(jc)).memberId].sort());
    expect(heartbeat(b.memberId, 1)).toBe(ErrorCode.UnknownMemberId);
  });

  it('when the leader does not rejoin, a member that did becomes leader', async () => {
    const [a, b] = await stableGroup(2, () => ({ sessionTimeoutMs: 60_000 }));
    // New metadata from b starts a rebalance that a never joins.
    const jb = join({ memberId: b.memberId, sessionTimeoutMs: 60_000, protocols: [{ name: 'range', metadata: subscription(['t', 'u']) }] });
    f.clock.advance(30_000);
    expect(await settle(jb)).toMatchObject({ generationId: 2, leaderId: b.memberId });
    expect(heartbeat(a.memberId, 1)).toBe(ErrorCode.UnknownMemberId);
  });

  it('members that do not send SyncGroup within the rebalance timeout are removed, and the group rebalances', async () => {
    const ja = join({ clientId: 'a', sessionTimeoutMs: 60_000 });
    const jb = join({ clientId: 'b', sessionTimeoutMs: 60_000 });
    f.clock.advance(0);
    const [a, b] = [await settle(ja), await settle(jb)];
    await settle(sync(a.memberId, 1, [{ memberId: a.memberId, assignment: assignment('t', [0]) }]));
    expect(state()).toBe('Stable');
    f.clock.advance(29_999);
    expect(heartbeat(a.memberId, 1)).toBe(ErrorCode.None);
    expect(heartbeat(b.memberId, 1)).toBe(ErrorCode.None); // heartbeats do not replace SyncGroup
    f.clock.advance(1);
    expect(state()).toBe('PreparingRebalance');
    expect(heartbeat(b.memberId, 1)).toBe(ErrorCode.UnknownMemberId);
    expect(heartbeat(a.memberId, 1)).toBe(ErrorCode.RebalanceInProgress);
  });

  it('a rebalance during CompletingRebalance answers parked syncs with REBALANCE_IN_PROGRESS', async () => {
    const ja = join({ clientId: 'a' });
    const jb = join({ clientId: 'b' });
    f.clock.advance(0);
    const [, b] = [await settle(ja), await settle(jb)];
    const sb = sync(b.memberId, 1);
    join({ clientId: 'c' });
    expect((await settle(sb)).errorCode).toBe(ErrorCode.RebalanceInProgress);
    expect((await settle(sync(b.memberId, 1))).errorCode).toBe(ErrorCode.RebalanceInProgress);
  });

  it('a member that lost its JoinGroup response gets the same generation again while completing', async () => {
    const ja = join({ clientId: 'a' });
    f.clock.advance(0);
    const a = await settle(ja);
    const again = await settle(join({ memberId: a.memberId }));
    expect(again).toMatchObject({ errorCode: ErrorCode.None, generationId: 1, leaderId: a.memberId });
    expect(again.members).toHaveLength(1);
  });

  it('a member that sends a second JoinGroup gets the first one answered, not left hanging', async () => {
    const [a] = await stableGroup(2);
    join({ clientId: 'new' }); // the rebalance stays open: the second member has not rejoined
    const first = join({ memberId: a.memberId });
    const second = join({ memberId: a.memberId });
    expect((await settle(first)).errorCode).toBe(ErrorCode.RebalanceInProgress);
    expect(second.done).toBe(false);
    f.clock.advance(30_000);
    expect((await settle(second)).generationId).toBe(2);
  });
});

describe('sessions', () => {
  it('a member that stops heartbeating is removed after session.timeout.ms and the group rebalances', async () => {
    const [a, b] = await stableGroup(2);
    for (let t = 0; t < 3; t++) {
      f.clock.advance(3000);
      expect(heartbeat(a.memberId, 1)).toBe(ErrorCode.None);
    }
    f.clock.advance(999); // 9999 ms since b's last sign of life
    expect(state()).toBe('Stable');
    f.clock.advance(1);
    expect(state()).toBe('PreparingRebalance');
    expect(heartbeat(b.memberId, 1)).toBe(ErrorCode.UnknownMemberId);
    const ra = await settle(join({ memberId: a.memberId }));
    expect(ra).toMatchObject({ generationId: 2, leaderId: a.memberId });
    expect(ra.members).toHaveLength(1);
  });

  it('the last member expiring leaves the group Empty with a new generation', async () => {
    await stableGroup(1);
    f.clock.advance(10_000);
    expect(c().describeGroup('g')).toMatchObject({ state: 'Empty', members: [] });
    await flush();
    expect(c().storedGroup('g')).toMatchObject({ generation: 2, members: [] });
  });

  it('members waiting in a rebalance are not expired by their session timeout', async () => {
    const [a] = await stableGroup(1, () => ({ sessionTimeoutMs: 6000, rebalanceTimeoutMs: 60_000 }));
    join({ clientId: 'b', sessionTimeoutMs: 6000, rebalanceTimeoutMs: 60_000, requireKnownMemberId: true });
    const ja = join({ memberId: a.memberId, sessionTimeoutMs: 6000, rebalanceTimeoutMs: 60_000 });
    f.clock.advance(5000);
    // The pending member's id lapsed (6 s) and a is parked: a stays.
    f.clock.advance(10_000);
    expect((await settle(ja)).members).toHaveLength(1);
  });

  it('a new member whose first JoinGroup stays parked too long is removed', async () => {
    const [a] = await stableGroup(1, () => ({ rebalanceTimeoutMs: 600_000, sessionTimeoutMs: 600_000 }));
    const jb = join({ clientId: 'b', rebalanceTimeoutMs: 600_000, sessionTimeoutMs: 600_000 });
    // a keeps heartbeating without rejoining.
    for (let t = 0; t < NEW_MEMBER_JOIN_TIMEOUT_MS / 60_000; t++) {
      f.clock.advance(60_000);
      heartbeat(a.memberId, 1);
    }
    expect(await settle(jb)).toMatchObject({ errorCode: ErrorCode.UnknownMemberId, memberId: '' });
  });

  it('heartbeats: UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, INVALID_GROUP_ID, and NONE blindly while loading', async () => {
    const [a] = await stableGroup(1);
    expect(heartbeat(a.memberId, 1)).toBe(ErrorCode.None);
    expect(heartbeat(a.memberId, 7)).toBe(ErrorCode.IllegalGeneration);
    expect(heartbeat('x', 1)).toBe(ErrorCode.UnknownMemberId);
    expect(heartbeat(a.memberId, 1, null, 'nogroup')).toBe(ErrorCode.UnknownMemberId);
    expect(heartbeat(a.memberId, 1, null, '')).toBe(ErrorCode.InvalidGroupId);
    c().groups.loading = true;
    expect(heartbeat('x', 1)).toBe(ErrorCode.None);
    c().groups.loading = false;
  });
});

describe('errors', () => {
  it('INVALID_SESSION_TIMEOUT outside group.min/max.session.timeout.ms', async () => {
    expect((await settle(join({ sessionTimeoutMs: 5999 }))).errorCode).toBe(ErrorCode.InvalidSessionTimeout);
    expect((await settle(join({ sessionTimeoutMs: 1_800_001 }))).errorCode).toBe(ErrorCode.InvalidSessionTimeout);
    const ok = join({ sessionTimeoutMs: 6000 });
    f.clock.advance(0);
    expect((await settle(ok)).errorCode).toBe(ErrorCode.None);
  });

  it('INVALID_GROUP_ID for an empty group id', async () => {
    expect((await settle(join({ groupId: '' }))).errorCode).toBe(ErrorCode.InvalidGroupId);
    expect((await settle(sync('m', 1, [], { groupId: '' }))).errorCode).toBe(ErrorCode.InvalidGroupId);
    expect((await c().leaveGroup('', [{ memberId: 'm', groupInstanceId: null, reason: null }])).errorCode).toBe(ErrorCode.InvalidGroupId);
  });

  it('GROUP_MAX_SIZE_REACHED beyond group.max.size', async () => {
    f.config = { ...f.config, groupMaxSize: 2 };
    const [a, b] = await stableGroup(2);
    expect(await settle(join({ clientId: 'c' }))).toMatchObject({ errorCode: ErrorCode.GroupMaxSizeReached, memberId: '' });
    expect(state()).toBe('Stable');
    // Existing members still rejoin.
    const ja = join({ memberId: a.memberId });
    const jb = join({ memberId: b.memberId });
    expect((await settle(ja)).generationId).toBe(2);
    expect((await settle(jb)).generationId).toBe(2);
  });

  it('GROUP_MAX_SIZE_REACHED while rebalancing counts the members that have rejoined', async () => {
    f.config = { ...f.config, groupMaxSize: 1 };
    const ja = join({ clientId: 'a' });
    expect(await settle(join({ clientId: 'b' }))).toMatchObject({ errorCode: ErrorCode.GroupMaxSizeReached });
    f.clock.advance(0);
    expect((await settle(ja)).members).toHaveLength(1);
  });

  it('SyncGroup: UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, INCONSISTENT_GROUP_PROTOCOL, REBALANCE_IN_PROGRESS', async () => {
    const [a] = await stableGroup(1);
    expect((await settle(sync('x', 1))).errorCode).toBe(ErrorCode.UnknownMemberId);
    expect((await settle(sync(a.memberId, 1, [], { groupId: 'nogroup' }))).errorCode).toBe(ErrorCode.UnknownMemberId);
    expect((await settle(sync(a.memberId, 2))).errorCode).toBe(ErrorCode.IllegalGeneration);
    expect((await settle(sync(a.memberId, 1, [], { protocolType: 'connect' }))).errorCode).toBe(ErrorCode.InconsistentGroupProtocol);
    expect((await settle(sync(a.memberId, 1, [], { protocolName: 'roundrobin' }))).errorCode).toBe(ErrorCode.InconsistentGroupProtocol);
    expect(await settle(sync(a.memberId, 1, [], { protocolType: 'consumer', protocolName: 'range' }))).toMatchObject({ errorCode: 0, protocolName: 'range' });
    join({ clientId: 'b' });
    expect((await settle(sync(a.memberId, 1))).errorCode).toBe(ErrorCode.RebalanceInProgress);
  });

  it('COORDINATOR_LOAD_IN_PROGRESS while loading (SyncGroup answers REBALANCE_IN_PROGRESS instead)', async () => {
    c().groups.loading = true;
    expect((await settle(join())).errorCode).toBe(ErrorCode.CoordinatorLoadInProgress);
    expect((await settle(sync('m', 1))).errorCode).toBe(ErrorCode.RebalanceInProgress);
    expect((await c().leaveGroup('g', [{ memberId: 'm', groupInstanceId: null, reason: null }])).errorCode).toBe(ErrorCode.CoordinatorLoadInProgress);
    expect(c().describeGroup('g')).toMatchObject({ errorCode: ErrorCode.CoordinatorLoadInProgress, state: '' });
    expect(c().listGroups().errorCode).toBe(ErrorCode.CoordinatorLoadInProgress);
    c().groups.loading = false;
  });

  it('after shutdown, parked requests and new ones get COORDINATOR_NOT_AVAILABLE', async () => {
    f.config = { ...f.config, groupInitialRebalanceDelayMs: 3000 };
    const j = join();
    c().shutdown();
    expect((await settle(j)).errorCode).toBe(ErrorCode.CoordinatorNotAvailable);
    expect((await settle(join())).errorCode).toBe(ErrorCode.CoordinatorNotAvailable);
    expect(f.clock.pendingTimers).toBe(0);
  });
});

describe('LeaveGroup', () => {
  it('a leaving member triggers a rebalance; the last one leaves the group Empty, stored before the answer', async () => {
    const [a, b] = await stableGroup(2);
    const left = await c().leaveGroup('g', [{ memberId: b.memberId, groupInstanceId: null, reason: 'closing' }]);
    expect(left).toEqual({ errorCode: 0, members: [{ memberId: b.memberId, groupInstanceId: null, errorCode: 0 }] });
    expect(state()).toBe('PreparingRebalance');
    const ja = join({ memberId: a.memberId });
    expect((await settle(ja)).generationId).toBe(2);
    await c().leaveGroup('g', [{ memberId: a.memberId, groupInstanceId: null, reason: null }]);
    expect(state()).toBe('Empty');
    expect(c().storedGroup('g')).toMatchObject({ generation: 3, members: [], protocol: null, leader: null });
  });

  it('batched: by member id or by group instance id, one result each', async () => {
    const [a] = await stableGroup(3, (i) => ({ groupInstanceId: i === 1 ? 'static-1' : null }));
    const result = await c().leaveGroup('g', [
      { memberId: a.memberId, groupInstanceId: null, reason: null },
      { memberId: '', groupInstanceId: 'static-1', reason: null },
      { memberId: 'ghost', groupInstanceId: null, reason: null },
      { memberId: '', groupInstanceId: 'nobody', reason: null },
      { memberId: 'wrong', groupInstanceId: 'static-1', reason: null },
    ]);
    expect(result.members.map((m) => m.errorCode)).toEqual([0, 0, ErrorCode.UnknownMemberId, ErrorCode.UnknownMemberId, ErrorCode.UnknownMemberId]);
    expect(c().describeGroup('g').members).toHaveLength(1);
  });

  it('a static member leaving with a stale member id is FENCED_INSTANCE_ID', async () => {
    await stableGroup(1, () => ({ groupInstanceId: 'i1' }));
    const result = await c().leaveGroup('g', [{ memberId: 'stale', groupInstanceId: 'i1', reason: null }]);
    expect(result.members[0].errorCode).toBe(ErrorCode.FencedInstanceId);
  });

  it('an unknown group answers UNKNOWN_MEMBER_ID per member; a pending member can leave', async () => {
    expect(await c().leaveGroup('nogroup', [{ memberId: 'm', groupInstanceId: null, reason: null }])).toEqual({
      errorCode: 0,
      members: [{ memberId: 'm', groupInstanceId: null, errorCode: ErrorCode.UnknownMemberId }],
    });
    const pending = await settle(join({ requireKnownMemberId: true }));
    const result = await c().leaveGroup('g', [{ memberId: pending.memberId, groupInstanceId: null, reason: null }]);
    expect(result.members[0].errorCode).toBe(ErrorCode.None);
    expect((await settle(join({ memberId: pending.memberId }))).errorCode).toBe(ErrorCode.UnknownMemberId);
  });
});

describe('static membership (KIP-345)', () => {
  it('a static member that restarts with unchanged metadata rejoins without a rebalance; its old id is fenced', async () => {
    const [a, b] = await stableGroup(2, (i) => ({ groupInstanceId: `instance-${i}` }));
    const before = c().describeGroup('g');
    const rejoin = join({ groupInstanceId: 'instance-1', clientId: 'c1-restarted' });
    const r = await settle(rejoin);
    expect(r.errorCode).toBe(ErrorCode.None);
    expect(r.memberId).not.toBe(b.memberId);
    expect(r.memberId).toMatch(/^instance-1-/);
    expect(r).toMatchObject({ generationId: 1, leaderId: a.memberId, protocolName: 'range', members: [] });
    expect(state()).toBe('Stable');
    // It keeps its assignment.
    expect((await settle(sync(r.memberId, 1, [], { groupInstanceId: 'instance-1' }))).assignment).toEqual(before.members[1].assignment);
    // The old incarnation is fenced everywhere.
    expect(heartbeat(b.memberId, 1, 'instance-1')).toBe(ErrorCode.FencedInstanceId);
    expect((await settle(sync(b.memberId, 1, [], { groupInstanceId: 'instance-1' }))).errorCode).toBe(ErrorCode.FencedInstanceId);
    expect((await settle(join({ memberId: b.memberId, groupInstanceId: 'instance-1' }))).errorCode).toBe(ErrorCode.FencedInstanceId);
    // The change is stored.
    expect(c().storedGroup('g')!.members.map((m) => m.memberId)).toContain(r.memberId);
  });

  it('a restarted static leader is not told it leads before v9, and told to skip the assignment from v9', async () => {
    const [a] = await stableGroup(2, (i) => ({ groupInstanceId: `instance-${i}` }));
    const old = await settle(join({ groupInstanceId: 'instance-0' }));
    expect(old.leaderId).toBe(a.memberId);
    expect(old.leaderId).not.toBe(old.memberId);
    expect(old.skipAssignment).toBe(false);
    const v9 = await settle(join({ groupInstanceId: 'instance-0', supportSkippingAssignment: true }));
    expect(v9).toMatchObject({ leaderId: v9.memberId, skipAssignment: true });
    expect(v9.members).toHaveLength(2);
    expect(state()).toBe('Stable');
  });

  it('a static member whose protocols change the group\'s choice triggers a rebalance', async () => {
    const m = subscription(['t']);
    await stableGroup(2, (i) => ({ groupInstanceId: `i${i}`, protocols: [{ name: 'range', metadata: m }, { name: 'rr', metadata: m }] }));
    join({ groupInstanceId: 'i0', protocols: [{ name: 'rr', metadata: m }] });
    expect(state()).toBe('PreparingRebalance');
  });

  it('a static member parked in a rebalance is fenced when its instance rejoins with a new id', async () => {
    const [a] = await stableGroup(2, (i) => ({ groupInstanceId: `instance-${i}` }));
    join({ clientId: 'x' });
    const parked = join({ memberId: a.memberId, groupInstanceId: 'instance-0' });
    const replacement = join({ groupInstanceId: 'instance-0' });
    expect(await settle(parked)).toMatchObject({ errorCode: ErrorCode.FencedInstanceId, memberId: a.memberId });
    expect(replacement.done).toBe(false);
  });

  it('static members that do not rejoin are kept through a rebalance', async () => {
    const [a, b] = await stableGroup(2, (i) => ({ groupInstanceId: i === 1 ? 'static-b' : null, sessionTimeoutMs: 60_000 }));
    const ja = join({ memberId: a.memberId, sessionTimeoutMs: 60_000 });
    f.clock.advance(30_000);
    const ra = await settle(ja);
    expect(ra.members.map((m) => m.memberId).sort()).toEqual([a.memberId, b.memberId].sort());
    expect(ra.members.find((m) => m.memberId === b.memberId)!.groupInstanceId).toBe('static-b');
  });

  it('a known member id with an unknown instance id is UNKNOWN_MEMBER_ID', async () => {
    const [a] = await stableGroup(1);
    expect((await settle(join({ memberId: a.memberId, groupInstanceId: 'never-seen' }))).errorCode).toBe(ErrorCode.UnknownMemberId);
    expect(heartbeat(a.memberId, 1, 'never-seen')).toBe(ErrorCode.UnknownMemberId);
  });
});

describe('ListGroups and DescribeGroups', () => {
  it('state names as Kafka prints them, filters case-insensitive, metadata only while Stable', async () => {
    await stableGroup(1);
    join({ groupId: 'completing' });
    f.clock.advance(0);
    await flush();
    join({ groupId: 'g', clientId: 'newcomer' });
    await c().commitOffsets({ groupId: 'simple', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, apiVersion: 8, partitions: [{ topic: 't', partition: 0, offset: 5n, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }] });
    const listed = c().listGroups();
    expect(listed.groups.map((g) => [g.groupId, g.state, g.protocolType]).sort()).toEqual([
      ['completing', 'CompletingRebalance', 'consumer'],
      ['g', 'PreparingRebalance', 'consumer'],
      ['simple', 'Empty', ''],
    ]);
    expect(c().listGroups(['preparingrebalance', 'Empty']).groups.map((g) => g.groupId).sort()).toEqual(['g', 'simple']);
    expect(c().listGroups(['Stable']).groups).toEqual([]);
    expect(c().listGroups([], ['Classic']).groups).toHaveLength(3);
    expect(c().listGroups([], ['consumer']).groups).toHaveLength(0);
    const preparing = c().describeGroup('g');
    expect(preparing).toMatchObject({ state: 'PreparingRebalance', protocolType: 'consumer', protocol: '' });
    expect(preparing.members[0].metadata.length).toBe(0);
    expect(preparing.members[0].assignment.length).toBe(0);
    expect(c().describeGroup('missing')).toMatchObject({ errorCode: 0, exists: false, state: 'Dead', members: [] });
  });
});
