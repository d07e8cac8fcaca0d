/**
 * `gregor log-dirs` in-process against an in-process broker on disk: kafka-log-dirs' output with
 * each partition's size as stored, the topic and broker filters, and json output.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Broker } from '../../src/broker.js';
import { runLogDirs } from '../../src/cli/log-dirs.js';
import { Admin } from '../../src/client/admin.js';
import { Producer } from '../../src/client/producer.js';
import { startBroker } from '../helpers/kafka.js';
import { runTool } from './in-process.js';

let broker: Broker;
let bs: string[];
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'gregor-log-dirs-'));
  broker = await startBroker({ dataDir });
  bs = ['--bootstrap-server', broker.bootstrap];
  const admin = new Admin({ bootstrapServers: broker.bootstrap });
  await admin.createTopics([{ name: 'sized', numPartitions: 2 }, { name: 'empty', numPartitions: 1 }]);
  await admin.close();
  const producer = new Producer({ bootstrapServers: broker.bootstrap });
  for (let i = 0; i < 10; i++) await producer.send({ topic: 'sized', partition: 1, value: Buffer.alloc(100, i) });
  await producer.close();
}, 30_000);

afterAll(async () => {
  await broker.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const run = (...argv: string[]) => runTool(runLogDirs, [...bs, ...argv]);

describe('gregor log-dirs', () => {
  it("prints Kafka's two lines and its JSON, with each partition's size on disk", async () => {
    const r = await run('--describe', '--topic-list', 'sized');
    expect(r.code).toBe(0);
    const [first, second, json] = r.stdout.split('\n');
    expect(first).toBe('Querying brokers for log directories information');
    expect(second).toBe('Received log directory information from brokers 1');
    const size = BigInt(statSync(join(dataDir, 'sized-1', '00000000000000000000.log')).size);
    expect(size).toBeGreaterThan(1000n);
    // Key order is Jackson's over Kafka's HashMaps.
    expect(json).toBe(
      `{"brokers":[{"broker":1,"logDirs":[{"partitions":[{"partition":"sized-0","size":0,"offsetLag":0,"isFuture":false},` +
        `{"partition":"sized-1","size":${size},"offsetLag":0,"isFuture":false}],"error":null,"logDir":"${dataDir}"}]}],"version":1}`,
    );
  });

  it('prints json alone with the disk totals, every topic by default', async () => {
    const r = await run('--describe', '--format', 'json');
    const doc = JSON.parse(r.stdout) as { brokers: { broker: number; logDirs: { logDir: string; totalBytes: number; usableBytes: number; partitions: { partition: string }[] }[] }[] };
    expect(doc.brokers.map((b) => b.broker)).toEqual([1]);
    const dir = doc.brokers[0].logDirs[0];
    expect(dir.logDir).toBe(dataDir);
    expect(dir.totalBytes).toBeGreaterThan(0);
    expect(dir.partitions.map((p) => p.partition)).toEqual(expect.arrayContaining(['empty-0', 'sized-0', 'sized-1']));
  });

  it('refuses brokers that are not in the cluster, as Kafka words it', async () => {
    expect(await run('--describe', '--broker-list', '1,7')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'ERROR: The given brokers do not exist from --broker-list: 7. Current existent brokers: 1\n',
    });
    expect((await run('--topic-list', 'sized')).stderr).toBe('missing required option --describe\n');
  });
});
