/**
 * The load generator of groups.bench.ts, run in a process of its own (`node --import tsx
 * scripts/bench/group-load.ts '<json task>'`) so that building, sending and timing requests never
 * runs on the broker's event loop. It speaks the protocol with Gregor's codec (dist/) over plain
 * sockets: no client library between the timer and the wire. It prints one JSON line of results.
 *
 * Tasks:
 * - rebalance: 10 members (JoinGroup v5 after MEMBER_ID_REQUIRED, SyncGroup v3, the leader assigns
 *   the topic's partitions with the range layout) form a group, then rebalance `rounds` times: the
 *   leader rejoins, a follower's Heartbeat gets REBALANCE_IN_PROGRESS, and every follower rejoins;
 *   per round: the time from the last JoinGroup written to the last SyncGroup answer. A round the
 *   coordinator interrupts (REBALANCE_IN_PROGRESS, ...) is run again, as clients do.
 * - kip848: 10 members join a consumer group (ConsumerGroupHeartbeat v1) at once and heartbeat back
 *   to back, reporting the partitions they own, until every member owns its share; time and
 *   heartbeats from the last join.
 * - commit: `groups` groups of one member each (joined and synced), each committing `partitions`
 *   partitions with its generation (OffsetCommit v9) every `intervalMs` (0: back to back), for
 *   `seconds` after `warmupSeconds` of untimed back-to-back commits; the latency of every commit
 *   (write to answer), and the slow ones (over 5 ms) with their time.
 */
import { connect, type Socket } from 'node:net';
import { decodeResponse, encodeRequest } from '../../dist/protocol/codec.js';
import { ApiKey } from '../../dist/protocol/generated/api-table.js';
import { encodeAssignment, encodeSubscription } from '../../dist/client/group.js';
import { cpuSeconds } from './harness.js';

interface Task {
  task: 'rebalance' | 'kip848' | 'commit';
  port: number;
  topic: string;
  partitions: number;
  topicId?: string;
  members?: number;
  rounds?: number;
  groups?: number;
  intervalMs?: number;
  seconds?: number;
  warmupSeconds?: number;
  /** The broker's pid: its CPU time over the timed part is reported. */
  brokerPid?: number;
}

/** The broker's CPU seconds, or NaN when its pid is unknown. */
const brokerCpuSeconds = (pid: number | undefined): number => (pid === undefined ? NaN : cpuSeconds(pid));

const now = (): number => Number(process.hrtime.bigint()) / 1e6;

class Conn {
  private buffered: Buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<number, (frame: Buffer) => void>();

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => { this.onData(chunk); });
  }

  static open(port: number): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => { resolve(new Conn(s)); });
      s.once('error', reject);
    });
  }

  /** Sends a request; resolves with the response body (`decode` false: the raw frame). */
  send(apiKey: number, version: number, body: unknown): Promise<any> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, (frame) => { resolve(decodeResponse(frame, apiKey as never, version).body); });
      this.socket.write(encodeRequest({ apiKey: apiKey as never, apiVersion: version, correlationId: id, clientId: 'bench' }, body as never));
    });
  }

  /** Writes a pre-encoded request frame after setting its correlation id; resolves with the raw frame. */
  sendFrame(frame: Buffer): Promise<Buffer> {
    const id = this.nextId++;
    frame.writeInt32BE(id, 8);
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.socket.write(frame);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0);
      if (this.buffered.length < 4 + size) return;
      const frame = this.buffered.subarray(4, 4 + size);
      this.buffered = this.buffered.subarray(4 + size);
      const id = frame.readInt32BE(0);
      const done = this.pending.get(id);
      this.pending.delete(id);
      done?.(frame);
    }
  }
}

const tf = { _unknownTaggedFields: undefined };

function joinBody(groupId: string, memberId: string, subscription: Buffer) {
  return {
    groupId,
    sessionTimeoutMs: 30_000,
    rebalanceTimeoutMs: 60_000,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription, ...tf }],
    reason: null,
    ...tf,
  };
}

/** Range assignment of one topic over the members, in member id order. */
function rangeAssignment(memberIds: string[], topic: string, partitions: number): Map<string, Buffer> {
  const sorted = [...memberIds].sort();
  const per = Math.floor(partitions / sorted.length);
  const extra = partitions % sorted.length;
  const out = new Map<string, Buffer>();
  sorted.forEach((id, i) => {
    const start = per * i + Math.min(i, extra);
    const n = per + (i < extra ? 1 : 0);
    out.set(id, encodeAssignment(Array.from({ length: n }, (_, k) => ({ topic, partition: start + k }))));
  });
  return out;
}

interface Member {
  conn: Conn;
  memberId: string;
  generationId: number;
}

/** Why a round failed, when a real client would simply rejoin. */
class RejoinNeeded extends Error {}

/**
 * One join-and-sync round of every member. Resolves with the time from the last JoinGroup written
 * to the last SyncGroup answer, and from the first JoinGroup answer to the last SyncGroup answer.
 */
