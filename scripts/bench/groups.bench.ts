/**
 * The group coordinator under load (issue 5, "Speed"): a broker process of its own (`node
 * dist/cli/main.js start`, disk storage, group.initial.rebalance.delay.ms=200) and the load in
 * another process (group-load.ts, Gregor's codec over plain sockets), so that neither the load's
 * work nor this script's lands on the broker's event loop.
 *
 * - Rebalance: 10 classic consumers on a 60-partition topic form a group (its first rebalance waits
 *   the initial delay: reported with it, and from the first JoinGroup answer on), then rejoin all at
 *   once, 20 times. Each figure is the time from the last JoinGroup written to the last SyncGroup
 *   answer (the join phase ends when the last member rejoins: no initial delay applies to a group
 *   that is not empty). Target: under 1 s.
 * - KIP-848: 10 members join a consumer group at once and heartbeat back to back until each owns
 *   its 6 partitions (revocations first); time from the last join, and heartbeats needed. Real
 *   members heartbeat every group.consumer.heartbeat.interval.ms instead.
 * - OffsetCommit of 100 partitions by 50 groups (one member each, with its generation): every group
 *   commits every 100 ms for 10 s (about 500 commits/s, after 2 s of untimed commits so that the
 *   broker's code is compiled, as it is in a broker that has been running), then back to back for
 *   5 s. Latency from the request written to its answer read, p50/p99/max. Target: p99 under 5 ms.
 * The broker's CPU time over each phase comes from /proc (utime + stime). The machine's load
 * average is printed with the figures: other processes on the same cores show up in the tails.
 *
 * `npm run bench -- groups [--quick]`: --quick runs each phase for a third of the time.
 * GREGOR_BENCH_PROFILE=DIR runs the broker under `node --cpu-prof` and leaves its profile in DIR.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Admin } from '../../dist/client/admin.js';
import { cpuSeconds, percentile, report, spawnUntilReady } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const QUICK = process.argv.includes('--quick') || process.env.GREGOR_BENCH_QUICK === '1';
const PROFILE_DIR = process.env.GREGOR_BENCH_PROFILE;
const SCALE = QUICK ? 1 / 3 : 1;
/** The broker's group.initial.rebalance.delay.ms: only a new group's first rebalance waits for it. */
const INITIAL_DELAY_MS = 200;

async function startBroker(dataDir: string): Promise<{ child: ChildProcess; port: number }> {
  const args = [
    join(root, 'dist', 'cli', 'main.js'),
    'start',
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--data-dir',
    dataDir,
    '--log-level',
    'warn',
    '--override',
    `group.initial.rebalance.delay.ms=${INITIAL_DELAY_MS}`,
  ];
  if (PROFILE_DIR) args.unshift('--cpu-prof', '--cpu-prof-dir', PROFILE_DIR);
  const { child, match } = await spawnUntilReady(process.execPath, args, /listening on \S+:(\d+)/, { cwd: root, label: 'the broker' });
  return { child, port: Number(match[1]) };
}

/** Runs one load task in its own process; resolves with its JSON result. */
function load<T>(task: Record<string, unknown>): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'group-load.ts'), JSON.stringify(task)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => {
      if (code !== 0) { reject(new Error(`load task ${String(task.task)} failed (${code}): ${err.slice(-3000)}`)); return; }
      try {
        resolve(JSON.parse(out) as T);
      } catch (e) {
        reject(new Error(`load task ${String(task.task)}: unreadable result (${e instanceof Error ? e.message : String(e)})`));
      }
    });
  });
}

const ms = (x: number): string => `${x.toFixed(2)} ms`;

