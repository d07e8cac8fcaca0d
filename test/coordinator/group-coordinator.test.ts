/**
 * Persistence of the group coordinator: what a restart brings back (replay of the records it
 * wrote, with and without snapshots), on the memory state log and on disk, after a clean close and
 * after SIGKILL.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Broker } from '../../src/broker.js';
import { GroupCoordinator } from '../../src/coordinator/group-coordinator.js';
import type { JoinGroupResult } from '../../src/coordinator/group/member.js';
import { ErrorCode } from '../../src/protocol/generated/errors.js';
import { MemoryStateLogStore } from '../../src/storage/state-log.js';
import { ManualClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { fixturePerTest } from './fixture-per-test.js';
import { assignment, flush, joinParams, settle, subscription, T0, testConfig, track } from './helpers.js';

const f = fixturePerTest({ offsetsRetentionCheckIntervalMs: 3600_000 });
const c = () => f.coordinator;

async function commit(groupId: string, topic: string, partition: number, offset: number, as: { generationId: number; memberId: string } = { generationId: -1, memberId: '' }, metadata: string | null = null) {
  return c().commitOffsets({
    groupId,
    ...as,
    groupInstanceId: null,
    retentionTimeMs: -1,
    apiVersion: 8,
    partitions: [{ topic, partition, offset: BigInt(offset), leaderEpoch: 7, metadata, commitTimestamp: -1 }],
  });
}

/** A stable group of two members (the second static) with assignments; returns leader and follower. */
async function stableGroup(groupId: string): Promise<[JoinGroupResult, JoinGroupResult]> {
  const ja = track(c().joinGroup(joinParams({ groupId, clientId: 'a', protocols: [{ name: 'range', metadata: subscription(['t'], 'ua') }] })));
  const jb = track(c().joinGroup(joinParams({ groupId, clientId: 'b', groupInstanceId: 'static-b', protocols: [{ name: 'range', metadata: subscription(['t'], 'ub') }] })));
  f.clock.advance(0);
  const [a, b] = [await settle(ja), await settle(jb)];
  const sb = track(c().syncGroup({ groupId, generationId: 1, memberId: b.memberId, groupInstanceId: 'static-b', protocolType: null, protocolName: null, assignments: [] }));
  await settle(
    track(
      c().syncGroup({
        groupId,
        generationId: 1,
        memberId: a.memberId,
        groupInstanceId: null,
        protocolType: null,
        protocolName: null,
        assignments: [
          { memberId: a.memberId, assignment: assignment('t', [0]) },
          { memberId: b.memberId, assignment: assignment('t', [1]) },
        ],
      }),
    ),
  );
  await settle(sb);
  return [a, b];
}

/** Everything a client can observe about the coordinator's groups and offsets. */
function observable(coordinator: GroupCoordinator) {
  return coordinator
    .listGroups()
    .groups.map((g) => g.groupId)
    .sort()
    .map((id) => ({ describe: coordinator.describeGroup(id), offsets: coordinator.fetchOffsets(id, null) }));
}