async function joinAndSyncOnce(groupId: string, members: Member[], subscription: Buffer, topic: string, partitions: number, leaderId: string | null): Promise<{ total: number; afterJoin: number }> {
  let lastJoin = 0;
  let firstJoinAnswer = 0;
  const join = (m: Member) =>
    m.conn.send(ApiKey.JoinGroup, 5, joinBody(groupId, m.memberId, subscription)).then((r) => {
      firstJoinAnswer ||= now();
      return r;
    });
  // A stable group rebalances when its leader rejoins; the others learn it from their heartbeat
  // (REBALANCE_IN_PROGRESS) and rejoin too.
  const leader = leaderId === null ? undefined : members.find((m) => m.memberId === leaderId);
  const leaderJoin = leader ? join(leader) : undefined;
  if (leader) {
    const follower = members.find((m) => m !== leader)!;
    for (;;) {
      const hb = await follower.conn.send(ApiKey.Heartbeat, 3, { groupId, generationId: follower.generationId, memberId: follower.memberId, groupInstanceId: null, ...tf });
      if (hb.errorCode === 27) break;
    }
  }
  const joins = members.map((m) => {
    if (m === leader) return leaderJoin!;
    const p = join(m);
    lastJoin = now();
    return p;
  });
  const results = await Promise.all(joins);
  for (const r of results) if (r.errorCode !== 0) throw new RejoinNeeded(`JoinGroup: ${r.errorCode}`);
  const elected = results.find((r) => r.leader === r.memberId)!;
  const assignment = rangeAssignment(elected.members.map((m: { memberId: string }) => m.memberId), topic, partitions);
  const syncs = members.map((m, i) => {
    m.generationId = results[i].generationId;
    const isLeader = results[i].memberId === elected.memberId;
    return m.conn.send(ApiKey.SyncGroup, 3, {
      groupId,
      generationId: m.generationId,
      memberId: m.memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: isLeader ? [...assignment].map(([memberId, a]) => ({ memberId, assignment: a, ...tf })) : [],
      ...tf,
    });
  });
  const synced = await Promise.all(syncs);
  const end = now();
  for (const s of synced) if (s.errorCode !== 0) throw new RejoinNeeded(`SyncGroup: ${s.errorCode}`);
  currentLeader = elected.memberId;
  return { total: end - lastJoin, afterJoin: end - firstJoinAnswer };
}

let currentLeader: string | null = null;

/** A round, rejoining as a client would when the coordinator says so; `retries` counts those. */
async function joinAndSync(groupId: string, members: Member[], subscription: Buffer, topic: string, partitions: number): Promise<{ total: number; afterJoin: number; retries: number }> {
  for (let retries = 0; ; retries++) {
    try {
      const leaderId = members.length > 1 && members.every((m) => m.generationId >= 0) ? currentLeader : null;
      return { ...(await joinAndSyncOnce(groupId, members, subscription, topic, partitions, leaderId)), retries };
    } catch (err) {
      if (!(err instanceof RejoinNeeded) || retries >= 10) throw err;
    }
  }
}

/** Opens members and gets each its member id (JoinGroup v5's MEMBER_ID_REQUIRED). */
async function newMembers(port: number, groupId: string, n: number, subscription: Buffer): Promise<Member[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const conn = await Conn.open(port);
      const r = await conn.send(ApiKey.JoinGroup, 5, joinBody(groupId, '', subscription));
      if (r.errorCode !== 79) throw new Error(`expected MEMBER_ID_REQUIRED, got ${r.errorCode}`);
      return { conn, memberId: r.memberId as string, generationId: -1 };
    }),
  );
}

async function rebalance(t: Task): Promise<unknown> {
  const groupId = `rebalance-${process.pid}`;
  const subscription = encodeSubscription([t.topic], [], -1);
  const members = await newMembers(t.port, groupId, t.members ?? 10, subscription);
  const initial = await joinAndSync(groupId, members, subscription, t.topic, t.partitions);
  const rounds: number[] = [];
  let retries = 0;
  for (let i = 0; i < (t.rounds ?? 20); i++) {
    const r = await joinAndSync(groupId, members, subscription, t.topic, t.partitions);
    rounds.push(r.total);
    retries += r.retries;
  }
  for (const m of members) m.conn.close();
  return { initial, rounds, retries };
}

