/**
 * `gregor transactions` without a broker: argument parsing as kafka-transactions parses it, and the
 * tables and messages each subcommand prints from canned client answers (find-hanging's filtering,
 * abort's lookup of the producer by start offset).
 */
import { describe, expect, it } from '@jest/globals';
import { PassThrough } from 'node:stream';
import type { PartitionOutcome, TopicDescription } from '../../src/client/admin.js';
import { KafkaProtocolError } from '../../src/client/errors.js';
import type { AbortTransactionSpec, ProducerState, TopicPartitionRef, TransactionDescription, TransactionListing } from '../../src/client/transaction-admin.js';
import { parseTransactionsArgs, prettyTable, runTransactions, type TransactionsApi } from '../../src/cli/transactions.js';
import type { CliIo } from '../../src/cli/io.js';
import { UsageError } from '../../src/cli/usage.js';
import { ErrorCode } from '../../src/protocol/generated/errors.js';

const NOW = 1_700_000_000_000;
const BS = ['--bootstrap-server', 'localhost:9092'];

function capture(): CliIo & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const o: string[] = [];
  const e: string[] = [];
  stdout.on('data', (c: Buffer) => o.push(c.toString()));
  stderr.on('data', (c: Buffer) => e.push(c.toString()));
  return { stdin: new PassThrough(), stdout, stderr, out: () => o.join(''), err: () => e.join('') };
}

/** Canned answers; every call is recorded. */
class FakeApi implements TransactionsApi {
  calls: string[] = [];
  listings = new Map<number, TransactionListing[]>();
  descriptions = new Map<string, PartitionOutcome<TransactionDescription>>();
  producers = new Map<string, PartitionOutcome<ProducerState[]>>();
  topics: TopicDescription[] = [];
  aborted: AbortTransactionSpec[] = [];
  abortError: Error | null = null;

