/**
 * Server-side partition assignors of KIP-848 consumer groups, chosen by the members' serverAssignor
 * (group.consumer.assignors; the first is the default):
 *
 * - `uniform` (Kafka's UniformAssignor): every member gets as close to the same number of partitions
 *   as the subscriptions allow, and keeps as many of its current partitions as it can (sticky).
 *   With identical subscriptions (homogeneous) the counts differ by at most one: each member keeps
 *   up to its quota, the members holding the most keep the extra partitions, and the rest are dealt
 *   out round robin. With different subscriptions (heterogeneous) each free partition goes to the
 *   subscribed member with the fewest partitions (topics with the fewest subscribers first), then
 *   partitions move from a member to a subscribed member holding at least two fewer until none can.
 * - `range` (Kafka's server-side RangeAssignor): per topic, each subscribed member gets a contiguous
 *   range of about partitions/members, the first `partitions % members` members one more; a member
 *   keeps its lowest current partitions up to its quota (sticky) and the free partitions are handed
 *   out in ascending ranges. Members are taken in member id order, as the classic range assignor does,
 *   so co-partitioned topics are split alike.
 *
 * Assignors are pure: they read the spec (members in group order, each with its subscribed topic ids
 * and current target assignment; topic partition counts) and return every member's new target.
 * Topics that do not exist are never in a member's subscribed topic ids.
 */
import type { Assignment } from './assignment.js';
import { mustGet } from '../../util/must-get.js';

export interface AssignmentMemberSpec {
  readonly memberId: string;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  readonly subscribedTopicIds: ReadonlySet<string>;
  /** The member's current target assignment (empty for a new member). */
  readonly currentAssignment: Assignment;
}

export interface AssignmentSpec {
  /** In group order (the order members joined). */
  readonly members: readonly AssignmentMemberSpec[];
  /** Partition count of every subscribed topic, by topic id. */
  readonly topics: ReadonlyMap<string, number>;
}

export interface PartitionAssignor {
  readonly name: string;
  assign(spec: AssignmentSpec): Map<string, Assignment>;
}

type MutableAssignment = Map<string, Set<number>>;

function add(a: MutableAssignment, topicId: string, partition: number): void {
  let s = a.get(topicId);
  if (!s) a.set(topicId, (s = new Set()));
  s.add(partition);
}

function remove(a: MutableAssignment, topicId: string, partition: number): void {
  const s = a.get(topicId);
  if (!s) return;
  s.delete(partition);
  if (s.size === 0) a.delete(topicId);
}

function isHomogeneous(members: readonly AssignmentMemberSpec[]): boolean {
  const first = members[0].subscribedTopicIds;
  for (const m of members) {
    if (m.subscribedTopicIds.size !== first.size) return false;
    for (const t of m.subscribedTopicIds) if (!first.has(t)) return false;
  }
  return true;
}

/** Partition key for the owner map. */
const key = (topicId: string, partition: number): string => `${topicId}:${partition}`;

// -----------------------------------------------------------------------------------------------
// uniform

export const uniformAssignor: PartitionAssignor = {
  name: 'uniform',
  assign(spec) {
    const out = new Map<string, Assignment>();
    if (spec.members.length === 0) return out;
    const result = isHomogeneous(spec.members) ? assignHomogeneous(spec) : assignHeterogeneous(spec);
    for (const m of spec.members) out.set(m.memberId, mustGet(result, m.memberId));
    return out;
  },
};

/** Every partition of these topics, topics in the given order, partitions ascending. */
function allPartitions(topicIds: Iterable<string>, topics: ReadonlyMap<string, number>): [string, number][] {
  const out: [string, number][] = [];
  for (const t of topicIds) {
    const n = topics.get(t) ?? 0;
    for (let p = 0; p < n; p++) out.push([t, p]);
  }
  return out;
}

/**
 * Keeps each member's current partitions that are still valid (subscribed topic, existing
 * partition, not claimed by an earlier member), in ascending order per topic.
 */
