/**
 * The server-side assignors: balance, stickiness, subscriptions, and the range layout.
 */
import { describe, expect, it } from '@jest/globals';
import type { Assignment } from '../../../src/coordinator/consumer/assignment.js';
import { rangeAssignor, uniformAssignor, type AssignmentMemberSpec, type PartitionAssignor } from '../../../src/coordinator/consumer/assignors.js';

function member(memberId: string, topics: string[], current: Record<string, number[]> = {}): AssignmentMemberSpec {
  return {
    memberId,
    instanceId: null,
    rackId: null,
    subscribedTopicIds: new Set(topics),
    currentAssignment: new Map(Object.entries(current).map(([t, ps]) => [t, new Set(ps)])),
  };
}

function run(assignor: PartitionAssignor, members: AssignmentMemberSpec[], topics: Record<string, number>): Map<string, Record<string, number[]>> {
  const out = assignor.assign({ members, topics: new Map(Object.entries(topics)) });
  return new Map([...out].map(([id, a]) => [id, plain(a)]));
}

function plain(a: Assignment): Record<string, number[]> {
  const o: Record<string, number[]> = {};
  for (const [t, ps] of [...a].sort(([x], [y]) => (x < y ? -1 : 1))) if (ps.size > 0) o[t] = [...ps].sort((x, y) => x - y);
  return o;
}

const count = (a: Record<string, number[]>) => Object.values(a).reduce((n, ps) => n + ps.length, 0);

/** Every partition of the topics is assigned exactly once. */
function expectComplete(result: Map<string, Record<string, number[]>>, topics: Record<string, number>): void {
  const seen = new Map<string, number>();
  for (const a of result.values()) for (const [t, ps] of Object.entries(a)) for (const p of ps) seen.set(`${t}:${p}`, (seen.get(`${t}:${p}`) ?? 0) + 1);
  const expected = Object.entries(topics).flatMap(([t, n]) => Array.from({ length: n }, (_, p) => `${t}:${p}`));
  expect([...seen.keys()].sort()).toEqual(expected.sort());
  for (const n of seen.values()) expect(n).toBe(1);
}

describe('uniform assignor, homogeneous subscriptions', () => {
  it('splits 60 partitions over 10 members, 6 each', () => {
    const members = Array.from({ length: 10 }, (_, i) => member(`m${i}`, ['a']));
    const r = run(uniformAssignor, members, { a: 60 });
    expectComplete(r, { a: 60 });
    for (const a of r.values()) expect(count(a)).toBe(6);
  });

  it('counts differ by at most one, over several topics', () => {
    const members = Array.from({ length: 4 }, (_, i) => member(`m${i}`, ['a', 'b']));
    const r = run(uniformAssignor, members, { a: 5, b: 6 });
    expectComplete(r, { a: 5, b: 6 });
    const counts = [...r.values()].map(count).sort();
    expect(counts).toEqual([2, 3, 3, 3]);
  });

  it('a new member takes partitions only from members above the new quota; the others keep theirs', () => {
    const r = run(uniformAssignor, [member('m0', ['a'], { a: [0, 1, 2] }), member('m1', ['a'], { a: [3, 4, 5] }), member('m2', ['a'])], { a: 6 });
    expectComplete(r, { a: 6 });
    for (const a of r.values()) expect(count(a)).toBe(2);
    expect(r.get('m0')!.a.every((p) => [0, 1, 2].includes(p))).toBe(true);
    expect(r.get('m1')!.a.every((p) => [3, 4, 5].includes(p))).toBe(true);
  });

  it('a member leaving: the others keep what they had and share its partitions', () => {
    const r = run(uniformAssignor, [member('m0', ['a'], { a: [0, 1] }), member('m2', ['a'], { a: [4, 5] })], { a: 6 });
    expectComplete(r, { a: 6 });
    expect(r.get('m0')!.a).toEqual(expect.arrayContaining([0, 1]));
    expect(r.get('m2')!.a).toEqual(expect.arrayContaining([4, 5]));
    expect(count(r.get('m0')!)).toBe(3);
  });

  it('more members than partitions: some get none', () => {
    const r = run(uniformAssignor, Array.from({ length: 5 }, (_, i) => member(`m${i}`, ['a'])), { a: 3 });
    expectComplete(r, { a: 3 });
    expect([...r.values()].map(count).sort()).toEqual([0, 0, 1, 1, 1]);
  });

  it('ignores current partitions that no longer exist or are claimed twice', () => {
    const r = run(uniformAssignor, [member('m0', ['a'], { a: [0, 7] }), member('m1', ['a'], { a: [0] })], { a: 2 });
    expectComplete(r, { a: 2 });
    expect(r.get('m0')).toEqual({ a: [0] });
    expect(r.get('m1')).toEqual({ a: [1] });
  });

  it('members subscribed to nothing, or to topics that do not exist, get nothing', () => {
    const r = run(uniformAssignor, [member('m0', []), member('m1', [])], { a: 3 });
    expect(r.get('m0')).toEqual({});
    expect(r.get('m1')).toEqual({});
  });
});

