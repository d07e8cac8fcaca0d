/**
 * The broker end to end, with kcat (librdkafka 2.x) as the load, against two references measured
 * in the same run (issue 4, "Speed"):
 *
 * - gregor: `node dist/cli/main.js start --port 0 --data-dir <tmp> --log-level warn`, a process of
 *   its own with disk storage (Kafka's defaults: no fsync, acknowledged = written to the OS), started
 *   as users start it (`gregor start`, `npx gregor start` and `npm start` run this with no node
 *   flags);
 * - embedded: the same broker through `Broker.start` in a plain Node process
 *   (scripts/bench/embedded-broker.ts), as a library user embeds it; produce rows and CPU only;
 * - mock: librdkafka's in-memory mock broker (C, no disk), started by scripts/bench/mock-broker.py
 *   through librdkafka's mock API in the librdkafka.so.1 of python3-confluent-kafka (that file says
 *   why not through confluent_kafka's own config), a process of its own;
 * - sink: scripts/bench/frame-sink.ts, a minimal Node program that appends every frame it receives
 *   to a file and answers just enough protocol (ApiVersions, Metadata, Produce) for kcat to run.
 *
 * Every target gets the same command, only -b and -t differ:
 *   kcat -P -b HOST:PORT -t TOPIC -X acks=all -l FILE
 * (librdkafka's defaults otherwise: linger.ms 5, batch.num.messages 10000, no compression). FILE
 * holds the messages one per line: 1,000,000 of 100 bytes and 100,000 of 1 KiB, each produced into
 * a topic of 1 and of 6 partitions (no key: librdkafka spreads them). Rounds are interleaved
 * (workload by workload, target after target) and each figure is the best round.
 *
 * Reported:
 * - produce messages/s per target and gregor/mock (target >= 70%);
 * - CPU seconds (utime + stime from /proc/PID/stat, all produce runs) per GB (1e9 bytes) of message
 *   payload, gregor against the sink (target <= 2x); the mock's for context;
 * - consuming every round's topics back from gregor with `kcat -C -o beginning -c COUNT -e`
 *   (every message counted), messages/s against producing (target >=);
 * - end-to-end latency at 5,000 messages/s (scripts/bench/latency.py: a librdkafka producer with
 *   linger.ms 0 and acks=all, and a consumer; the send time travels in the message), p99 < 10 ms;
 * - gregor's RSS after producing, after consuming, and its peak (VmHWM).
 *
 * - gregor's main thread during the latency run: CPU time and time spent waiting for a CPU
 *   (/proc/PID/schedstat), which tells a slow broker from a busy machine.
 *
 * The load runs on the first half of the CPUs and the servers on the rest (see PIN below).
 *
 * `npm run bench -- broker --quick` (or GREGOR_BENCH_QUICK=1) uses a fifth of the messages, one
 * round and a shorter latency run. `--shared-cpus` does not pin. GREGOR_BENCH_ROUNDS=N sets the
 * number of rounds (3). GREGOR_BENCH_PROFILE=DIR runs gregor under `node --cpu-prof` and leaves
 * the .cpuprofile in DIR. GREGOR_BENCH_NODE_FLAGS="..." gives gregor's process node flags (none by
 * default, as users run it), to try some.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { CLK_TCK, cpuSeconds, percentile, report, spawnUntilReady } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const KCAT = '/usr/bin/kcat';
const PYTHON = '/usr/bin/python3';
const QUICK = process.argv.includes('--quick') || process.env.GREGOR_BENCH_QUICK === '1';
const ROUNDS = Number(process.env.GREGOR_BENCH_ROUNDS ?? (QUICK ? 1 : 3));
const PROFILE_DIR = process.env.GREGOR_BENCH_PROFILE;
/** Node flags for gregor's process: none, as users run it, unless GREGOR_BENCH_NODE_FLAGS gives some. */
const GREGOR_NODE_FLAGS = (process.env.GREGOR_BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
/**
 * CPU placement: the load (kcat, latency.py) on the first half of the CPUs, every server on the
 * rest (on 2 CPUs: one each), so that the load generator and the broker under test never take each
 * other's cores, as with a client on another machine. A server's own helper threads (GC, libuv's
 * pool) share its CPUs. `--shared-cpus` (or GREGOR_BENCH_SHARED_CPUS=1) leaves placement to the
 * scheduler, as on a developer's laptop: then kcat and the server compete for the same cores and a
 * server's CPU cost is taken from the load's.
 */
const CPUS = os.cpus().length;
const PIN = CPUS >= 2 && !process.argv.includes('--shared-cpus') && process.env.GREGOR_BENCH_SHARED_CPUS !== '1';
const LOAD_CPU_COUNT = Math.max(1, Math.floor(CPUS / 2));
const LOAD_CPUS = LOAD_CPU_COUNT === 1 ? '0' : `0-${LOAD_CPU_COUNT - 1}`;
const SERVER_CPUS = CPUS - LOAD_CPU_COUNT === 1 ? `${LOAD_CPU_COUNT}` : `${LOAD_CPU_COUNT}-${CPUS - 1}`;
const TASKSET = '/usr/bin/taskset';
/** The command line that runs `cmd args` on the load's or the servers' CPUs. */
function placed(role: 'load' | 'server', cmd: string, args: string[]): [string, string[]] {
  return PIN ? [TASKSET, ['-c', role === 'load' ? LOAD_CPUS : SERVER_CPUS, cmd, ...args]] : [cmd, args];
}
const LATENCY_RATE = 5000;
const LATENCY_SECONDS = QUICK ? 3 : 10;
/**
 * Seconds sent at the same rate before the measured ones and left out: fresh clients connecting,
 * and the broker's code for this traffic (one small batch per request, each waking a waiting
 * fetch) still being compiled, stall the first second or so. Benchmarks of Kafka leave out a
 * warm-up for the same reason (the OpenMessaging Benchmark's is a minute).
 */
const LATENCY_WARMUP_SECONDS = QUICK ? 1 : 2;

interface Workload {
  name: string;
  size: number;
  count: number;
  partitions: number;
  file: string;
}

interface Target {
  name: 'gregor' | 'embedded' | 'mock' | 'sink';
  child: ChildProcess;
  bootstrap: string;
}

interface ProduceRun {
  ms: number;
  /** The server's CPU seconds during the run. */
  cpuS: number;
  /** kcat's CPU seconds. */
  loadCpuS: number;
}

// ---------------------------------------------------------------------------------------------
// Processes

/** A thread's time on a CPU and waiting on a run queue, in ms (/proc/PID/schedstat, in ns). */
function schedstat(pid: number): { runMs: number; waitMs: number } {
  const [run, wait] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ').map(Number);
  return { runMs: run / 1e6, waitMs: wait / 1e6 };
}

function memory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Spawns a server (on the servers' CPUs) and resolves with its address once it prints a line matching `ready`. */
async function startServer(cmd: string, args: string[], ready: RegExp, stdin: 'pipe' | 'ignore' = 'ignore'): Promise<{ child: ChildProcess; address: string }> {
  const [file, argv] = placed('server', cmd, args);
  // taskset execs the command, so child.pid is the server's own pid.
  const { child, match } = await spawnUntilReady(file, argv, ready, { cwd: root, stdin, label: `${cmd} ${args.join(' ')}` });
  return { child, address: match[1] };
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => { resolve(code); }));
}