describe('restart', () => {
  it('brings back every committed offset and every group with its generation, members and assignments', async () => {
    const [a, b] = await stableGroup('stable');
    await commit('stable', 't', 0, 100, { generationId: 1, memberId: a.memberId }, 'meta');
    await commit('stable', 't', 1, 200, { generationId: 1, memberId: b.memberId });
    await commit('simple', 'u', 3, 7);
    const emptied = track(c().joinGroup(joinParams({ groupId: 'emptied' })));
    f.clock.advance(0);
    const e = await settle(emptied);
    await c().leaveGroup('emptied', [{ memberId: e.memberId, groupInstanceId: null, reason: null }]);
    await commit('emptied', 't', 0, 1);

    const before = observable(c());
    expect(before.map((g) => [g.describe.groupId, g.describe.state])).toEqual([
      ['emptied', 'Empty'],
      ['simple', 'Empty'],
      ['stable', 'Stable'],
    ]);
    const restarted = await f.restart();
    expect(observable(restarted)).toEqual(before);
    // The members carry on in the same generation, without rejoining.
    expect(restarted.heartbeat({ groupId: 'stable', generationId: 1, memberId: a.memberId, groupInstanceId: null })).toBe(0);
    expect(restarted.heartbeat({ groupId: 'stable', generationId: 1, memberId: b.memberId, groupInstanceId: 'static-b' })).toBe(0);
    expect(restarted.describeGroup('stable').members.map((m) => m.groupInstanceId)).toEqual([null, 'static-b']);
    const sync = await restarted.syncGroup({ groupId: 'stable', generationId: 1, memberId: b.memberId, groupInstanceId: 'static-b', protocolType: null, protocolName: null, assignments: [] });
    expect(sync.assignment).toEqual(assignment('t', [1]));
    // The emptied group keeps counting generations.
    const rejoin = track(restarted.joinGroup(joinParams({ groupId: 'emptied' })));
    f.clock.advance(0);
    expect((await settle(rejoin)).generationId).toBe(3);
    expect(restarted.fetchOffsets('stable', [{ topic: 't', partition: 0 }]).offsets[0]).toMatchObject({ offset: 100n, leaderEpoch: 7, metadata: 'meta' });
  });

  it('the replayed state equals the live state after every step of a group\'s life', async () => {
    const [a, b] = await stableGroup('g');
    for (let i = 0; i < 5; i++) await commit('g', 't', i % 2, i, { generationId: 1, memberId: a.memberId });
    const newcomer = track(c().joinGroup(joinParams({ groupId: 'g', clientId: 'c' })));
    const rejoinA = track(c().joinGroup(joinParams({ groupId: 'g', memberId: a.memberId, clientId: 'a', protocols: [{ name: 'range', metadata: subscription(['t'], 'ua') }] })));
    const rejoinB = track(c().joinGroup(joinParams({ groupId: 'g', memberId: b.memberId, groupInstanceId: 'static-b', protocols: [{ name: 'range', metadata: subscription(['t', 'u'], 'ub') }] })));
    const ra = await settle(rejoinA);
    await settle(newcomer);
    await settle(rejoinB);
    expect(ra.generationId).toBe(2);
    await settle(
      track(
        c().syncGroup({ groupId: 'g', generationId: 2, memberId: a.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: ra.members.map((m, i) => ({ memberId: m.memberId, assignment: assignment('t', [i]) })) }),
      ),
    );
    const live = c().describeGroup('g');
    expect(live.state).toBe('Stable');
    const restarted = await f.restart();
    expect(restarted.describeGroup('g')).toEqual(live);
    expect(restarted.storedGroup('g')).toEqual(c().storedGroup('g'));
  });

  it('members of a reloaded group that never come back are expired after their session timeout', async () => {
    await stableGroup('g');
    const restarted = await f.restart();
    f.clock.advance(10_000);
    expect(restarted.describeGroup('g').state).not.toBe('Stable');
    await flush();
    f.clock.advance(30_000);
    expect(restarted.describeGroup('g')).toMatchObject({ state: 'Empty', members: [] });
  });

  it('snapshots when the log grows, and a restart from the snapshot gives the same state', async () => {
    const store = new MemoryStateLogStore();
    const clock = new ManualClock(T0);
    const open = () => GroupCoordinator.open({ location: store, clock, logger: silentLogger, config: () => testConfig(), snapshotMinBytes: 4096 });
    let coordinator = await open();
    for (let i = 0; i < 500; i++) {
      await coordinator.commitOffsets({ groupId: `g${i % 7}`, generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, apiVersion: 8, partitions: [{ topic: 't', partition: i % 13, offset: BigInt(i), leaderEpoch: -1, metadata: null, commitTimestamp: -1 }] });
    }
    const log = store.logs.get('groups')!;
    expect(log.snapshot).toBeDefined();
    expect(log.records.length).toBeLessThan(500);
    const before = observable(coordinator);
    await coordinator.close();
    coordinator = await open();
    expect(observable(coordinator)).toEqual(before);
    await coordinator.close();
  });

  it('a snapshot taken while commits are in flight includes them', async () => {
    const commits = Array.from({ length: 50 }, (_, i) => commit('g', 't', i, i + 1000));
    await c().snapshot();
    expect((await Promise.all(commits)).flat()).toEqual(new Array(50).fill(0));
    const restarted = await f.restart();
    expect(restarted.fetchOffsets('g', null).offsets).toHaveLength(50);
  });
});

