/**
 * `gregor groups` against an in-process broker, run in-process with stdout and stderr captured:
 * --list, --describe (offsets, lag, members of classic and KIP-848 groups), --reset-offsets
 * (dry run and --execute, each spec), --delete, usage errors (exit 2) and an unreachable broker.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Producer, stringSerializers } from '@platformatic/kafka';
import type { Broker } from '../../src/broker.js';
import { parseDateTime } from '../../src/cli/groups.js';
import { UsageError } from '../../src/cli/usage.js';
import { startBroker } from '../helpers/kafka.js';
import { runCommand } from './helpers.js';

let broker: Broker;

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await runCommand(['groups', ...argv]);
  return { code: r.code!, out: r.stdout, err: r.stderr };
}

const bs = () => ['--bootstrap-server', broker.bootstrap];

async function commit(groupId: string, topic: string, offsets: Record<number, number>): Promise<void> {
  const codes = await broker.services.groups.commitOffsets({
    groupId,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    apiVersion: 9,
    partitions: Object.entries(offsets).map(([p, o]) => ({ topic, partition: Number(p), offset: BigInt(o), leaderEpoch: -1, metadata: null, commitTimestamp: -1 })),
  });
  expect(codes.every((c) => c === 0)).toBe(true);
}

beforeAll(async () => {
  broker = await startBroker();
  const md = broker.services.metadata;
  await md.createTopic({ name: 'orders', numPartitions: 3, replicationFactor: -1, configs: new Map(), validateOnly: false });
  await md.createTopic({ name: 'other', numPartitions: 1, replicationFactor: -1, configs: new Map(), validateOnly: false });
  const producer = new Producer({ clientId: 'p', bootstrapBrokers: [broker.bootstrap], serializers: stringSerializers });
  // 10 records per partition of orders, with timestamps 1000 ms apart from T.
  const T = Date.parse('2024-05-01T00:00:00.000Z');
  for (let i = 0; i < 10; i++) {
    await producer.send({ messages: [0, 1, 2].map((partition) => ({ topic: 'orders', partition, value: `v${i}`, timestamp: BigInt(T + i * 1000) })) });
  }
  await producer.close();
  await commit('offsets-only', 'orders', { 0: 4, 1: 10 });
  const r = await broker.services.groups.consumerGroupHeartbeat({
    groupId: 'live',
    memberId: 'member-a',
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: ['orders'],
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: [],
    clientId: 'app-1',
    clientHost: '/10.0.0.7',
    apiVersion: 1,
  });
  expect(r.errorCode).toBe(0);
  await broker.services.groups.commitOffsets({ groupId: 'live', generationId: 1, memberId: 'member-a', groupInstanceId: null, retentionTimeMs: -1, apiVersion: 9, partitions: [{ topic: 'orders', partition: 2, offset: 7n, leaderEpoch: -1, metadata: null, commitTimestamp: -1 }] });
});
afterAll(async () => {
  await broker.stop();
});

describe('gregor groups --list', () => {
  it('lists group ids; --state and --type show and filter', async () => {
    expect(await run(...bs(), '--list')).toEqual({ code: 0, out: 'live\noffsets-only\n', err: '' });
    const states = await run(...bs(), '--list', '--state');
    expect(states.out.split('\n')[0].trim().split(/\s+/)).toEqual(['GROUP', 'STATE']);
    expect(states.out).toMatch(/live\s+Stable/);
    expect(states.out).toMatch(/offsets-only\s+Empty/);
    const stable = await run(...bs(), '--list', '--state', 'stable');
    expect(stable.out.trim().split('\n').slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['live']);
    const consumer = await run(...bs(), '--list', '--type', 'consumer');
    expect(consumer.out.trim().split('\n').map((l) => l.trim().split(/\s+/))).toEqual([
      ['GROUP', 'TYPE'],
      ['live', 'consumer'],
    ]);
  });
});

describe('gregor groups --describe', () => {
  it('a KIP-848 group: every assigned partition with its offset, log end offset, lag and member', async () => {
    const r = await run(...bs(), '--describe', '--group', 'live');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('');
    expect(lines[1]).toBe('GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID');
    const rows = lines.slice(2).filter((l) => l !== '').map((l) => l.trim().split(/\s+/));
    expect(rows).toEqual([
      ['live', 'orders', '0', '-', '10', '-', 'member-a', '/10.0.0.7', 'app-1'],
      ['live', 'orders', '1', '-', '10', '-', 'member-a', '/10.0.0.7', 'app-1'],
      ['live', 'orders', '2', '7', '10', '3', 'member-a', '/10.0.0.7', 'app-1'],
    ]);
  });

  it('an empty group: its committed offsets, and the note on stderr', async () => {
    const r = await run(...bs(), '--describe', '--group', 'offsets-only');
    expect(r.err).toBe("\nConsumer group 'offsets-only' has no active members.\n");
    const rows = r.out.split('\n').slice(2).filter((l) => l !== '').map((l) => l.trim().split(/\s+/));
    expect(rows).toEqual([
      ['offsets-only', 'orders', '0', '4', '10', '6', '-', '-', '-'],
      ['offsets-only', 'orders', '1', '10', '10', '0', '-', '-', '-'],
    ]);
  });

  it('--members [--verbose] and --state', async () => {
    const members = await run(...bs(), '--describe', '--group', 'live', '--members', '--verbose');
    expect(members.out.split('\n')[1].trim().split(/\s+/)).toEqual(['GROUP', 'CONSUMER-ID', 'GROUP-INSTANCE-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS', 'ASSIGNMENT']);
    expect(members.out.split('\n')[2].trim().split(/\s+/)).toEqual(['live', 'member-a', '-', '/10.0.0.7', 'app-1', '3', 'orders(0,1,2)']);
    const state = await run(...bs(), '--describe', '--group', 'live', '--state');
    expect(state.out).toContain('ASSIGNMENT-STRATEGY');
    expect(state.out.split('\n')[2]).toMatch(/^live\s+\S+:\d+\s+\(1\)\s+uniform\s+Stable\s+1$/);
  });

  it('a group that does not exist', async () => {
    expect(await run(...bs(), '--describe', '--group', 'nope')).toEqual({ code: 1, out: '', err: "\nError: Consumer group 'nope' does not exist.\n" });
  });
});

describe('gregor groups --reset-offsets', () => {
  const table = (out: string) => out.split('\n').filter((l) => l.trim() !== '').slice(1).map((l) => l.trim().split(/\s+/));

  it('is a dry run by default (with Kafka\'s warning) and commits with --execute', async () => {
    await commit('resettable', 'orders', { 0: 1, 1: 1, 2: 1 });
    const dry = await run(...bs(), '--reset-offsets', '--group', 'resettable', '--topic', 'orders', '--to-earliest');
    expect(dry.code).toBe(0);
    expect(dry.err).toMatch(/^WARN: No action will be performed as the --execute option is missing/);
    expect(dry.out.split('\n')[1]).toBe(`${'GROUP'.padEnd(30)} ${'TOPIC'.padEnd(30)} ${'PARTITION'.padEnd(10)} ${'NEW-OFFSET'.padEnd(15)}`);
    expect(table(dry.out)).toEqual([
      ['resettable', 'orders', '0', '0'],
      ['resettable', 'orders', '1', '0'],
      ['resettable', 'orders', '2', '0'],
    ]);
    expect(broker.services.groups.fetchOffsets('resettable', null).offsets.map((o) => o.offset)).toEqual([1n, 1n, 1n]);

    const exec = await run(...bs(), '--reset-offsets', '--group', 'resettable', '--topic', 'orders:1,2', '--to-latest', '--execute');
    expect(exec.err).toBe('');
    expect(table(exec.out)).toEqual([
      ['resettable', 'orders', '1', '10'],
      ['resettable', 'orders', '2', '10'],
    ]);
    const now = new Map(broker.services.groups.fetchOffsets('resettable', null).offsets.map((o) => [o.partition, o.offset]));
    expect(now).toEqual(new Map([[0, 1n], [1, 10n], [2, 10n]]));
  });

  it('--to-offset (kept within the log), --shift-by, --to-current and --to-datetime', async () => {
    await commit('specs', 'orders', { 0: 5, 1: 5, 2: 5 });
    const to = await run(...bs(), '--reset-offsets', '--group', 'specs', '--all-topics', '--to-offset', '12', '--dry-run');
    expect(to.err).toBe('');
    expect(to.out).toContain('New offset (12) is higher than latest offset for topic partition orders-0. Value will be set to 10');
    expect(table(to.out.split('\n').filter((l) => !l.startsWith('New offset')).join('\n')).map((r) => r[3])).toEqual(['10', '10', '10']);
    expect(table((await run(...bs(), '--reset-offsets', '--group', 'specs', '--all-topics', '--shift-by', '-2', '--dry-run')).out).map((r) => r[3])).toEqual(['3', '3', '3']);
    expect(table((await run(...bs(), '--reset-offsets', '--group', 'specs', '--all-topics', '--to-current', '--dry-run')).out).map((r) => r[3])).toEqual(['5', '5', '5']);
    // The records of orders were written 1 s apart from 2024-05-01T00:00:00Z.
    const dt = await run(...bs(), '--reset-offsets', '--group', 'specs', '--topic', 'orders', '--to-datetime', '2024-05-01T00:00:03.500', '--dry-run');
    expect(table(dt.out).map((r) => r[3])).toEqual(['4', '4', '4']);
    const later = await run(...bs(), '--reset-offsets', '--group', 'specs', '--topic', 'orders', '--to-datetime', '2030-01-01T00:00:00.000+02:00', '--dry-run');
    expect(table(later.out).map((r) => r[3])).toEqual(['10', '10', '10']);
  });

  it('refuses a group with members, and a topic that does not exist', async () => {
    const r = await run(...bs(), '--reset-offsets', '--group', 'live', '--topic', 'orders', '--to-earliest', '--execute');
    expect(r).toMatchObject({ code: 1, out: '' });
    expect(r.err).toBe("\nError: Assignments can only be reset if the group 'live' is inactive, but the current state is Stable.\n");
    const missing = await run(...bs(), '--reset-offsets', '--group', 'resettable', '--topic', 'ghost', '--to-earliest', '--dry-run');
    expect(missing).toMatchObject({ code: 1, err: "\nError: The topic 'ghost' does not exist.\n" });
  });

  it('parses Kafka date-times (UTC without a zone)', () => {
    expect(parseDateTime('2024-05-01T00:00:03.500')).toBe(Date.parse('2024-05-01T00:00:03.500Z'));
    expect(parseDateTime('2024-05-01T02:00:00+02:00')).toBe(Date.parse('2024-05-01T00:00:00Z'));
    expect(parseDateTime('2024-05-01T02:00:00.1+0200')).toBe(Date.parse('2024-05-01T00:00:00.100Z'));
    expect(() => parseDateTime('yesterday')).toThrow(UsageError);
  });
});

describe('gregor groups --delete', () => {
  it('deletes empty groups; a group with members cannot be deleted', async () => {
    await commit('doomed', 'other', { 0: 1 });
    expect(await run(...bs(), '--delete', '--group', 'doomed')).toEqual({ code: 0, out: "Deletion of requested consumer groups ('doomed') was successful.\n", err: '' });
    expect(broker.services.groups.listGroups().groups.map((g) => g.groupId)).not.toContain('doomed');
    const r = await run(...bs(), '--delete', '--group', 'live');
    expect(r.code).toBe(1);
    expect(r.err).toBe('\nError: Deletion of some consumer groups failed:\n');
    expect(r.out).toBe("* Group 'live' could not be deleted due to: NON_EMPTY_GROUP: The group still has members.\n");
  });
});

describe('usage and connection errors', () => {
  it.each([
    [[], 'List all consumer groups'],
    [['--list'], 'missing required option --bootstrap-server'],
    [['--bootstrap-server', 'x:1'], 'exactly one action'],
    [['--bootstrap-server', 'x:1', '--describe'], 'takes one of these options: --all-groups, --group'],
    [['--bootstrap-server', 'x:1', '--reset-offsets', '--group', 'g', '--topic', 't'], 'exactly one of these options: --to-datetime'],
    [['--bootstrap-server', 'x:1', '--reset-offsets', '--group', 'g', '--to-latest'], 'takes one of these options: --all-topics, --topic'],
    [['--bootstrap-server', 'x:1', '--reset-offsets', '--group', 'g', '--all-topics', '--to-latest', '--dry-run', '--execute'], '--dry-run, --execute'],
    [['--bootstrap-server', 'x:1', '--list', '--bogus'], "Unknown option '--bogus'"],
    [['--bootstrap-server', 'nonsense', '--list'], 'Please provide valid host:port'],
  ])('%j: usage error, exit 2', async (argv, message) => {
    const r = await run(...(argv));
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.err).toContain('Usage: gregor groups');
  });

  it('an unreachable broker: a clear message, exit 1', async () => {
    const r = await run('--bootstrap-server', '127.0.0.1:1', '--list', '--timeout', '300');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^\nError: Executing consumer group command failed due to could not connect to 127\.0\.0\.1:1: .*refused.*\(is a broker running there\?\)\n$/);
  });
});
