/**
 * `gregor get-offsets` in-process against an in-process broker: kafka-get-offsets' lines for each
 * --time, the partition filters, its ordering, json output and its errors.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Broker } from '../../src/broker.js';
import { runGetOffsets } from '../../src/cli/get-offsets.js';
import { Admin } from '../../src/client/admin.js';
import { Producer } from '../../src/client/producer.js';
import { startBroker } from '../helpers/kafka.js';
import { runTool } from './in-process.js';

let broker: Broker;
let bs: string[];
const T0 = 1_700_000_000_000;

beforeAll(async () => {
  broker = await startBroker();
  bs = ['--bootstrap-server', broker.bootstrap];
  const admin = new Admin({ bootstrapServers: broker.bootstrap });
  await admin.createTopics([{ name: 'events', numPartitions: 12 }, { name: 'other', numPartitions: 1 }]);
  await admin.close();
  const producer = new Producer({ bootstrapServers: broker.bootstrap });
  // events-0 gets three records at T0, T0+10, T0+20; events-11 one; other-0 two.
  for (let i = 0; i < 3; i++) await producer.send({ topic: 'events', partition: 0, value: Buffer.from(`v${i}`), timestamp: T0 + i * 10 });
  await producer.send({ topic: 'events', partition: 11, value: Buffer.from('x'), timestamp: T0 });
  await producer.send({ topic: 'other', partition: 0, value: Buffer.from('a'), timestamp: T0 });
  await producer.send({ topic: 'other', partition: 0, value: Buffer.from('b'), timestamp: T0 });
  await producer.close();
}, 30_000);

afterAll(async () => {
  await broker.stop();
});

const run = (...argv: string[]) => runTool(runGetOffsets, [...bs, ...argv]);

describe('gregor get-offsets', () => {
  it('prints topic:partition:offset for the latest offsets, ordered as Kafka orders "topic-partition" strings', async () => {
    const r = await run('--topic', 'events');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    // "events-10" and "events-11" sort between "events-1" and "events-2".
    expect(lines.slice(0, 5)).toEqual(['events:0:3', 'events:1:0', 'events:10:0', 'events:11:1', 'events:2:0']);
    expect(lines).toHaveLength(12);
  });

  it('takes earliest, -2, -1 and a timestamp, and leaves out partitions with no offset after it', async () => {
    expect((await run('--topic', 'other', '--time', 'earliest')).stdout).toBe('other:0:0\n');
    expect((await run('--topic', 'other', '--time', '-2')).stdout).toBe('other:0:0\n');
    expect((await run('--topic', 'other', '--time', '-1')).stdout).toBe('other:0:2\n');
    expect((await run('--topic', 'events', '--partitions', '0', '--time', String(T0 + 15))).stdout).toBe('events:0:2\n');
    // Nothing in events-11 or other-0 at or after T0+15: Kafka prints no line for them.
    expect((await run('--topic-partitions', 'events:11,other', '--time', String(T0 + 15))).stdout).toBe('');
  });

  it('filters with --partitions and with --topic-partitions ranges (upper bound excluded)', async () => {
    expect((await run('--topic', 'events', '--partitions', '0,11')).stdout).toBe('events:0:3\nevents:11:1\n');
    expect((await run('--topic-partitions', 'events:9-11')).stdout).toBe('events:10:0\nevents:9:0\n');
    expect((await run('--topic-partitions', 'events:-1,oth.*')).stdout).toBe('events:0:3\nother:0:2\n');
  });

  it('prints json for scripts, partitions without an offset included as null', async () => {
    const r = await run('--topic-partitions', 'events:0,events:11', '--time', String(T0 + 15), '--format', 'json');
    expect(JSON.parse(r.stdout)).toEqual([
      { topic: 'events', partition: 0, offset: 2, timestamp: T0 + 20 },
      { topic: 'events', partition: 11, offset: null, timestamp: null },
    ]);
  });

  it('reports no match, a bad time and conflicting filters as Kafka does, exit 1', async () => {
    expect(await run('--topic', 'missing')).toEqual({ code: 1, stdout: '', stderr: 'Error occurred: Could not match any topic-partitions with the specified filters\n' });
    const bad = await run('--topic', 'events', '--time', 'yesterday');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^Error occurred: Malformed time argument yesterday\. Please use -1 or latest/);
    expect((await run('--topic', 'events', '--topic-partitions', 'events:0')).stderr).toBe('Error occurred: --topic-partitions cannot be used with --topic or --partitions\n');
  });

  it('suggests the flag meant for a mistyped one (usage error, exit 2)', async () => {
    const r = await run('--topic', 'events', '--partition', '0');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("Unknown option '--partition'. Did you mean '--partitions'?\n");
  });
});