describe('on disk', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gregor-groups-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const openOnDisk = (clock = new ManualClock(T0)) => GroupCoordinator.open({ location: dir, clock, logger: silentLogger, config: () => testConfig() });

  it('keeps commits and groups across a clean restart', async () => {
    let coordinator = await openOnDisk();
    expect(
      await coordinator.commitOffsets({ groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, apiVersion: 8, partitions: [{ topic: 't', partition: 0, offset: 42n, leaderEpoch: -1, metadata: 'on disk', commitTimestamp: -1 }] }),
    ).toEqual([0]);
    await coordinator.close();
    expect((await readdir(dir)).some((n) => n.startsWith('groups-'))).toBe(true);
    coordinator = await openOnDisk();
    expect(coordinator.fetchOffsets('g', null).offsets).toEqual([{ topic: 't', partition: 0, offset: 42n, leaderEpoch: -1, metadata: 'on disk', errorCode: ErrorCode.None }]);
    await coordinator.close();
  });

  const committer = fileURLToPath(new URL('./fixtures/committer.ts', import.meta.url));

  function runUntilKilled(killAfter: number): Promise<{ start: number; acked: Map<number, number> }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', committer], { env: { ...process.env, COMMITTER_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      let start = -1;
      let count = 0;
      const acked = new Map<number, number>();
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        const lines = out.split('\n');
        out = lines.pop()!;
        for (const line of lines) {
          const [word, a, b] = line.split(' ');
          if (word === 'start') start = Number(a);
          else if (word === 'ack') {
            count++;
            acked.set(Number(a), Math.max(acked.get(Number(a)) ?? -1, Number(b)));
          }
        }
        if (count >= killAfter && child.exitCode === null) child.kill('SIGKILL');
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        if (signal === 'SIGKILL') resolve({ start, acked });
        else reject(new Error(`committer exited with ${code}: ${err}`));
      });
    });
  }

  it('keeps every acknowledged commit after SIGKILL, run after run', async () => {
    let highest = 0;
    for (let run = 0; run < 3; run++) {
      const { start, acked } = await runUntilKilled(300 + Math.floor(Math.random() * 1500));
      expect(start).toBeGreaterThanOrEqual(highest);
      const coordinator = await openOnDisk();
      const offsets = new Map(coordinator.fetchOffsets('g', null).offsets.map((o) => [o.partition, Number(o.offset)]));
      for (const [partition, offset] of acked) expect(offsets.get(partition)).toBeGreaterThanOrEqual(offset);
      highest = Math.max(...offsets.values());
      await coordinator.close();
    }
  }, 60_000);
});

describe('in a broker', () => {
  it('deleting a topic deletes its committed offsets', async () => {
    const broker = await Broker.start({ port: 0, storage: 'memory' });
    try {
      for (const name of ['doomed', 'kept']) {
        await broker.services.metadata.createTopic({ name, numPartitions: 2, replicationFactor: -1, configs: new Map(), validateOnly: false });
      }
      const groups = broker.services.groups;
      const partitions = ['doomed', 'kept'].map((topic) => ({ topic, partition: 1, offset: 5n, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }));
      expect(await groups.commitOffsets({ groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, apiVersion: 8, partitions })).toEqual([0, 0]);
      expect((await broker.services.metadata.deleteTopic('doomed')).errorCode).toBe(0);
      await flush();
      expect(groups.fetchOffsets('g', null).offsets.map((o) => o.topic)).toEqual(['kept']);
    } finally {
      await broker.stop();
    }
  });
});
