/**
 * `gregor consume` against an in-process broker: the bytes kafka-console-consumer prints for each
 * print property, partitions and offsets, consumer groups (commits, resuming after a broker
 * restart, Ctrl-C), exit codes, usage mistakes and an unreachable broker. The command runs
 * in-process; what needs signals (Ctrl-C) runs the bin as a child process.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Broker } from '../../src/broker.js';
import { kafkaFor, startBroker } from '../helpers/kafka.js';
import { ApiKey } from '../../src/protocol/generated/api-table.js';
import { DEFAULT_REACH_TIMEOUT_MS } from '../../src/cli/tool-support.js';
import { RecordingProxy, buildCli, freePort, removeCli, runCommand, startCli, until } from './helpers.js';

let broker: Broker;
let bs: string[];

const GROUP_CONFIG = { 'group.initial.rebalance.delay.ms': 0 };

beforeAll(async () => {
  await buildCli();
  broker = await startBroker({ config: GROUP_CONFIG });
  bs = ['--bootstrap-server', broker.bootstrap];
  const kafka = kafkaFor(broker);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'formats', numPartitions: 1 }, { topic: 'spread', numPartitions: 3 }, { topic: 'appended', numPartitions: 1, configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: 'formats',
    messages: [
      { key: 'key-a', value: 'value-a', timestamp: '1700000000000', headers: { k1: 'v1', k2: 'v2' } },
      { value: 'no key', timestamp: '1700000000001' },
      { key: 'key-c', value: null, timestamp: '1700000000002', headers: { only: 'one' } },
    ],
  });
  await producer.send({ topic: 'spread', messages: Array.from({ length: 9 }, (_, i) => ({ value: `s${i}`, partition: i % 3 })) });
  await producer.send({ topic: 'appended', messages: [{ value: 'stamped by the broker', timestamp: '1' }] });
  await producer.disconnect();
}, 30_000);

afterAll(async () => {
  await broker.stop();
  removeCli();
});

const consume = (...args: string[]): ReturnType<typeof runCommand> => runCommand(['consume', ...bs, ...args]);

describe('gregor consume output, byte for byte as kafka-console-consumer', () => {
  it('prints values by default, null for a null value', async () => {
    const r = await consume('--topic', 'formats', '--from-beginning', '--max-messages', '3');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('value-a\nno key\nnull\n');
    expect(r.stderr).toBe('Processed a total of 3 messages\n');
  });

  it('prints every field with every print property, in the formatter order', async () => {
    const r = await consume(
      '--topic',
      'formats',
      '--from-beginning',
      '--max-messages',
      '3',
      '--property',
      'print.key=true',
      'print.timestamp=true',
      '--property',
      'print.partition=true',
      '--property',
      'print.offset=true',
      '--property',
      'print.headers=true',
    );
    expect(r.stdout).toBe(
      'CreateTime:1700000000000\tPartition:0\tOffset:0\tk1:v1,k2:v2\tkey-a\tvalue-a\n' +
        'CreateTime:1700000000001\tPartition:0\tOffset:1\tNO_HEADERS\tnull\tno key\n' +
        'CreateTime:1700000000002\tPartition:0\tOffset:2\tonly:one\tkey-c\tnull\n',
    );
  });

  it.each([
    ['print.timestamp=true', 'CreateTime:1700000000000\tvalue-a\nCreateTime:1700000000001\tno key\n'],
    ['print.partition=true', 'Partition:0\tvalue-a\nPartition:0\tno key\n'],
    ['print.offset=true', 'Offset:0\tvalue-a\nOffset:1\tno key\n'],
    ['print.headers=true', 'k1:v1,k2:v2\tvalue-a\nNO_HEADERS\tno key\n'],
    ['print.key=true', 'key-a\tvalue-a\nnull\tno key\n'],
    ['print.value=false', ''],
  ])('with %s alone', async (property, expected) => {
    const r = await consume('--topic', 'formats', '--from-beginning', '--max-messages', '2', '--property', property);
    expect(r.stdout).toBe(expected);
  });

  it('ends the last field with the line separator when the value is not printed', async () => {
    const r = await consume('--topic', 'formats', '--from-beginning', '--max-messages', '2', '--property', 'print.key=true', '--property', 'print.value=false');
    expect(r.stdout).toBe('key-a\nnull\n');
  });

  it('uses key.separator, line.separator, headers.separator and null.literal', async () => {
    const r = await consume(
      '--topic',
      'formats',
      '--from-beginning',
      '--max-messages',
      '3',
      '--property',
      'print.key=true',
      '--property',
      'print.headers=true',
      '--property',
      'key.separator= | ',
      '--property',
      'line.separator=;',
      '--property',
      'headers.separator=&',
      '--property',
      'null.literal=<nil>',
    );
    expect(r.stdout).toBe('k1:v1&k2:v2 | key-a | value-a;NO_HEADERS | <nil> | no key;only:one | key-c | <nil>;');
  });

  it('accepts the property flags as --formatter-property too', async () => {
    const r = await consume('--topic', 'formats', '--from-beginning', '--max-messages', '1', '--formatter-property', 'print.offset=true');
    expect(r.stdout).toBe('Offset:0\tvalue-a\n');
  });

  it('prints LogAppendTime for topics stamped by the broker', async () => {
    const r = await consume('--topic', 'appended', '--from-beginning', '--max-messages', '1', '--property', 'print.timestamp=true');
    expect(r.stdout).toMatch(/^LogAppendTime:\d{13}\tstamped by the broker\n$/);
    expect(r.stdout).not.toContain('LogAppendTime:1\t');
  });
});

describe('gregor consume positions', () => {
  it('reads every partition from the beginning', async () => {
    const r = await consume('--topic', 'spread', '--from-beginning', '--max-messages', '9');
    expect(r.stdout.trim().split('\n').sort()).toEqual(['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7', 's8']);
  });

  it('reads one partition from an offset, or from earliest', async () => {
    const r = await consume('--topic', 'spread', '--partition', '1', '--offset', '1', '--timeout-ms', '500');
    expect(r).toMatchObject({ code: 0, stdout: 's4\ns7\n', stderr: 'Processed a total of 2 messages\n' });
    const e = await consume('--topic', 'spread', '--partition', '2', '--offset', 'earliest', '--max-messages', '3', '--property', 'print.partition=true');
    expect(e.stdout).toBe('Partition:2\ts2\nPartition:2\ts5\nPartition:2\ts8\n');
    const b = await consume('--topic', 'spread', '--partition', '0', '--from-beginning', '--max-messages', '1');
    expect(b.stdout).toBe('s0\n');
  });

  it('starts at the end without --from-beginning and exits after --timeout-ms without records', async () => {
    const r = await consume('--topic', 'spread', '--timeout-ms', '700');
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: 'Processed a total of 0 messages\n' });
  });

  it('prints records produced while it runs', async () => {
    const running = consume('--topic', 'live', '--from-beginning', '--max-messages', '2');
    const kafka = kafkaFor(broker);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'live' }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'live', messages: [{ value: 'one' }, { value: 'two' }] });
    await producer.disconnect();
    const r = await running;
    expect(r).toMatchObject({ code: 0, stdout: 'one\ntwo\n' });
  });
});

describe('gregor consume --group', () => {
  it('commits what it printed and the next run continues from there', async () => {
    const first = await consume('--topic', 'formats', '--group', 'resumers', '--from-beginning', '--max-messages', '2');
    expect(first.stdout).toBe('value-a\nno key\n');
    const admin = kafkaFor(broker).admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId: 'resumers', topics: ['formats'] });
    await admin.disconnect();
    expect(offsets[0].partitions).toEqual([expect.objectContaining({ partition: 0, offset: '2' })]);
    const second = await consume('--topic', 'formats', '--group', 'resumers', '--from-beginning', '--timeout-ms', '1000');
    expect(second).toMatchObject({ code: 0, stdout: 'null\n', stderr: 'Processed a total of 1 messages\n' });
  });

  it('shares partitions between two members with the range assignor', async () => {
    const kafka = kafkaFor(broker);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'shared', numPartitions: 4 }] });
    // --from-beginning: a member sets its position when it first fetches, which on a busy machine may
    // come after the records below were written; from the start it prints them all the same.
    const args = ['consume', ...bs, '--topic', 'shared', '--group', 'pair', '--from-beginning', '--consumer-property', 'heartbeat.interval.ms=100'];
    const a = startCli(args);
    const b = startCli(args);
    a.child.stdin!.end();
    b.child.stdin!.end();
    // Both members are in the group once it is stable with two members.
    await until(async () => {
      const { groups } = await admin.describeGroups(['pair']);
      return groups[0].state === 'Stable' && groups[0].members.length === 2;
    }, 'the group to be stable with two members');
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'shared', messages: Array.from({ length: 8 }, (_, i) => ({ value: `p${i % 4}-${i}`, partition: i % 4 })) });
    await producer.disconnect();
    const printed = (): string[] => [...a.stdout().split('\n'), ...b.stdout().split('\n')].filter((l) => l !== '');
    await until(() => printed().length >= 8, 'eight records printed');
    a.child.kill('SIGINT');
    b.child.kill('SIGINT');
    const [ra, rb] = await Promise.all([a.done, b.done]);
    const partitionsOf = (out: string): Set<string> => new Set(out.split('\n').filter((l) => l !== '').map((l) => l.split('-')[0]));
    // The range assignor gives each member two whole partitions.
    expect([...partitionsOf(ra.stdout)].sort()).toHaveLength(2);
    expect([...partitionsOf(rb.stdout)].sort()).toHaveLength(2);
    expect(printed().sort()).toEqual(['p0-0', 'p0-4', 'p1-1', 'p1-5', 'p2-2', 'p2-6', 'p3-3', 'p3-7']);
  }, 120_000);

  it('on Ctrl-C prints the count, commits and exits 130 (the bin, as a child process)', async () => {
    const running = startCli(['consume', ...bs, '--topic', 'spread', '--group', 'interrupted', '--from-beginning']);
    running.child.stdin!.end();
    // Printing means its Ctrl-C handler is in place.
    await until(() => running.stdout().split('\n').filter((l) => l !== '').length === 9, 'nine records printed');
    running.child.kill('SIGINT');
    const r = await running.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toBe('Processed a total of 9 messages\n');
    const admin = kafkaFor(broker).admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId: 'interrupted', topics: ['spread'] });
    await admin.disconnect();
    expect(offsets[0].partitions.map((p) => p.offset).sort()).toEqual(['3', '3', '3']);
  }, 120_000);

  it('resumes from the committed offsets after the broker restarts', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gregor-consume-restart-'));
    const port = await freePort();
    let b = await startBroker({ port, dataDir, config: GROUP_CONFIG });
    try {
      const bootstrap = ['--bootstrap-server', b.bootstrap];
      const produce = async (values: string[]): Promise<void> => {
        const p = kafkaFor(b).producer();
        await p.connect();
        await p.send({ topic: 'durable', messages: values.map((value) => ({ value })) });
        await p.disconnect();
      };
      await produce(['r1', 'r2', 'r3']);
      const first = await runCommand(['consume', ...bootstrap, '--topic', 'durable', '--group', 'survivors', '--from-beginning', '--max-messages', '2']);
      expect(first.stdout).toBe('r1\nr2\n');

      // A consumer left running across the restart picks up again by itself.
      const running = startCli(['consume', ...bootstrap, '--topic', 'durable', '--group', 'survivors', '--consumer-property', 'auto.commit.interval.ms=200']);
      running.child.stdin!.end();
      await running.waitFor('r3\n');
      const admin = kafkaFor(b).admin();
      await admin.connect();
      await until(async () => (await admin.fetchOffsets({ groupId: 'survivors', topics: ['durable'] }))[0].partitions[0].offset === '3', 'r3 committed');
      await admin.disconnect();
      await b.stop();
      b = await startBroker({ port, dataDir, config: GROUP_CONFIG });
      await produce(['r4']);
      await running.waitFor('r4\n', 'stdout', 60_000);
      running.child.kill('SIGINT');
      const live = await running.done;
      expect(live.stdout.split('\n').filter((l) => l !== '')).toEqual(['r3', 'r4']);

      await b.stop();
      b = await startBroker({ port, dataDir, config: GROUP_CONFIG });
      await produce(['r5']);
      const after = await runCommand(['consume', ...bootstrap, '--topic', 'durable', '--group', 'survivors', '--timeout-ms', '1000']);
      expect(after).toMatchObject({ code: 0, stdout: 'r5\n', stderr: 'Processed a total of 1 messages\n' });
    } finally {
      await b.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe('gregor consume on the wire', () => {
  it('talks to the broker as the Java console consumer does', async () => {
    const proxy = new RecordingProxy();
    const proxyPort = await proxy.listen();
    const b = await startBroker({ port: await freePort(), config: { ...GROUP_CONFIG, 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxyPort}` } });
    proxy.target = b.port;
    try {
      const producer = kafkaFor(b).producer();
      await producer.connect();
      await producer.send({ topic: 'watched', messages: [{ value: 'seen' }] });
      await producer.disconnect();
      proxy.requests.length = 0;
      const r = await runCommand(['consume', '--bootstrap-server', `127.0.0.1:${proxyPort}`, '--topic', 'watched', '--group', 'watchers', '--from-beginning', '--max-messages', '1']);
      expect(r.stdout).toBe('seen\n');
      const seen = proxy.requests;
      expect(seen[0]).toEqual({ apiKey: ApiKey.ApiVersions, apiVersion: 4, clientId: 'console-consumer' });
      expect(seen.every((s) => s.clientId === 'console-consumer')).toBe(true);
      const version = (key: number): number | undefined => seen.find((s) => s.apiKey === key)?.apiVersion;
      // The Java 4.0 consumer's versions against a broker that has newer ones.
      expect(version(ApiKey.Fetch)).toBe(17);
      expect(version(ApiKey.FindCoordinator)).toBe(6);
      expect(version(ApiKey.JoinGroup)).toBe(9);
      expect(version(ApiKey.SyncGroup)).toBe(5);
      expect(version(ApiKey.OffsetFetch)).toBe(9);
      expect(version(ApiKey.OffsetCommit)).toBe(9);
      expect(version(ApiKey.LeaveGroup)).toBe(5);
      const keys = seen.map((s) => s.apiKey);
      // Join, sync, read the committed offsets, fetch, commit at exit, leave.
      expect(keys.indexOf(ApiKey.JoinGroup)).toBeLessThan(keys.indexOf(ApiKey.SyncGroup));
      expect(keys.indexOf(ApiKey.SyncGroup)).toBeLessThan(keys.indexOf(ApiKey.OffsetFetch));
      expect(keys.indexOf(ApiKey.OffsetFetch)).toBeLessThan(keys.indexOf(ApiKey.Fetch));
      expect(keys.lastIndexOf(ApiKey.OffsetCommit)).toBeLessThan(keys.indexOf(ApiKey.LeaveGroup));
    } finally {
      await b.stop();
      await proxy.close();
    }
  });
});

describe('gregor consume mistakes', () => {
  it('prints the usage and exits 2 on unknown or missing flags', async () => {
    for (const args of [
      ['--topic', 'formats', '--bogus'],
      ['--from-beginning'],
      ['--topic', 'formats', '--offset', '3'],
      ['--topic', 'formats', '--partition', '0', '--offset', 'soon'],
      ['--topic', 'formats', '--partition', '0', '--group', 'g'],
      ['--topic', 'formats', '--max-messages', 'many'],
    ]) {
      const r = await consume(...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('Usage: gregor consume');
      expect(r.stdout).toBe('');
    }
    const noBootstrap = await runCommand(['consume', '--topic', 'x']);
    expect(noBootstrap.code).toBe(2);
    expect(noBootstrap.stderr).toContain('missing required option --bootstrap-server');
  });

  it('says clearly, within its timeout, that the broker cannot be reached', async () => {
    const port = await freePort();
    const r = await runCommand(['consume', '--bootstrap-server', `localhost:${port}`, '--topic', 'x', '--timeout-ms', '1500']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`cannot reach the broker: could not connect to localhost:${port}: connection refused (is a broker running there?)`);
    expect(r.stderr).toContain('Processed a total of 0 messages\n');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // --timeout-ms bounds the wait, not the tool's own default.
    expect(r.ms).toBeLessThan(DEFAULT_REACH_TIMEOUT_MS);
  });
});
