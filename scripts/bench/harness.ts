/**
 * A tiny benchmark harness: warm up, then run a function in timed rounds and keep the best round,
 * which is the least disturbed by the other core's work. Figures are meant to be read as ratios
 * against a baseline measured in the same run, never as absolute targets.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Measurement {
  name: string;
  /** Best nanoseconds per operation over the rounds. */
  nsPerOp: number;
}

export function measure(name: string, fn: () => unknown, opts: { rounds?: number; minMs?: number } = {}): Measurement {
  const rounds = opts.rounds ?? 7;
  const minMs = opts.minMs ?? 150;
  let sink: unknown;
  // Warm up and find an iteration count that fills minMs.
  let iterations = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink = fn();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ms >= minMs / 4) {
      iterations = Math.max(1, Math.ceil((iterations * minMs) / Math.max(ms, 0.001)));
      break;
    }
    iterations *= 4;
  }
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink = fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / iterations);
  }
  keep(sink);
  return { name, nsPerOp: best };
}

let kept: unknown;
function keep(v: unknown): void {
  kept = v;
}
export const _kept = (): unknown => kept;

export const gbPerSec = (bytes: number, ns: number): string => (bytes / ns).toFixed(2) + ' GB/s';
export const mbPerSec = (bytes: number, ns: number): string => ((bytes / ns) * 1000).toFixed(0) + ' MB/s';
export const pct = (x: number): string => (x * 100).toFixed(2) + '%';

export function report(title: string, rows: [string, string][]): void {
  console.log(`\n## ${title}`);
  const w = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`  ${k.padEnd(w)}  ${v}`);
}

// ---------------------------------------------------------------------------------------------
// Processes: the end-to-end benches run servers of their own and read their CPU time from /proc.

export const CLK_TCK = 100; // USER_HZ on Linux (getconf CLK_TCK)

/** utime + stime of a process, in seconds (fields 14 and 15 of /proc/PID/stat). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces and parentheses: fields are counted after its closing one.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** Nearest-rank percentile `p` (0-100) of ascending values; NaN when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export interface SpawnUntilReadyOptions {
  cwd?: string;
  /** 'pipe' for a server that stops when its stdin closes. */
  stdin?: 'pipe' | 'ignore';
  /** Default 20 s. */
  timeoutMs?: number;
  /** Names the process in errors; defaults to the command line. */
  label?: string;
}

/**
 * Spawns a server and resolves once its stdout matches `ready` (a server prints its address when
 * it listens), with the match. A server that exits, fails to spawn or is not ready in time is
 * killed and the promise rejects with what it printed.
 */
export function spawnUntilReady(
  file: string,
  args: string[],
  ready: RegExp,
  options: SpawnUntilReadyOptions = {},
): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const label = options.label ?? `${file} ${args.join(' ')}`;
  const timeoutMs = options.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => { fail(new Error(`${label}: not ready after ${timeoutMs / 1000} s\n${out}${err}`)); }, timeoutMs);
    const fail = (e: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(e);
    };
    // Read for as long as the server runs (a full pipe would block it), keeping only the tail.
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.length > 10_000) err = err.slice(-10_000);
    });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const match = ready.exec(out);
      if (match) {
        clearTimeout(timer);
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume();
        resolve({ child, match });
      }
    });
    child.on('exit', (code) => { fail(new Error(`${label} exited with ${code} before it was ready\n${out}${err}`)); });
    child.on('error', fail);
  });
}
