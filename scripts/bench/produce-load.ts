/**
 * The producer of cleaner.bench.ts, in a process of its own (`node --import tsx
 * scripts/bench/produce-load.ts PORT TOPIC`) as a client is in production, so that its own work
 * never runs on the broker's event loop: Gregor's client (dist/), acks=1, linger 0, one 1 KiB record
 * at a time, each send awaited and timed. Prints "ready" once it has sent its first record.
 *
 * Driven by lines on stdin: `phase NAME` labels the sends that follow (a send is counted under the
 * phase it started in), `stop` ends the run and prints one JSON line:
 * { NAME: { count, p50, p99, max } } in milliseconds.
 */
import { createInterface } from 'node:readline';
import { Producer } from '../../src/client/producer.js';
import { percentile } from './harness.js';

if (process.argv.length < 4) throw new Error('usage: produce-load.ts PORT TOPIC [ACKS]');
const [port, topic] = process.argv.slice(2);
const acks = process.argv.length > 4 ? Number(process.argv[4]) : 1;

const producer = new Producer({ bootstrapServers: `127.0.0.1:${port}` }, { acks, lingerMs: 0, idempotent: false });
const value = Buffer.alloc(1024, 0x62);
const samples = new Map<string, number[]>();
const state = { phase: 'warmup', stopping: false };

const commands = createInterface({ input: process.stdin });
commands.on('line', (line) => {
  const [command, arg] = line.trim().split(/\s+/);
  if (command === 'phase' && arg) state.phase = arg;
  else if (command === 'stop') state.stopping = true;
});

await producer.send({ topic, partition: 0, value });
console.log('ready');
while (!state.stopping) {
  const label = state.phase;
  const t0 = performance.now();
  await producer.send({ topic, partition: 0, value });
  const ms = performance.now() - t0;
  let list = samples.get(label);
  if (list === undefined) samples.set(label, (list = []));
  list.push(ms);
}
await producer.close();
commands.close();
const summary: Record<string, { count: number; p50: number; p99: number; max: number }> = {};
for (const [name, list] of samples) {
  list.sort((a, b) => a - b);
  summary[name] = { count: list.length, p50: percentile(list, 50), p99: percentile(list, 99), max: list[list.length - 1] };
}
process.stdout.write(JSON.stringify(summary) + '\n', () => process.exit(0));