describe('uniform assignor, heterogeneous subscriptions', () => {
  it('assigns each topic only to its subscribers and balances the totals', () => {
    const members = [member('m0', ['a']), member('m1', ['a', 'b']), member('m2', ['b'])];
    const r = run(uniformAssignor, members, { a: 4, b: 4 });
    expectComplete(r, { a: 4, b: 4 });
    expect(r.get('m0')!.b).toBeUndefined();
    expect(r.get('m2')!.a).toBeUndefined();
    const counts = [...r.values()].map(count);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  });

  it('stays sticky: a balanced assignment does not move', () => {
    const members = [member('m0', ['a'], { a: [0, 1] }), member('m1', ['a', 'b'], { a: [2, 3], b: [0] }), member('m2', ['b'], { b: [1, 2, 3] })];
    const r = run(uniformAssignor, members, { a: 4, b: 4 });
    expect(r.get('m0')).toEqual({ a: [0, 1] });
    expect(r.get('m2')).toEqual({ b: [1, 2, 3] });
  });

  it('moves partitions off an overloaded member to a subscriber with fewer', () => {
    const members = [member('m0', ['a', 'b'], { a: [0, 1, 2, 3], b: [0, 1, 2, 3] }), member('m1', ['b'])];
    const r = run(uniformAssignor, members, { a: 4, b: 4 });
    expectComplete(r, { a: 4, b: 4 });
    expect(r.get('m0')!.a).toEqual([0, 1, 2, 3]);
    expect(count(r.get('m1')!)).toBe(4);
  });
});

describe('range assignor', () => {
  it('contiguous ranges in member id order, the first members one more', () => {
    const r = run(rangeAssignor, [member('b', ['t']), member('a', ['t']), member('c', ['t'])], { t: 7 });
    expect(r.get('a')).toEqual({ t: [0, 1, 2] });
    expect(r.get('b')).toEqual({ t: [3, 4] });
    expect(r.get('c')).toEqual({ t: [5, 6] });
  });

  it('co-partitioned topics are split alike', () => {
    const r = run(rangeAssignor, [member('a', ['x', 'y']), member('b', ['x', 'y'])], { x: 4, y: 4 });
    expect(r.get('a')).toEqual({ x: [0, 1], y: [0, 1] });
    expect(r.get('b')).toEqual({ x: [2, 3], y: [2, 3] });
  });

  it('sticky: members keep their lowest partitions up to the quota', () => {
    const r = run(rangeAssignor, [member('a', ['t'], { t: [0, 1, 2] }), member('b', ['t'], { t: [3, 4, 5] }), member('c', ['t'])], { t: 6 });
    expectComplete(r, { t: 6 });
    expect(r.get('a')).toEqual({ t: [0, 1] });
    expect(r.get('b')).toEqual({ t: [3, 4] });
    expect(r.get('c')).toEqual({ t: [2, 5] });
  });

  it('only subscribers of a topic share it', () => {
    const r = run(rangeAssignor, [member('a', ['x']), member('b', ['x', 'y'])], { x: 2, y: 3 });
    expect(r.get('a')).toEqual({ x: [0] });
    expect(r.get('b')).toEqual({ x: [1], y: [0, 1, 2] });
  });
});