async function stop(child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited(child);
  clearTimeout(timer);
}

/** CPU seconds of this process's waited-for children (cutime + cstime, fields 16 and 17). */
function childrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / CLK_TCK;
}

/**
 * Runs a load command (on the load's CPUs) to its end; resolves with its wall time, its own CPU
 * seconds (the servers run for the whole bench, so the only child to finish meanwhile is this one),
 * its stderr and the number of lines it printed. Rejects on a non-zero exit.
 */
function runCommand(cmd: string, args: string[]): Promise<{ ms: number; cpuS: number; stderr: string; lines: number }> {
  return new Promise((resolve, reject) => {
    const cpu0 = childrenCpuSeconds();
    const t0 = process.hrtime.bigint();
    const [file, argv] = placed('load', cmd, args);
    const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let lines = 0;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) lines++;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code === 0) resolve({ ms, cpuS: childrenCpuSeconds() - cpu0, stderr, lines });
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}\n${stderr.slice(-2000)}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Load

/** COUNT lines of SIZE printable bytes (no newline inside), each a different slice of noise. */
async function messageFile(path: string, size: number, count: number): Promise<void> {
  const noise = Buffer.alloc(1 << 16);
  let x = 0x9e3779b9;
  for (let i = 0; i < noise.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    noise[i] = 33 + ((x >>> 0) % 94);
  }
  const out = Buffer.allocUnsafe((size + 1) * count);
  for (let i = 0, p = 0; i < count; i++) {
    const from = (i * 7919) % (noise.length - size);
    noise.copy(out, p, from, from + size);
    p += size;
    out[p++] = 0x0a;
  }
  await writeFile(path, out);
}