  listTransactions(filters: object): Promise<Map<number, TransactionListing[]>> {
    this.calls.push(`listTransactions ${JSON.stringify(filters, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`);
    return Promise.resolve(this.listings);
  }
  describeTransactions(ids: readonly string[]): Promise<Map<string, PartitionOutcome<TransactionDescription>>> {
    this.calls.push(`describeTransactions ${ids.join(',')}`);
    return Promise.resolve(new Map(ids.flatMap((id) => { const d = this.descriptions.get(id); return d ? [[id, d] as const] : []; })));
  }
  describeProducers(partitions: readonly TopicPartitionRef[], options: { brokerId?: number }): Promise<Map<string, PartitionOutcome<ProducerState[]>>> {
    this.calls.push(`describeProducers ${partitions.map((p) => `${p.topic}-${p.partition}`).join(',')}${options.brokerId !== undefined ? ` on ${options.brokerId}` : ''}`);
    return Promise.resolve(new Map(partitions.flatMap((p) => { const k = `${p.topic}:${p.partition}`; const r = this.producers.get(k); return r ? [[k, r] as const] : []; })));
  }
  abortTransaction(spec: AbortTransactionSpec): Promise<void> {
    this.aborted.push(spec);
    return this.abortError ? Promise.reject(this.abortError) : Promise.resolve();
  }
  listTopics(): Promise<string[]> {
    this.calls.push('listTopics');
    return Promise.resolve(this.topics.map((t) => t.name));
  }
  describeTopics(names: readonly string[]): Promise<TopicDescription[]> {
    this.calls.push(`describeTopics ${names.join(',')}`);
    return Promise.resolve(this.topics.filter((t) => names.includes(t.name)));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

async function run(api: FakeApi, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = capture();
  const code = await runTransactions([...BS, ...argv], io, { now: () => NOW, api: () => api });
  return { code, out: io.out(), err: io.err() };
}

const producer = (over: Partial<ProducerState> = {}): ProducerState => ({
  producerId: 1000n,
  producerEpoch: 3,
  lastSequence: 9,
  lastTimestamp: BigInt(NOW - 20 * 60_000),
  coordinatorEpoch: 0,
  currentTransactionStartOffset: 42n,
  ...over,
});

const topic = (name: string, partitions: number, replicas: number[] = [1]): TopicDescription => ({
  name,
  topicId: '00000000-0000-0000-0000-000000000001',
  isInternal: false,
  partitions: Array.from({ length: partitions }, (_, partition) => ({ partition, leader: replicas[0], replicas, isr: replicas, elr: null, lastKnownElr: null })),
});

describe('kafka-transactions arguments', () => {
  const parse = (...argv: string[]) => parseTransactionsArgs(argv, capture())?.spec;

  it('reads each subcommand with its flags, global flags before or after it', () => {
    expect(parse(...BS, 'list')).toEqual({ command: 'list', filters: {} });
    expect(parse('list', ...BS, '--duration-filter', '-1', '--transactional-id-pattern', 'pay.*')).toEqual({ command: 'list', filters: { durationMs: -1n, transactionalIdPattern: 'pay.*' } });
    expect(parse(...BS, 'describe', '--transactional-id', 'tx')).toEqual({ command: 'describe', transactionalId: 'tx' });
    expect(parse(...BS, 'describe-producers', '--topic', 't', '--partition', '2', '--broker-id', '1')).toEqual({ command: 'describe-producers', topic: 't', partition: 2, brokerId: 1 });
    expect(parse(...BS, 'abort', '--topic', 't', '--partition', '0', '--start-offset', '42')).toMatchObject({ command: 'abort', startOffset: 42n, producerId: undefined });
    expect(parse(...BS, 'abort', '--topic', 't', '--partition', '0', '--producer-id', '5', '--producer-epoch', '1', '--coordinator-epoch', '-1')).toMatchObject({ producerId: 5n, producerEpoch: 1, coordinatorEpoch: -1 });
    expect(parse(...BS, 'find-hanging', '--broker-id', '1')).toEqual({ command: 'find-hanging', brokerId: 1, topic: undefined, partition: undefined, maxTransactionTimeoutMinutes: 15 });
    expect(parse(...BS, 'find-hanging', '--topic', 't', '--partition', '1', '--max-transaction-timeout', '0')).toMatchObject({ topic: 't', partition: 1, maxTransactionTimeoutMinutes: 0 });
  });

  it.each([
    [['list'], /--bootstrap-server/],
    [[...BS], /a command is required/],
    [[...BS, 'lst'], /invalid choice: 'lst'/],
    [[...BS, 'describe'], /required: --transactional-id/],
    [[...BS, 'describe-producers', '--topic', 't'], /required: --partition/],
    [[...BS, 'abort', '--partition', '0'], /required: --topic/],
    [[...BS, 'list', '--topic', 't'], /unrecognized arguments: '--topic'/],
    [[...BS, 'describe', '--transactional-id', 'x', 'extra'], /unrecognized arguments: 'extra'/],
    [[...BS, 'abort', '--topic', 't', '--partition', 'x'], /--partition takes an integer/],
    [[...BS, 'list', '--duration-filter', '1.5'], /could not convert '1.5' to Long/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseTransactionsArgs(argv, capture())).toThrow(UsageError);
    expect(() => parseTransactionsArgs(argv, capture())).toThrow(message);
  });

  it('--help prints the usage', async () => {
    const io = capture();
    expect(await runTransactions(['--help'], io)).toBe(0);
    expect(io.out()).toMatch(/^Usage: gregor transactions --bootstrap-server HOST:PORT COMMAND/);
    expect(io.out()).toContain('find-hanging');
  });
});

describe('kafka-transactions output', () => {
  it("pads each column to its widest value and ends every cell with a tab, as Kafka's prettyPrintTable", () => {
    expect(prettyTable(['A', 'Long'], [['xyz', '1'], ['', '22']])).toBe('A  \tLong\t\nxyz\t1   \t\n   \t22  \t\n');
  });

  it('list: one row per transaction with the broker that coordinates it, brokers in id order', async () => {
    const api = new FakeApi();
    api.listings.set(2, [{ transactionalId: 'baz', producerId: 13579n, state: 'CompleteCommit' }]);
    api.listings.set(1, [
      { transactionalId: 'foo', producerId: 12345n, state: 'Ongoing' },
      { transactionalId: 'bar', producerId: 98765n, state: 'PrepareAbort' },
    ]);
    const r = await run(api, 'list', '--duration-filter', '100');
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      'TransactionalId\tCoordinator\tProducerId\tTransactionState\t\n' +
        'foo            \t1          \t12345     \tOngoing         \t\n' +
        'bar            \t1          \t98765     \tPrepareAbort    \t\n' +
        'baz            \t2          \t13579     \tCompleteCommit  \t\n',
    );
    expect(api.calls).toEqual(['listTransactions {"durationMs":"100n"}']);
  });

  it('describe: the coordinator, the state and the partitions, with the duration from now', async () => {
    const api = new FakeApi();
    api.descriptions.set('tx', {
      ok: true,
      value: { coordinatorId: 1, transactionalId: 'tx', state: 'Ongoing', producerId: 12345n, producerEpoch: 15, transactionTimeoutMs: 10000, transactionStartTimeMs: BigInt(NOW - 5000), topicPartitions: [{ topic: 'foo', partition: 5 }, { topic: 'bar', partition: 1 }] },
    });
    const r = await run(api, 'describe', '--transactional-id', 'tx');
    const [header, row] = r.out.split('\n').map((l) => l.split('\t').map((c) => c.trim()));
    expect(header).toEqual(['CoordinatorId', 'TransactionalId', 'ProducerId', 'ProducerEpoch', 'TransactionState', 'TransactionTimeoutMs', 'CurrentTransactionStartTimeMs', 'TransactionDurationMs', 'TopicPartitions', '']);
    expect(row).toEqual(['1', 'tx', '12345', '15', 'Ongoing', '10000', String(NOW - 5000), '5000', 'foo-5,bar-1', '']);

    api.descriptions.set('idle', { ok: true, value: { coordinatorId: 1, transactionalId: 'idle', state: 'Empty', producerId: 7n, producerEpoch: 0, transactionTimeoutMs: 60000, transactionStartTimeMs: null, topicPartitions: [] } });
    const idle = await run(api, 'describe', '--transactional-id', 'idle');
    expect(idle.out.split('\n')[1].split('\t').map((c) => c.trim())).toEqual(['1', 'idle', '7', '0', 'Empty', '60000', 'None', 'None', '', '']);
  });

  it('describe: an unknown transactional id fails with exit 1 and Kafka\'s message', async () => {
    const api = new FakeApi();
    api.descriptions.set('nope', { ok: false, error: new KafkaProtocolError(ErrorCode.TransactionalIdNotFound) });
    const r = await run(api, 'describe', '--transactional-id', 'nope');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^Failed to describe transaction state of transactional-id `nope`: TRANSACTIONAL_ID_NOT_FOUND: .*\.\n$/);
  });

  it('describe-producers: the producers with None for those without an open transaction', async () => {
    const api = new FakeApi();
    api.producers.set('t:0', { ok: true, value: [producer({ lastTimestamp: 1234n }), producer({ producerId: 7n, producerEpoch: 0, lastSequence: -1, coordinatorEpoch: -1, lastTimestamp: 99n, currentTransactionStartOffset: null })] });
    const r = await run(api, 'describe-producers', '--topic', 't', '--partition', '0');
    expect(r.out).toBe(
      'ProducerId\tProducerEpoch\tLatestCoordinatorEpoch\tLastSequence\tLastTimestamp\tCurrentTransactionStartOffset\t\n' +
        '1000      \t3            \t0                     \t9           \t1234         \t42                           \t\n' +
        '7         \t0            \t-1                    \t-1          \t99           \tNone                         \t\n',
    );
    api.producers.set('t:1', { ok: false, error: new KafkaProtocolError(ErrorCode.NotLeaderOrFollower) });
    const failed = await run(api, 'describe-producers', '--topic', 't', '--partition', '1', '--broker-id', '2');
    expect(failed.code).toBe(1);
    expect(failed.err).toMatch(/^Failed to describe producers for partition t-1 on broker 2: NOT_LEADER_OR_FOLLOWER/);
  });

  it('abort --start-offset: the producer whose open transaction starts there, its coordinator epoch at least 0', async () => {
    const api = new FakeApi();
    api.producers.set('t:0', { ok: true, value: [producer({ producerId: 5n, currentTransactionStartOffset: 10n }), producer({ producerId: 6n, producerEpoch: 2, coordinatorEpoch: -1, currentTransactionStartOffset: 42n })] });
    const r = await run(api, 'abort', '--topic', 't', '--partition', '0', '--start-offset', '42');
    expect(r).toEqual({ code: 0, out: '', err: '' });
    expect(api.aborted).toEqual([{ topic: 't', partition: 0, producerId: 6n, producerEpoch: 2, coordinatorEpoch: 0 }]);

    const missing = await run(api, 'abort', '--topic', 't', '--partition', '0', '--start-offset', '7');
    expect(missing.code).toBe(1);
    expect(missing.err).toBe('Could not find any open transactions starting at offset 7 on partition t-0\n');
  });

  it('abort with the producer given; its errors and missing arguments are reported as Kafka reports them', async () => {
    const api = new FakeApi();
    expect((await run(api, 'abort', '--topic', 't', '--partition', '0', '--producer-id', '5', '--producer-epoch', '1', '--coordinator-epoch', '-1')).code).toBe(0);
    expect(api.aborted).toEqual([{ topic: 't', partition: 0, producerId: 5n, producerEpoch: 1, coordinatorEpoch: 0 }]);
    expect((await run(api, 'abort', '--topic', 't', '--partition', '0')).err).toBe(
      'The transaction to abort must be identified either with --start-offset (for brokers on 3.0 or above) or with --producer-id, --producer-epoch, and --coordinator-epoch (for older brokers)\n',
    );
    expect((await run(api, 'abort', '--topic', 't', '--partition', '0', '--producer-id', '5')).err).toBe('Missing required argument --producer-epoch\n');
    expect((await run(api, 'abort', '--topic', 't', '--partition', '0', '--producer-id', '5', '--producer-epoch', '1')).err).toBe('Missing required argument --coordinator-epoch\n');
    api.abortError = new KafkaProtocolError(ErrorCode.ClusterAuthorizationFailed);
    const denied = await run(api, 'abort', '--topic', 't', '--partition', '3', '--producer-id', '5', '--producer-epoch', '1', '--coordinator-epoch', '2');
    expect(denied.code).toBe(1);
    expect(denied.err).toMatch(/^Failed to abort transaction AbortTransactionSpec\(topicPartition=t-3, producerId=5, producerEpoch=1, coordinatorEpoch=2\): CLUSTER_AUTHORIZATION_FAILED/);
  });

  it('find-hanging: open transactions idle past the timeout whose coordinator does not list the partition', async () => {
    const api = new FakeApi();
    api.topics = [topic('t', 3), topic('other', 1, [2])];
    // Partition 0: producer 1 (transactional id "a", which still lists t-0): not hanging.
    // Partition 1: producer 2 (transactional id "b", whose transaction moved on): hanging.
    // Partition 2: producer 3 (no transactional id any more): hanging; producer 4: idle too briefly.
    api.producers.set('t:0', { ok: true, value: [producer({ producerId: 1n })] });
    api.producers.set('t:1', { ok: true, value: [producer({ producerId: 2n, currentTransactionStartOffset: 5n })] });
    api.producers.set('t:2', { ok: true, value: [producer({ producerId: 3n, lastTimestamp: BigInt(NOW - 61 * 60_000) }), producer({ producerId: 4n, lastTimestamp: BigInt(NOW - 60_000) }), producer({ producerId: 5n, currentTransactionStartOffset: null })] });
    api.listings.set(1, [{ transactionalId: 'a', producerId: 1n, state: 'Ongoing' }, { transactionalId: 'b', producerId: 2n, state: 'Ongoing' }]);
    const desc = (id: string, tps: TopicPartitionRef[]): PartitionOutcome<TransactionDescription> => ({ ok: true, value: { coordinatorId: 1, transactionalId: id, state: 'Ongoing', producerId: 0n, producerEpoch: 0, transactionTimeoutMs: 60000, transactionStartTimeMs: 0n, topicPartitions: tps } });
    api.descriptions.set('a', desc('a', [{ topic: 't', partition: 0 }]));
    api.descriptions.set('b', desc('b', [{ topic: 't', partition: 0 }]));
    const r = await run(api, 'find-hanging', '--broker-id', '1');
    expect(r.code).toBe(0);
    expect(r.out.split('\n').map((l) => l.split('\t').map((c) => c.trim()).slice(0, -1))).toEqual([
      ['Topic', 'Partition', 'ProducerId', 'ProducerEpoch', 'CoordinatorEpoch', 'StartOffset', 'LastTimestamp', 'Duration(min)'],
      ['t', '1', '2', '3', '0', '5', String(NOW - 20 * 60_000), '20'],
      ['t', '2', '3', '3', '0', '42', String(NOW - 61 * 60_000), '61'],
      [],
    ]);
    // Only partitions with a replica on broker 1, asked of that broker.
    expect(api.calls).toEqual(['listTopics', 'describeTopics t,other', 'describeProducers t-0,t-1,t-2 on 1', 'listTransactions {"producerIds":["1n","2n","3n"]}', 'describeTransactions a,b']);
  });

  it('find-hanging: a partition alone, nothing hanging; the scope flags are checked', async () => {
    const api = new FakeApi();
    api.producers.set('t:1', { ok: true, value: [producer({ lastTimestamp: BigInt(NOW - 60_000) })] });
    const r = await run(api, 'find-hanging', '--topic', 't', '--partition', '1');
    expect(r.out).toBe('Topic\tPartition\tProducerId\tProducerEpoch\tCoordinatorEpoch\tStartOffset\tLastTimestamp\tDuration(min)\t\n');
    expect(api.calls).toEqual(['describeProducers t-1']);
    expect((await run(api, 'find-hanging')).err).toBe('The `find-hanging` command requires either --topic or --broker-id to limit the scope of the search\n');
    expect((await run(api, 'find-hanging', '--broker-id', '1', '--partition', '0')).err).toBe('The --partition argument requires --topic to be provided\n');
  });
});
