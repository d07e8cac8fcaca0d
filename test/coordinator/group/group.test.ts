import { describe, expect, it } from '@jest/globals';
import { ClassicGroup } from '../../../src/coordinator/group/group.js';
import { MemberMetadata } from '../../../src/coordinator/group/member.js';
import { subscription } from '../helpers.js';

const member = (id: string, protocols: [string, Buffer][], instance: string | null = null) =>
  new MemberMetadata(id, instance, 'client', '/h', 30_000, 10_000, 'consumer', protocols.map(([name, metadata]) => ({ name, metadata })));

describe('ClassicGroup', () => {
  it('refuses transitions Kafka does not allow', () => {
    const g = new ClassicGroup('g', 0);
    expect(() => { g.transitionTo('Stable', 1); }).toThrow(/should be in CompletingRebalance/);
    g.transitionTo('PreparingRebalance', 5);
    expect(g).toMatchObject({ state: 'PreparingRebalance', previousState: 'Empty', currentStateTimestamp: 5 });
    g.transitionTo('Dead', 6);
    g.transitionTo('Dead', 7);
    expect(g.state).toBe('Dead');
  });

  it('the first member sets the protocol type and leads; the next in line leads when it goes', () => {
    const g = new ClassicGroup('g', 0);
    g.add(member('a', [['range', Buffer.from('a')]]), null);
    g.add(member('b', [['range', Buffer.from('b')]], 'ib'), null);
    expect(g).toMatchObject({ protocolType: 'consumer', leaderId: 'a' });
    expect(g.currentStaticMemberId('ib')).toBe('b');
    g.remove('a');
    expect(g.leaderId).toBe('b');
    g.remove('b');
    expect(g.leaderId).toBeNull();
    expect(g.hasStaticMember('ib')).toBe(false);
  });

  it('supportsProtocols: an empty group needs a type and a protocol; otherwise the same type and a protocol all members support', () => {
    const g = new ClassicGroup('g', 0);
    expect(g.supportsProtocols('consumer', ['range'])).toBe(true);
    expect(g.supportsProtocols('', ['range'])).toBe(false);
    expect(g.supportsProtocols('consumer', [])).toBe(false);
    g.add(member('a', [['range', Buffer.alloc(0)], ['rr', Buffer.alloc(0)]]), null);
    g.transitionTo('PreparingRebalance', 1);
    expect(g.supportsProtocols('consumer', ['rr'])).toBe(true);
    expect(g.supportsProtocols('consumer', ['sticky'])).toBe(false);
    expect(g.supportsProtocols('connect', ['rr'])).toBe(false);
  });

  it('selectProtocol: most votes among the protocols every member supports; ties to the earliest vote', () => {
    const g = new ClassicGroup('g', 0);
    const e = Buffer.alloc(0);
    g.add(member('a', [['x', e], ['y', e]]), null);
    g.add(member('b', [['y', e], ['x', e]]), null);
    expect(g.selectProtocol()).toBe('x');
    g.add(member('c', [['y', e], ['x', e]]), null);
    expect(g.selectProtocol()).toBe('y');
    expect(g.candidateProtocols()).toEqual(new Set(['x', 'y']));
  });

  it('hasAllMembersJoined counts parked joins and pending member ids', () => {
    const g = new ClassicGroup('g', 0);
    g.add(member('a', [['r', Buffer.alloc(0)]]), () => undefined);
    expect(g.hasAllMembersJoined()).toBe(true);
    g.addPendingMember('p', null);
    expect(g.hasAllMembersJoined()).toBe(false);
    g.remove('p');
    g.add(member('b', [['r', Buffer.alloc(0)]]), null);
    expect(g.hasAllMembersJoined()).toBe(false);
    expect(g.notYetRejoinedMembers().map((m) => m.memberId)).toEqual(['b']);
  });

  it('replaceStaticMember keeps place, leadership and assignment, and fences parked requests of the old id', () => {
    const g = new ClassicGroup('g', 0);
    const answers: number[] = [];
    const m = member('old', [['r', Buffer.alloc(0)]], 'i');
    m.assignment = Buffer.from('mine');
    g.add(m, (r) => answers.push(r.errorCode));
    g.add(member('other', [['r', Buffer.alloc(0)]]), null);
    const replaced = g.replaceStaticMember('i', 'old', 'new');
    expect(answers).toEqual([82]);
    expect([...g.members.keys()]).toEqual(['new', 'other']);
    expect(g.leaderId).toBe('new');
    expect(replaced.assignment.toString()).toBe('mine');
    expect(g.numMembersAwaitingJoin).toBe(0);
  });

  it('subscribed topics come from the members\' consumer-protocol metadata', () => {
    const g = new ClassicGroup('g', 0);
    g.add(member('a', [['range', subscription(['t1', 't2'])]]), null);
    g.add(member('b', [['range', subscription(['t3'])]]), null);
    g.protocolName = 'range';
    expect(g.computeSubscribedTopics()).toEqual(new Set(['t1', 't2', 't3']));
    g.add(member('c', [['range', Buffer.from([1])]]), null);
    expect(g.computeSubscribedTopics()).toBeNull();
  });

  it('toRecordValue and fromRecord round trip a stable group', () => {
    const g = new ClassicGroup('g', 0);
    const a = member('a', [['range', subscription(['t'])]], 'ia');
    a.assignment = Buffer.from('aa');
    g.add(a, null);
    g.protocolName = 'range';
    g.generationId = 4;
    const value = g.toRecordValue(new Map([['a', Buffer.from('aa')]]));
    expect(value).toMatchObject({ protocolType: 'consumer', generation: 4, protocol: 'range', leader: 'a', currentStateTimestamp: 0n });
    const back = ClassicGroup.fromRecord('g', value, 99);
    expect(back).toMatchObject({ state: 'Stable', generationId: 4, protocolType: 'consumer', protocolName: 'range', leaderId: 'a', currentStateTimestamp: 0 });
    expect(back.get('a')).toMatchObject({ groupInstanceId: 'ia', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 30_000 });
    expect(back.get('a').assignment.toString()).toBe('aa');
    expect(back.subscribedTopics).toEqual(new Set(['t']));
    // The empty-group record has no members, protocol or leader.
    expect(g.toRecordValue(null)).toMatchObject({ members: [], protocol: null, leader: null });
    expect(ClassicGroup.fromRecord('g', g.toRecordValue(null), 99)).toMatchObject({ state: 'Empty', generationId: 4, leaderId: null });
  });
});