async function produce(target: Target, topic: string, file: string): Promise<ProduceRun> {
  const pid = target.child.pid!;
  const cpu0 = cpuSeconds(pid);
  const run = await runCommand(KCAT, ['-P', '-b', target.bootstrap, '-t', topic, '-X', 'acks=all', '-l', file]);
  return { ms: run.ms, cpuS: cpuSeconds(pid) - cpu0, loadCpuS: run.cpuS };
}

/**
 * Consumes COUNT messages of a topic from the beginning: `kcat -C -c COUNT` exits on the last one.
 * (With -e alone kcat would learn of the end only from an empty fetch, which a broker holds for
 * fetch.wait.max.ms, 500 ms: a constant added to every run.) Messages are counted from kcat's
 * output, one offset per line.
 */
async function consume(target: Target, topic: string, count: number): Promise<{ ms: number; messages: number; cpuS: number }> {
  const pid = target.child.pid!;
  const cpu0 = cpuSeconds(pid);
  const { ms, lines } = await runCommand(KCAT, ['-C', '-b', target.bootstrap, '-t', topic, '-o', 'beginning', '-c', String(count), '-e', '-q', '-f', '%o\\n']);
  return { ms, messages: lines, cpuS: cpuSeconds(pid) - cpu0 };
}

async function createGregorTopics(bootstrap: string, topics: { topic: string; numPartitions: number }[]): Promise<void> {
  const kafka = new Kafka({ clientId: 'gregor-bench', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: topics.map((t) => ({ ...t, replicationFactor: 1 })), waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

async function latency(bootstrap: string, topic: string): Promise<number[]> {
  const script = join(here, 'latency.py');
  const count = LATENCY_RATE * (LATENCY_WARMUP_SECONDS + LATENCY_SECONDS);
  const [file, argv] = placed('load', PYTHON, [script, 'consume', bootstrap, topic, String(count)]);
  const consumer = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  consumer.stdout.on('data', (d: Buffer) => (out += d.toString()));
  consumer.stderr.resume();
  const deadline = Date.now() + 20_000;
  while (!out.includes('ready')) {
    if (Date.now() > deadline || consumer.exitCode !== null) throw new Error('latency consumer did not start');
    await new Promise((r) => setTimeout(r, 20));
  }
  await runCommand(PYTHON, [script, 'produce', bootstrap, topic, String(count), String(LATENCY_RATE)]);
  await exited(consumer);
  const line = out.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error(`latency consumer printed no result: ${out}`);
  return (JSON.parse(line) as { latenciesUs: number[] }).latenciesUs;
}

// ---------------------------------------------------------------------------------------------
// Report helpers

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;
const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT MET');
const rate = (count: number, ms: number): number => count / (ms / 1000);

// ---------------------------------------------------------------------------------------------

export async function run(): Promise<void> {
  const dir = await mkdtemp(join(os.tmpdir(), 'gregor-broker-bench-'));
  const scale = QUICK ? 5 : 1;
  const workloads: Workload[] = [];
  for (const [name, size, count] of [
    ['100 B', 100, 1_000_000 / scale],
    ['1 KiB', 1024, 100_000 / scale],
  ] as const) {
    const file = join(dir, `m${size}.txt`);
    await messageFile(file, size, count);
    for (const partitions of [1, 6]) workloads.push({ name: `${name} x ${int(count)}, ${partitions} partition${partitions > 1 ? 's' : ''}`, size, count, partitions, file });
  }
  const topicOf = (w: Workload, round: number): string => `bench-${w.size}-p${w.partitions}-r${round}`;
  const topics: { topic: string; numPartitions: number }[] = [];
  for (let r = 0; r < ROUNDS; r++) for (const w of workloads) topics.push({ topic: topicOf(w, r), numPartitions: w.partitions });
  topics.push({ topic: 'bench-latency', numPartitions: 1 });
  const specs = topics.map((t) => `${t.topic}:${t.numPartitions}`);

  const placement = PIN ? `load (kcat, latency.py) on CPU ${LOAD_CPUS}, servers on CPU ${SERVER_CPUS}` : 'not pinned (--shared-cpus)';
  console.log(`\n# broker bench: ${placement}; gregor: node ${[...GREGOR_NODE_FLAGS, 'dist/cli/main.js start'].join(' ')}; load average before: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  const targets: Target[] = [];
  try {
    const gregorArgs = [join(root, 'dist', 'cli', 'main.js'), 'start', '--port', '0', '--data-dir', join(dir, 'gregor'), '--log-level', 'warn'];
    if (PROFILE_DIR) gregorArgs.unshift('--cpu-prof', '--cpu-prof-dir', PROFILE_DIR);
    gregorArgs.unshift(...GREGOR_NODE_FLAGS);
    const gregor = await startServer(process.execPath, gregorArgs, /Gregor broker listening on (\S+)/);
    targets.push({ name: 'gregor', child: gregor.child, bootstrap: gregor.address });
    await createGregorTopics(gregor.address, topics);
    const embedded = await startServer(
      process.execPath,
      ['--import', 'tsx', join(here, 'embedded-broker.ts'), '--data-dir', join(dir, 'embedded')],
      /embedded broker listening on (\S+)/,
    );
    targets.push({ name: 'embedded', child: embedded.child, bootstrap: embedded.address });
    await createGregorTopics(embedded.address, topics);
    const mock = await startServer(PYTHON, [join(here, 'mock-broker.py'), ...specs], /mock broker listening on (\S+)/, 'pipe');
    targets.push({ name: 'mock', child: mock.child, bootstrap: mock.address });
    const sink = await startServer(
      process.execPath,
      ['--import', 'tsx', join(here, 'frame-sink.ts'), '--file', join(dir, 'sink.bin'), '--topics', specs.join(',')],
      /frame-sink listening on (\S+)/,
    );
    targets.push({ name: 'sink', child: sink.child, bootstrap: sink.address });
    const [gregorT, embeddedT, mockT, sinkT] = targets as [Target, Target, Target, Target];

    // Produce: round by round, workload by workload, target after target.
    const runs = new Map<string, ProduceRun[]>();
    const key = (t: Target, w: Workload): string => `${t.name}|${w.name}`;
    for (let r = 0; r < ROUNDS; r++) {
      for (const w of workloads) {
        for (const t of targets) {
          const res = await produce(t, topicOf(w, r), w.file);
          runs.set(key(t, w), [...(runs.get(key(t, w)) ?? []), res]);
        }
      }
    }
    const afterProduce = memory(gregorT.child.pid!);
    const best = (t: Target, w: Workload): ProduceRun => runs.get(key(t, w))!.reduce((a, b) => (b.ms < a.ms ? b : a));

    const rows: [string, string][] = [];
    let allMet = true;
    for (const w of workloads) {
      const g = rate(w.count, best(gregorT, w).ms);
      const e = rate(w.count, best(embeddedT, w).ms);
      const m = rate(w.count, best(mockT, w).ms);
      const s = rate(w.count, best(sinkT, w).ms);
      allMet &&= g >= 0.7 * m;
      rows.push([
        w.name,
        `gregor ${int(g)} msg/s (${int((g * w.size) / 1e6)} MB/s), embedded ${int(e)}, mock ${int(m)}, sink ${int(s)}; ` +
          `gregor/mock ${((g / m) * 100).toFixed(0)}% (>= 70%: ${verdict(g >= 0.7 * m)}), gregor/sink ${((g / s) * 100).toFixed(0)}%`,
      ]);
    }
    // What the load itself cost (kcat's CPU seconds in each target's best run): with the mock,
    // kcat is the bottleneck; the difference to the others is what the server left it.
    for (const w of workloads) {
      rows.push([`  kcat CPU s, ${w.name}`, targets.map((t) => `${t.name} ${best(t, w).loadCpuS.toFixed(2)} in ${(best(t, w).ms / 1000).toFixed(2)} s`).join(', ')]);
    }
    report(`broker: produce, kcat -P -X acks=all -l FILE, best of ${ROUNDS} round${ROUNDS > 1 ? 's' : ''}`, rows);

    // CPU per GB of payload, over every produce run.
    const cpuRows: [string, string][] = [];
    const perGb: Record<string, number> = {};
    for (const t of targets) {
      let cpu = 0;
      let bytes = 0;
      for (const w of workloads) {
        for (const res of runs.get(key(t, w))!) {
          cpu += res.cpuS;
          bytes += w.size * w.count;
        }
      }
      perGb[t.name] = cpu / (bytes / 1e9);
      cpuRows.push([t.name, `${perGb[t.name].toFixed(2)} CPU s/GB (${cpu.toFixed(2)} s over ${(bytes / 1e9).toFixed(2)} GB of payload)`]);
    }
    const cpuRatio = perGb.gregor / perGb.sink;
    cpuRows.push(['gregor/sink', `${cpuRatio.toFixed(2)}x (<= 2x: ${verdict(cpuRatio <= 2)})`]);
    cpuRows.push(['embedded/sink', `${(perGb.embedded / perGb.sink).toFixed(2)}x`]);
    for (const w of workloads) {
      const per = (t: Target): number => {
        const rs = runs.get(key(t, w))!;
        return rs.reduce((a, r) => a + r.cpuS, 0) / ((rs.length * w.size * w.count) / 1e9);
      };
      cpuRows.push([`  ${w.name}`, `gregor ${per(gregorT).toFixed(2)}, embedded ${per(embeddedT).toFixed(2)}, sink ${per(sinkT).toFixed(2)}, mock ${per(mockT).toFixed(2)} CPU s/GB`]);
    }
    report('broker: CPU seconds per GB ingested (utime+stime of the server process)', cpuRows);

    // Consume every round's topic back from gregor and keep the best, as for producing: kcat's
    // consumer (librdkafka 2.0.2) now and then sleeps 500 ms between learning the partition
    // leaders and sending its first fetch, without a request in flight to the broker.
    const consumeRows: [string, string][] = [];
    for (const w of workloads) {
      let c: { ms: number; messages: number; cpuS: number } | null = null;
      for (let r = 0; r < ROUNDS; r++) {
        const run = await consume(gregorT, topicOf(w, r), w.count);
        if (run.messages !== w.count) throw new Error(`consumed ${run.messages} of ${w.count} messages from ${topicOf(w, r)}`);
        if (c === null || run.ms < c.ms) c = run;
      }
      const cr = rate(c!.messages, c!.ms);
      const pr = rate(w.count, best(gregorT, w).ms);
      allMet &&= cr >= pr;
      consumeRows.push([w.name, `${int(cr)} msg/s (${int((cr * w.size) / 1e6)} MB/s, ${(c!.cpuS / ((w.size * w.count) / 1e9)).toFixed(2)} CPU s/GB); produce ${int(pr)} msg/s; ${verdict(cr >= pr)}`]);
    }
    report(`broker: consume from gregor, kcat -C -o beginning -c COUNT -e (every message counted), best of ${ROUNDS} round${ROUNDS > 1 ? 's' : ''}`, consumeRows);
    const afterConsume = memory(gregorT.child.pid!);

    const sched0 = schedstat(gregorT.child.pid!);
    // The produce runs left up to a gigabyte of dirty pages for the kernel to write back; write them
    // now, so that the latency run measures its own load and not the writeback of the last one.
    await runCommand('/usr/bin/sync', []);
    const lat = (await latency(gregorT.bootstrap, 'bench-latency')).slice(LATENCY_RATE * LATENCY_WARMUP_SECONDS).sort((a, b) => a - b);
    const sched1 = schedstat(gregorT.child.pid!);
    const ms = (us: number): string => `${(us / 1000).toFixed(2)} ms`;
    const p99 = percentile(lat, 99);
    report(`broker: end-to-end latency at ${int(LATENCY_RATE)} msg/s for ${LATENCY_SECONDS} s after ${LATENCY_WARMUP_SECONDS} s of warm-up (latency.py)`, [
      ['messages', int(lat.length)],
      ['p50', ms(percentile(lat, 50))],
      ['p99', `${ms(p99)} (< 10 ms: ${verdict(p99 < 10_000)})`],
      ['p99.9', ms(percentile(lat, 99.9))],
      ['max', ms(lat[lat.length - 1])],
      [
        'gregor main thread',
        `${int(sched1.runMs - sched0.runMs)} ms on a CPU, ${int(sched1.waitMs - sched0.waitMs)} ms waiting for one (run queue), ` +
          `${int(((sched1.runMs - sched0.runMs) * 1000) / (LATENCY_RATE * (LATENCY_WARMUP_SECONDS + LATENCY_SECONDS)))} us of CPU per message (warm-up included)`,
      ],
    ]);
    allMet &&= p99 < 10_000 && cpuRatio <= 2;

    const end = memory(gregorT.child.pid!);
    report('broker: gregor RSS', [
      ['after producing', mib(afterProduce.rss)],
      ['after consuming', mib(afterConsume.rss)],
      ['after the latency run', mib(end.rss)],
      ['peak (VmHWM)', mib(end.hwm)],
    ]);
    console.log(`\n  every broker target ${allMet ? 'met' : 'NOT met'}; load average after: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  } finally {
    for (const t of targets) await stop(t.child);
    await rm(dir, { recursive: true, force: true });
  }
  if (PROFILE_DIR) console.log(`  gregor's CPU profile is in ${PROFILE_DIR}`);
}
