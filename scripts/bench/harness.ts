/**
 * A tiny benchmark harness: warm up, then run a function in timed rounds and keep the best round,
 * which is the least disturbed by the other core's work. Figures are meant to be read as ratios
 * against a baseline measured in the same run, never as absolute targets.
 */
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
