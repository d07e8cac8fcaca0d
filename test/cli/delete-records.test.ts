/**
 * `gregor delete-records` in-process against an in-process broker: kafka-delete-records' file
 * format and output, the --topic/--offset shorthand, and what a consumer then reads.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Broker } from '../../src/broker.js';
import { parseOffsetJson, runDeleteRecords } from '../../src/cli/delete-records.js';
import { Admin, OffsetSpec } from '../../src/client/admin.js';
import { Producer } from '../../src/client/producer.js';
import { startBroker } from '../helpers/kafka.js';
import { runTool } from './in-process.js';

let broker: Broker;
let bs: string[];
let admin: Admin;
let scratch: string;

beforeAll(async () => {
  broker = await startBroker();
  bs = ['--bootstrap-server', broker.bootstrap];
  admin = new Admin({ bootstrapServers: broker.bootstrap });
  await admin.createTopics([{ name: 'logs', numPartitions: 2 }, { name: 'all', numPartitions: 2 }]);
  const producer = new Producer({ bootstrapServers: broker.bootstrap });
  for (const topic of ['logs', 'all']) {
    for (let p = 0; p < 2; p++) for (let i = 0; i < 5; i++) await producer.send({ topic, partition: p, value: Buffer.from(`${p}-${i}`) });
  }
  await producer.close();
  scratch = mkdtempSync(join(tmpdir(), 'gregor-delete-records-'));
}, 30_000);

afterAll(async () => {
  await admin.close();
  await broker.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const run = (...argv: string[]) => runTool(runDeleteRecords, [...bs, ...argv]);

async function earliest(topic: string, partition: number): Promise<bigint | undefined> {
  const r = (await admin.listOffsets([{ topic, partition, timestamp: OffsetSpec.EARLIEST }])).get(`${topic}:${partition}`);
  return r?.ok ? r.value.offset : undefined;
}

describe('gregor delete-records', () => {
  it('deletes up to the offsets of a Kafka offset file and prints the new low watermarks', async () => {
    const file = join(scratch, 'offsets.json');
    writeFileSync(file, JSON.stringify({ partitions: [{ topic: 'logs', partition: 1, offset: 3 }, { topic: 'logs', partition: 0, offset: 2 }], version: 1 }));
    const r = await run('--offset-json-file', file);
    expect(r).toEqual({
      code: 0,
      stdout: 'Executing records delete operation\nRecords delete operation completed:\npartition: logs-0\tlow_watermark: 2\npartition: logs-1\tlow_watermark: 3\n',
      stderr: '',
    });
    expect(await earliest('logs', 0)).toBe(2n);
    expect(await earliest('logs', 1)).toBe(3n);
  });

  it('reports a partition the broker refuses on its line, as Kafka does', async () => {
    const file = join(scratch, 'beyond.json');
    writeFileSync(file, '{"partitions": [{"topic": "logs", "partition": 0, "offset": 99}, {"topic": "ghost", "partition": 0, "offset": 1}]}');
    const r = await run('--offset-json-file', file);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('partition: ghost-0\terror: This server does not host this topic-partition.\n');
    expect(r.stdout).toMatch(/partition: logs-0\terror: .*offset/);
    expect(await earliest('logs', 0)).toBe(2n);
  });

  it('empties every partition of a topic with --topic and --offset -1', async () => {
    const r = await run('--topic', 'all', '--offset', '-1');
    expect(r.stdout).toBe('Executing records delete operation\nRecords delete operation completed:\npartition: all-0\tlow_watermark: 5\npartition: all-1\tlow_watermark: 5\n');
    expect(await earliest('all', 0)).toBe(5n);
  });

  it('refuses a bad file in Kafka words, exit 1', async () => {
    const file = join(scratch, 'bad.json');
    writeFileSync(file, '{"partitions": [{"topic": "logs", "partition": 0, "offset": 1}, {"topic": "logs", "partition": 0, "offset": 2}]}');
    expect(await run('--offset-json-file', file)).toEqual({ code: 1, stdout: '', stderr: 'Error: Offset json file contains duplicate topic partitions: logs-0\n' });
    expect(() => parseOffsetJson('not json')).toThrow('The input string is not a valid JSON');
    expect(() => parseOffsetJson('{"version": 2, "partitions": []}')).toThrow('Not supported version field value 2');
    expect(() => parseOffsetJson('{"version": 1}')).toThrow('Missing partitions field');
    expect(parseOffsetJson('{"partitions": [{"topic": "t", "partition": 0, "offset": 9007199254740993}]}')).toEqual([{ topic: 't', partition: 0, offset: 9007199254740993n }]);
  });

  it('needs a file or --topic with --offset (usage error, exit 2)', async () => {
    expect((await run('--topic', 'logs')).code).toBe(2);
    expect((await run('--offset-json-file', 'x', '--topic', 'logs')).stderr).toBe('--offset-json-file cannot be combined with --topic, --partition or --offset\n');
  });
});