function stickyClaims(spec: AssignmentSpec): { kept: Map<string, [string, number][]>; claimed: Set<string> } {
  const claimed = new Set<string>();
  const kept = new Map<string, [string, number][]>();
  for (const m of spec.members) {
    const list: [string, number][] = [];
    for (const [topicId, ps] of m.currentAssignment) {
      if (!m.subscribedTopicIds.has(topicId)) continue;
      const n = spec.topics.get(topicId) ?? 0;
      for (const p of [...ps].sort((a, b) => a - b)) {
        const k = key(topicId, p);
        if (p >= n || claimed.has(k)) continue;
        claimed.add(k);
        list.push([topicId, p]);
      }
    }
    kept.set(m.memberId, list);
  }
  return { kept, claimed };
}

function assignHomogeneous(spec: AssignmentSpec): Map<string, MutableAssignment> {
  const members = spec.members;
  const topicIds = [...members[0].subscribedTopicIds].filter((t) => spec.topics.has(t)).sort();
  const partitions = allPartitions(topicIds, spec.topics);
  const n = members.length;
  const minQuota = Math.floor(partitions.length / n);
  let extras = partitions.length % n;
  const { kept, claimed } = stickyClaims(spec);

  // The members keeping the most partitions keep an extra one, if there are extras to give.
  const quota = new Map<string, number>();
  const byKept = [...members].sort((a, b) => mustGet(kept, b.memberId).length - mustGet(kept, a.memberId).length);
  for (const m of byKept) {
    if (mustGet(kept, m.memberId).length > minQuota && extras > 0) {
      quota.set(m.memberId, minQuota + 1);
      extras--;
    } else {
      quota.set(m.memberId, minQuota);
    }
  }
  const result = new Map<string, MutableAssignment>();
  for (const m of members) {
    const list = mustGet(kept, m.memberId);
    const q = mustGet(quota, m.memberId);
    // Over quota: the highest partitions go back to the pool.
    for (const [t, p] of list.splice(q)) claimed.delete(key(t, p));
    const a: MutableAssignment = new Map();
    for (const [t, p] of list) add(a, t, p);
    result.set(m.memberId, a);
  }
  const free = partitions.filter(([t, p]) => !claimed.has(key(t, p)));
  const count = (id: string): number => {
    let c = 0;
    for (const s of mustGet(result, id).values()) c += s.size;
    return c;
  };
  // Deal the free partitions round robin to the members below their quota, then the extras.
  let i = 0;
  const below = members.filter((m) => count(m.memberId) < mustGet(quota, m.memberId)).map((m) => m.memberId);
  const counts = new Map(members.map((m) => [m.memberId, count(m.memberId)]));
  while (i < free.length && below.length > 0) {
    for (let j = 0; j < below.length && i < free.length; ) {
      const id = below[j];
      const [t, p] = free[i++];
      add(mustGet(result, id), t, p);
      const c = mustGet(counts, id) + 1;
      counts.set(id, c);
      if (c >= mustGet(quota, id)) below.splice(j, 1);
      else j++;
    }
  }
  for (const m of members) {
    if (i >= free.length) break;
    if (extras > 0 && quota.get(m.memberId) === minQuota) {
      const [t, p] = free[i++];
      add(mustGet(result, m.memberId), t, p);
      extras--;
    }
  }
  return result;
}