export async function run(): Promise<void> {
  const dataDir = await mkdtemp(join(os.tmpdir(), 'gregor-groups-bench-'));
  const loadBefore = os.loadavg()[0];
  const { child, port } = await startBroker(dataDir);
  const pid = child.pid!;
  try {
    const admin = new Admin({ bootstrapServers: `127.0.0.1:${port}`, clientId: 'bench' });
    await admin.createTopics([
      { name: 'rebalance-60', numPartitions: 60 },
      { name: 'commit-100', numPartitions: 100 },
    ]);
    const [described] = await admin.describeTopics(['rebalance-60']);
    await admin.close();

    // Rebalance of 10 classic consumers.
    const cpu0 = cpuSeconds(pid);
    const rb = await load<{ initial: { total: number; afterJoin: number; retries: number }; rounds: number[]; retries: number }>({ task: 'rebalance', port, topic: 'rebalance-60', partitions: 60, members: 10, rounds: Math.max(5, Math.round(20 * SCALE)) });
    const rbCpu = cpuSeconds(pid) - cpu0;
    const rounds = [...rb.rounds].sort((a, b) => a - b);
    report('groups: rebalance of 10 classic consumers, 60 partitions (last JoinGroup -> last SyncGroup answer)', [
      [`forming the group: last JoinGroup -> last SyncGroup (initial delay ${INITIAL_DELAY_MS} ms, extended once per new member wave)`, ms(rb.initial.total)],
      ['forming the group: first JoinGroup answer -> last SyncGroup answer', ms(rb.initial.afterJoin)],
      [`rejoin of the whole group, ${rounds.length} rounds: p50`, ms(percentile(rounds, 50))],
      ['max', ms(rounds[rounds.length - 1])],
      ['rounds the coordinator interrupted (rejoined)', String(rb.retries)],
      ['target', 'under 1 s'],
      ['broker CPU over the phase', `${(rbCpu * 1000).toFixed(0)} ms`],
    ]);

    // KIP-848 group of 10.
    const kip = await load<{ ms: number; heartbeats: number; epoch: number }>({ task: 'kip848', port, topic: 'rebalance-60', topicId: described.topicId, partitions: 60, members: 10 });
    report('groups: KIP-848 consumer group of 10 members, 60 partitions (server-side uniform assignor)', [
      ['last join -> every member owns its 6 partitions', ms(kip.ms)],
      ['heartbeats, back to back', `${kip.heartbeats} (group epoch ${kip.epoch})`],
    ]);

    // OffsetCommit of 100 partitions, 50 groups.
    for (const [label, intervalMs, seconds, warmupSeconds] of [
      ['every 100 ms per group', 100, 10 * SCALE, 2 * SCALE],
      ['back to back', 0, 5 * SCALE, 0],
    ] as const) {
      const r = await load<{ latencies: number[]; errors: number; elapsed: number; slow: [number, number][]; slowCount: number; brokerCpu: number }>({
        task: 'commit',
        port,
        topic: 'commit-100',
        partitions: 100,
        groups: 50,
        intervalMs,
        seconds,
        warmupSeconds,
        brokerPid: pid,
      });
      const cpu = r.brokerCpu;
      const l = r.latencies.sort((a, b) => a - b);
      report(`groups: OffsetCommit of 100 partitions, 50 groups committing ${label}`, [
        ['commits', `${l.length} in ${r.elapsed.toFixed(1)} s (${(l.length / r.elapsed).toFixed(0)}/s, ${(l.length * 100 / r.elapsed / 1000).toFixed(0)}k offsets/s)${r.errors ? `, ${r.errors} errors` : ''}`],
        ['latency p50', ms(percentile(l, 50))],
        ['latency p99', ms(percentile(l, 99))],
        ['latency max', ms(l[l.length - 1])],
        ['commits over 5 ms', `${r.slowCount} (${((100 * r.slowCount) / l.length).toFixed(2)}%)`],
        ['target', 'p99 under 5 ms'],
        ['broker CPU per commit', `${((cpu * 1e6) / l.length).toFixed(0)} µs (${(cpu / r.elapsed * 100).toFixed(0)}% of a core)`],
      ]);
    }
    report('groups: machine', [['load average (1 min) before / after', `${loadBefore.toFixed(2)} / ${os.loadavg()[0].toFixed(2)} on ${os.cpus().length} cpus`]]);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await rm(dataDir, { recursive: true, force: true });
  }
}