async function kip848(t: Task): Promise<unknown> {
  const groupId = `kip848-${process.pid}`;
  const n = t.members ?? 10;
  const conns = await Promise.all(Array.from({ length: n }, () => Conn.open(t.port)));
  const state = conns.map((conn, i) => ({ conn, memberId: `member-${i}`, epoch: 0, owned: [] as number[] }));
  const heartbeat = async (m: (typeof state)[number], join: boolean) => {
    const r = await m.conn.send(ApiKey.ConsumerGroupHeartbeat, 1, {
      groupId,
      memberId: m.memberId,
      memberEpoch: join ? 0 : m.epoch,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: join ? 60_000 : -1,
      subscribedTopicNames: join ? [t.topic] : null,
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: join ? [] : [{ topicId: t.topicId!, partitions: m.owned, ...tf }],
      ...tf,
    });
    if (r.errorCode !== 0) throw new Error(`ConsumerGroupHeartbeat failed: ${r.errorCode} ${r.errorMessage}`);
    m.epoch = r.memberEpoch;
    if (r.assignment) m.owned = r.assignment.topicPartitions.flatMap((tp: { partitions: number[] }) => tp.partitions);
  };
  let lastJoin = 0;
  await Promise.all(
    state.map((m) => {
      const p = heartbeat(m, true);
      lastJoin = now();
      return p;
    }),
  );
  const share = t.partitions / n;
  const done = () => state.every((m) => m.owned.length === share) && new Set(state.map((m) => m.epoch)).size === 1;
  let heartbeats = n;
  while (!done()) {
    await Promise.all(state.map((m) => heartbeat(m, false)));
    heartbeats += n;
    if (heartbeats > 1000 * n) throw new Error('the consumer group did not converge');
  }
  const ms = now() - lastJoin;
  for (const c of conns) c.close();
  return { ms, heartbeats, epoch: state[0].epoch };
}

async function commit(t: Task): Promise<unknown> {
  const groups = t.groups ?? 50;
  const subscription = encodeSubscription([t.topic], [], -1);
  // One member per group, joined and synced, so that commits carry a real generation.
  const members = await Promise.all(
    Array.from({ length: groups }, async (_, g) => {
      const groupId = `commit-${process.pid}-${g}`;
      const [m] = await newMembers(t.port, groupId, 1, subscription);
      await joinAndSync(groupId, [m], subscription, t.topic, t.partitions);
      return { groupId, ...m };
    }),
  );
  const frames = members.map((m) =>
    encodeRequest(
      { apiKey: ApiKey.OffsetCommit as never, apiVersion: 9, correlationId: 0, clientId: 'bench' },
      {
        groupId: m.groupId,
        generationIdOrMemberEpoch: m.generationId,
        memberId: m.memberId,
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: [
          {
            name: t.topic,
            topicId: '00000000-0000-0000-0000-000000000000',
            partitions: Array.from({ length: t.partitions }, (_, p) => ({
              partitionIndex: p,
              committedOffset: BigInt(1000 + p),
              committedLeaderEpoch: 0,
              commitTimestamp: -1n,
              committedMetadata: '',
              ...tf,
            })),
            ...tf,
          },
        ],
        ...tf,
      } as never,
    ),
  );
  // Check one answer fully, then time the rest (errors are counted from the first partition's code).
  const first = decodeResponse((await members[0].conn.sendFrame(frames[0])), ApiKey.OffsetCommit as never, 9).body as { topics: { partitions: { errorCode: number }[] }[] };
  if (first.topics[0].partitions.some((p) => p.errorCode !== 0)) throw new Error('OffsetCommit failed');
  // Warm-up, not timed: the broker's commit path gets compiled before it is measured.
  const warmUntil = now() + (t.warmupSeconds ?? 0) * 1000;
  await Promise.all(
    members.map(async (m, g) => {
      while (now() < warmUntil) await m.conn.sendFrame(frames[g]);
    }),
  );
  const latencies: number[] = [];
  /** [ms since the start, latency] of commits slower than 5 ms, to tell pauses from load. */
  const slow: [number, number][] = [];
  let slowCount = 0;
  let errors = 0;
  const intervalMs = t.intervalMs ?? 100;
  const cpu0 = brokerCpuSeconds(t.brokerPid);
  const endAt = now() + (t.seconds ?? 10) * 1000;
  const started = now();
  await Promise.all(
    members.map(async (m, g) => {
      // Spread the groups over the interval, as independent consumers are.
      if (intervalMs > 0) await new Promise((r) => setTimeout(r, (g * intervalMs) / groups));
      let next = now();
      while (now() < endAt) {
        const t0 = now();
        const frame = await m.conn.sendFrame(frames[g]);
        const latency = now() - t0;
        latencies.push(latency);
        if (latency > 5) {
          slowCount++;
          if (slow.length < 500) slow.push([Math.round(t0 - started), +latency.toFixed(2)]);
        }
        // Response: correlation id (4), tagged fields (1), throttle (4), topics: first partition's error code.
        if (frame.length < 20) errors++;
        if (intervalMs > 0) {
          next += intervalMs;
          const wait = next - now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
      }
    }),
  );
  const elapsed = (now() - started) / 1000;
  const brokerCpu = brokerCpuSeconds(t.brokerPid) - cpu0;
  for (const m of members) m.conn.close();
  return { latencies, errors, elapsed, slow, slowCount, brokerCpu, startedAt: Date.now() - (now() - started) };
}

const task = JSON.parse(process.argv[2]) as Task;
const run = { rebalance, kip848, commit }[task.task];
run(task).then(
  (result) => {
    // Exit only once the (large) line is flushed into the pipe.
    process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