function assignHeterogeneous(spec: AssignmentSpec): Map<string, MutableAssignment> {
  const members = spec.members;
  const { kept, claimed } = stickyClaims(spec);
  const result = new Map<string, MutableAssignment>();
  const counts = new Map<string, number>();
  const owner = new Map<string, string>();
  for (const m of members) {
    const a: MutableAssignment = new Map();
    for (const [t, p] of mustGet(kept, m.memberId)) {
      add(a, t, p);
      owner.set(key(t, p), m.memberId);
    }
    result.set(m.memberId, a);
    counts.set(m.memberId, mustGet(kept, m.memberId).length);
  }
  const subscribers = new Map<string, string[]>();
  for (const m of members) {
    for (const t of m.subscribedTopicIds) {
      if (!spec.topics.has(t)) continue;
      let list = subscribers.get(t);
      if (!list) subscribers.set(t, (list = []));
      list.push(m.memberId);
    }
  }
  // Topics with the fewest subscribers first: their partitions have the fewest places to go.
  const topicOrder = [...subscribers.keys()].sort((a, b) => mustGet(subscribers, a).length - mustGet(subscribers, b).length || (a < b ? -1 : a > b ? 1 : 0));
  const fewest = (candidates: readonly string[]): string => {
    let best = candidates[0];
    for (const c of candidates) if (mustGet(counts, c) < mustGet(counts, best)) best = c;
    return best;
  };
  for (const t of topicOrder) {
    const n = mustGet(spec.topics, t);
    const subs = mustGet(subscribers, t);
    for (let p = 0; p < n; p++) {
      const k = key(t, p);
      if (claimed.has(k)) continue;
      const m = fewest(subs);
      add(mustGet(result, m), t, p);
      counts.set(m, mustGet(counts, m) + 1);
      owner.set(k, m);
    }
  }
  // Balance: move a partition to a subscribed member holding at least two fewer, until none can move.
  const maxRounds = owner.size + 1;
  for (let round = 0; round < maxRounds; round++) {
    let moved = false;
    for (const t of topicOrder) {
      const subs = mustGet(subscribers, t);
      if (subs.length < 2) continue;
      const n = mustGet(spec.topics, t);
      for (let p = n - 1; p >= 0; p--) {
        const k = key(t, p);
        const from = mustGet(owner, k);
        const to = fewest(subs);
        if (mustGet(counts, to) + 1 < mustGet(counts, from)) {
          remove(mustGet(result, from), t, p);
          add(mustGet(result, to), t, p);
          counts.set(from, mustGet(counts, from) - 1);
          counts.set(to, mustGet(counts, to) + 1);
          owner.set(k, to);
          moved = true;
        }
      }
    }
    if (!moved) break;
  }
  return result;
}

// -----------------------------------------------------------------------------------------------
// range

export const rangeAssignor: PartitionAssignor = {
  name: 'range',
  assign(spec) {
    const result = new Map<string, MutableAssignment>();
    for (const m of spec.members) result.set(m.memberId, new Map());
    const sorted = [...spec.members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
    const membersPerTopic = new Map<string, AssignmentMemberSpec[]>();
    for (const m of sorted) {
      for (const t of m.subscribedTopicIds) {
        if (!spec.topics.has(t)) continue;
        let list = membersPerTopic.get(t);
        if (!list) membersPerTopic.set(t, (list = []));
        list.push(m);
      }
    }
    for (const [topicId, subscribed] of membersPerTopic) {
      const numPartitions = mustGet(spec.topics, topicId);
      const minQuota = Math.floor(numPartitions / subscribed.length);
      let withExtra = numPartitions % subscribed.length;
      const sticky = new Set<number>();
      const unfilled: { memberId: string; remaining: number }[] = [];
      for (const m of subscribed) {
        const current = [...(m.currentAssignment.get(topicId) ?? [])].filter((p) => p < numPartitions).sort((a, b) => a - b);
        const target = mustGet(result, m.memberId);
        const retained = Math.min(current.length, minQuota);
        for (let i = 0; i < retained; i++) {
          sticky.add(current[i]);
          add(target, topicId, current[i]);
        }
        const remaining = minQuota - current.length;
        if (remaining < 0 && withExtra > 0) {
          withExtra--;
          sticky.add(current[minQuota]);
          add(target, topicId, current[minQuota]);
        } else {
          unfilled.push({ memberId: m.memberId, remaining });
        }
      }
      const free: number[] = [];
      for (let p = 0; p < numPartitions; p++) if (!sticky.has(p)) free.push(p);
      let next = 0;
      for (const u of unfilled) {
        let remaining = u.remaining;
        if (withExtra > 0) {
          remaining++;
          withExtra--;
        }
        for (let i = 0; i < remaining && next < free.length; i++) add(mustGet(result, u.memberId), topicId, free[next++]);
      }
    }
    return result;
  },
};

export const ASSIGNORS: ReadonlyMap<string, PartitionAssignor> = new Map([
  [uniformAssignor.name, uniformAssignor],
  [rangeAssignor.name, rangeAssignor],
]);
