/**
 * `gregor transactions`: Kafka's kafka-transactions (TransactionsCommand) over the wire, with its
 * subcommands, flags and tables (src/client/transaction-admin.ts):
 *
 *   gregor transactions --bootstrap-server HOST:PORT list [--duration-filter MS] [--transactional-id-pattern RE]
 *   gregor transactions --bootstrap-server HOST:PORT describe --transactional-id ID
 *   gregor transactions --bootstrap-server HOST:PORT describe-producers --topic T --partition P [--broker-id N]
 *   gregor transactions --bootstrap-server HOST:PORT abort --topic T --partition P
 *                       (--start-offset O | --producer-id ID --producer-epoch E --coordinator-epoch C)
 *   gregor transactions --bootstrap-server HOST:PORT find-hanging (--broker-id N | --topic T [--partition P])
 *                       [--max-transaction-timeout MINUTES]
 *
 * Output is Kafka's: a table whose columns are padded to their widest value and each followed by a
 * tab, header first (list: TransactionalId Coordinator ProducerId TransactionState; describe:
 * CoordinatorId TransactionalId ProducerId ProducerEpoch TransactionState TransactionTimeoutMs
 * CurrentTransactionStartTimeMs TransactionDurationMs TopicPartitions; describe-producers: ProducerId
 * ProducerEpoch LatestCoordinatorEpoch LastSequence LastTimestamp CurrentTransactionStartOffset;
 * find-hanging: Topic Partition ProducerId ProducerEpoch CoordinatorEpoch StartOffset LastTimestamp
 * Duration(min)). abort prints nothing when it succeeds.
 *
 * find-hanging, as Kafka's: the open transactions (DescribeProducers) of the partitions searched
 * whose last write is older than --max-transaction-timeout (15 minutes by default) are hanging
 * unless their producer id belongs to a transactional id (ListTransactions) whose coordinator still
 * lists the partition in its transaction (DescribeTransactions).
 *
 * The global flags may come before the subcommand (as Kafka requires) or after it.
 * Exit codes: 0 on success; 1 when an operation fails (Kafka's "Failed to ..." message on stderr);
 * 2 for usage mistakes.
 */
import type { PartitionOutcome } from '../client/admin.js';
import type { TopicDescription } from '../client/admin.js';
import { KafkaProtocolError } from '../client/errors.js';
import {
  TransactionAdmin,
  partitionKey,
  type AbortTransactionSpec,
  type ListTransactionsFilters,
  type ProducerState,
  type TopicPartitionRef,
  type TransactionDescription,
  type TransactionListing,
} from '../client/transaction-admin.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import { ADMIN_TOOL_FLAGS, checkBootstrap, describeError, intValue, loadProperties, parseToolFlags, printedHelp, toolAdmin } from './tool-support.js';
import { PROCESS_IO, type CliIo } from './io.js';
import { UsageError } from './usage.js';

const USAGE = `Usage: gregor transactions --bootstrap-server HOST:PORT COMMAND [options]

Analyze the transactional state of producers in the cluster; detect and recover from hanging
transactions (the subcommands, flags and output of Kafka's kafka-transactions).

Commands:
  list                           list transactions
      --duration-filter MS       only transactions running longer than MS milliseconds (negative: all)
      --transactional-id-pattern RE
                                 only transactional ids matching the regular expression RE
  describe                       describe the state of an active transactional-id
      --transactional-id ID      REQUIRED: the transactional id
  describe-producers             describe the states of active producers for a topic partition
      --topic TOPIC              REQUIRED: the topic
      --partition N              REQUIRED: the partition
      --broker-id N              describe the producer state on this replica rather than the leader
  abort                          abort a hanging transaction (requires administrative privileges)
      --topic TOPIC              REQUIRED: the topic
      --partition N              REQUIRED: the partition
      --start-offset OFFSET      the start offset of the transaction to abort (brokers 3.0 and above)
      --producer-id ID           or all three of these (older brokers): the producer id,
      --producer-epoch E         its epoch,
      --coordinator-epoch C      and the coordinator epoch
  find-hanging                   find hanging transactions
      --broker-id N              search the partitions with a replica on this broker
      --topic TOPIC              search this topic (required with --partition)
      --partition N              search this partition only
      --max-transaction-timeout MINUTES
                                 the longest transaction timeout in use: open transactions idle
                                 longer are candidates (default 15)

Options:
  --bootstrap-server HOST:PORT   REQUIRED: the broker(s) to connect to
  --command-config FILE          client properties: client.id, request.timeout.ms, default.api.timeout.ms
  -h, --help                     show this help
`;

const COMMANDS = ['list', 'describe', 'describe-producers', 'abort', 'find-hanging'] as const;
type Command = (typeof COMMANDS)[number];

/** The flags each subcommand takes (the global ones are accepted anywhere). */
const COMMAND_FLAGS: Record<Command, readonly string[]> = {
  list: ['duration-filter', 'transactional-id-pattern'],
  describe: ['transactional-id'],
  'describe-producers': ['topic', 'partition', 'broker-id'],
  abort: ['topic', 'partition', 'start-offset', 'producer-id', 'producer-epoch', 'coordinator-epoch'],
  'find-hanging': ['broker-id', 'max-transaction-timeout', 'topic', 'partition'],
};

const FLAGS = {
  ...ADMIN_TOOL_FLAGS,
  'duration-filter': { type: 'string' },
  'transactional-id-pattern': { type: 'string' },
  'transactional-id': { type: 'string' },
  topic: { type: 'string' },
  partition: { type: 'string' },
  'broker-id': { type: 'string' },
  'start-offset': { type: 'string' },
  'producer-id': { type: 'string' },
  'producer-epoch': { type: 'string' },
  'coordinator-epoch': { type: 'string' },
  'max-transaction-timeout': { type: 'string' },
} as const;

/** What a subcommand was asked to do, its flags read and checked. */
export type TransactionsCommand =
  | { command: 'list'; filters: ListTransactionsFilters }
  | { command: 'describe'; transactionalId: string }
  | { command: 'describe-producers'; topic: string; partition: number; brokerId: number | undefined }
  | { command: 'abort'; topic: string; partition: number; startOffset: bigint | undefined; producerId: bigint | undefined; producerEpoch: number | undefined; coordinatorEpoch: number | undefined }
  | { command: 'find-hanging'; brokerId: number | undefined; topic: string | undefined; partition: number | undefined; maxTransactionTimeoutMinutes: number };

export interface ParsedTransactionsArgs {
  bootstrap: string;
  commandConfig: string | undefined;
  spec: TransactionsCommand;
}

/** The calls the subcommands make: TransactionAdmin and two of Admin's (tests give canned ones). */
export interface TransactionsApi {
  listTransactions(filters: ListTransactionsFilters): Promise<Map<number, TransactionListing[]>>;
  describeTransactions(ids: readonly string[]): Promise<Map<string, PartitionOutcome<TransactionDescription>>>;
  describeProducers(partitions: readonly TopicPartitionRef[], options: { brokerId?: number }): Promise<Map<string, PartitionOutcome<ProducerState[]>>>;
  abortTransaction(spec: AbortTransactionSpec): Promise<void>;
  listTopics(): Promise<string[]>;
  describeTopics(names: readonly string[]): Promise<TopicDescription[]>;
  close(): Promise<void>;
}

export interface TransactionsDeps {
  /** Milliseconds since the epoch (durations in describe and find-hanging). */
  now?: () => number;
  /** The client for these flags; by default the wire client. */
  api?: (bootstrap: string, props: ReadonlyMap<string, string>) => TransactionsApi;
}

/** A failure printed as Kafka's printErrorAndExit prints it, exit code 1. */
class CommandFailure extends Error {}

/** Kafka's message for a failed step: "<what>: <cause>." */
function failure(what: string, err: unknown): CommandFailure {
  return new CommandFailure(`${what}: ${describeError(err)}.`);
}

export async function runTransactions(argv: string[], io: CliIo = PROCESS_IO, deps: TransactionsDeps = {}): Promise<number> {
  if (argv.length === 0) throw new UsageError('This tool is used to analyze the transactional state of producers in the cluster. It can be used to detect and recover from hanging transactions.', USAGE);
  const parsed = parseTransactionsArgs(argv, io);
  if (parsed === null) return 0;
  const props = await loadProperties(parsed.commandConfig, USAGE);
  const api = (deps.api ?? wireApi)(parsed.bootstrap, props);
  const now = deps.now ?? Date.now;
  try {
    io.stdout.write(await execute(api, parsed.spec, now));
    return 0;
  } catch (err) {
    if (err instanceof CommandFailure) {
      io.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    await api.close();
  }
}

/** Reads argv; null when --help was printed. Throws UsageError for mistakes, worded as Kafka's argparse4j words them. */
export function parseTransactionsArgs(argv: readonly string[], io: CliIo): ParsedTransactionsArgs | null {
  const { values, positionals, tokens } = parseToolFlags(argv, FLAGS, USAGE, { positionals: true });
  if (printedHelp(values, USAGE, io)) return null;
  if (positionals.length === 0) throw new UsageError(`too few arguments: a command is required, one of ${COMMANDS.join(', ')}`, USAGE);
  const [name, ...stray] = positionals;
  if (!(COMMANDS as readonly string[]).includes(name)) {
    throw new UsageError(`argument COMMAND: invalid choice: '${name}' (choose from ${COMMANDS.map((c) => `'${c}'`).join(', ')})`, USAGE);
  }
  if (stray.length > 0) throw new UsageError(`unrecognized arguments: '${stray.join(' ')}'`, USAGE);
  const command = name as Command;
  const own = new Set([...Object.keys(ADMIN_TOOL_FLAGS), ...COMMAND_FLAGS[command]]);
  const foreign = [...new Set(tokens.flatMap((t) => (t.kind === 'option' && !own.has(t.name) ? [`--${t.name}`] : [])))];
  if (foreign.length > 0) throw new UsageError(`unrecognized arguments: '${foreign.join(' ')}' (not an option of ${command})`, USAGE);
  const bootstrap = checkBootstrap(values['bootstrap-server'], USAGE);
  const required = (flag: keyof typeof values): string => {
    const v = values[flag];
    if (typeof v !== 'string') throw new UsageError(`the following arguments are required: --${flag}`, USAGE);
    return v;
  };
  const int = (flag: 'partition' | 'broker-id' | 'producer-epoch' | 'coordinator-epoch' | 'max-transaction-timeout', min: number): number | undefined => intValue(`--${flag}`, values[flag], USAGE, min);
  const long = (flag: 'duration-filter' | 'start-offset' | 'producer-id'): bigint | undefined => {
    const v = values[flag];
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(v.trim())) throw new UsageError(`argument --${flag}: could not convert '${v}' to Long`, USAGE);
    return BigInt(v.trim());
  };
  let spec: TransactionsCommand;
  switch (command) {
    case 'list': {
      const duration = long('duration-filter');
      const pattern = values['transactional-id-pattern'];
      spec = { command, filters: { ...(duration !== undefined ? { durationMs: duration } : {}), ...(pattern !== undefined ? { transactionalIdPattern: pattern } : {}) } };
      break;
    }
    case 'describe':
      spec = { command, transactionalId: required('transactional-id') };
      break;
    case 'describe-producers':
      required('topic');
      required('partition');
      spec = { command, topic: required('topic'), partition: int('partition', 0) ?? 0, brokerId: int('broker-id', 0) };
      break;
    case 'abort':
      required('topic');
      required('partition');
      spec = {
        command,
        topic: required('topic'),
        partition: int('partition', 0) ?? 0,
        startOffset: long('start-offset'),
        producerId: long('producer-id'),
        producerEpoch: int('producer-epoch', 0),
        coordinatorEpoch: int('coordinator-epoch', Number.MIN_SAFE_INTEGER),
      };
      break;
    case 'find-hanging':
      spec = {
        command,
        brokerId: int('broker-id', 0),
        topic: values.topic,
        partition: int('partition', 0),
        maxTransactionTimeoutMinutes: int('max-transaction-timeout', 0) ?? 15,
      };
      break;
  }
  return { bootstrap, commandConfig: values['command-config'], spec };
}

/** Runs one subcommand; resolves to what it prints. Throws CommandFailure with Kafka's message. */
async function execute(api: TransactionsApi, spec: TransactionsCommand, now: () => number): Promise<string> {
  switch (spec.command) {
    case 'list': {
      let byBroker;
      try {
        byBroker = await api.listTransactions(spec.filters);
      } catch (err) {
        throw failure('Failed to list transactions', err);
      }
      return listTable(byBroker);
    }
    case 'describe': {
      const what = `Failed to describe transaction state of transactional-id \`${spec.transactionalId}\``;
      let result: PartitionOutcome<TransactionDescription> | undefined;
      try {
        result = (await api.describeTransactions([spec.transactionalId])).get(spec.transactionalId);
      } catch (err) {
        throw failure(what, err);
      }
      if (!result) throw failure(what, new KafkaProtocolError(ErrorCode.UnknownServerError));
      if (!result.ok) throw failure(what, result.error);
      return describeTable(result.value, now());
    }
    case 'describe-producers': {
      const tp = `${spec.topic}-${spec.partition}`;
      const where = spec.brokerId !== undefined ? `broker ${spec.brokerId}` : 'leader';
      const producers = await partitionProducers(api, { topic: spec.topic, partition: spec.partition }, spec.brokerId, `Failed to describe producers for partition ${tp} on ${where}`);
      return producersTable(producers);
    }
    case 'abort':
      await abort(api, spec);
      return '';
    case 'find-hanging':
      return findHanging(api, spec, now);
  }
}

async function partitionProducers(api: TransactionsApi, tp: TopicPartitionRef, brokerId: number | undefined, what: string): Promise<ProducerState[]> {
  let result: PartitionOutcome<ProducerState[]> | undefined;
  try {
    result = (await api.describeProducers([tp], brokerId !== undefined ? { brokerId } : {})).get(partitionKey(tp.topic, tp.partition));
  } catch (err) {
    throw failure(what, err);
  }
  if (!result) throw failure(what, new KafkaProtocolError(ErrorCode.UnknownTopicOrPartition));
  if (!result.ok) throw failure(what, result.error);
  return result.value;
}

async function abort(api: TransactionsApi, spec: Extract<TransactionsCommand, { command: 'abort' }>): Promise<void> {
  const tp = `${spec.topic}-${spec.partition}`;
  if (spec.startOffset === undefined && spec.producerId === undefined) {
    throw new CommandFailure('The transaction to abort must be identified either with --start-offset (for brokers on 3.0 or above) or with --producer-id, --producer-epoch, and --coordinator-epoch (for older brokers)');
  }
  let abortSpec: AbortTransactionSpec;
  if (spec.startOffset === undefined) {
    if (spec.producerEpoch === undefined) throw new CommandFailure('Missing required argument --producer-epoch');
    if (spec.coordinatorEpoch === undefined) throw new CommandFailure('Missing required argument --coordinator-epoch');
    // A transaction hanging before its first marker has no coordinator epoch (-1): 0 is at most any real one.
    abortSpec = { topic: spec.topic, partition: spec.partition, producerId: spec.producerId ?? -1n, producerEpoch: spec.producerEpoch, coordinatorEpoch: Math.max(0, spec.coordinatorEpoch) };
  } else {
    const startOffset = spec.startOffset;
    const producers = await partitionProducers(api, spec, undefined, `Failed to validate producer state for partition ${tp}`);
    const found = producers.find((p) => p.currentTransactionStartOffset === startOffset);
    if (!found) throw new CommandFailure(`Could not find any open transactions starting at offset ${startOffset} on partition ${tp}`);
    abortSpec = { topic: spec.topic, partition: spec.partition, producerId: found.producerId, producerEpoch: found.producerEpoch, coordinatorEpoch: Math.max(0, found.coordinatorEpoch) };
  }
  try {
    await api.abortTransaction(abortSpec);
  } catch (err) {
    throw failure(`Failed to abort transaction ${abortSpecString(abortSpec)}`, err);
  }
}

/** Kafka's AbortTransactionSpec.toString. */
export function abortSpecString(s: AbortTransactionSpec): string {
  return `AbortTransactionSpec(topicPartition=${s.topic}-${s.partition}, producerId=${s.producerId}, producerEpoch=${s.producerEpoch}, coordinatorEpoch=${s.coordinatorEpoch})`;
}

interface OpenTransaction {
  tp: TopicPartitionRef;
  state: ProducerState;
}

/** Kafka's MAX_BATCH_SIZE: topics described and partitions asked about per request. */
const MAX_BATCH_SIZE = 500;

async function findHanging(api: TransactionsApi, spec: Extract<TransactionsCommand, { command: 'find-hanging' }>, now: () => number): Promise<string> {
  if (spec.topic === undefined && spec.brokerId === undefined) {
    throw new CommandFailure('The `find-hanging` command requires either --topic or --broker-id to limit the scope of the search');
  }
  if (spec.partition !== undefined && spec.topic === undefined) throw new CommandFailure('The --partition argument requires --topic to be provided');
  const maxTimeoutMs = spec.maxTransactionTimeoutMinutes * 60_000;

  // The partitions to search.
  let partitions: TopicPartitionRef[] = [];
  if (spec.topic !== undefined && spec.partition !== undefined) {
    partitions = [{ topic: spec.topic, partition: spec.partition }];
  } else {
    let topics: string[];
    if (spec.topic !== undefined) {
      topics = [spec.topic];
    } else {
      try {
        topics = await api.listTopics();
      } catch (err) {
        throw failure('Failed to list topics', err);
      }
    }
    for (let i = 0; i < topics.length; i += MAX_BATCH_SIZE) {
      const batch = topics.slice(i, i + MAX_BATCH_SIZE);
      let described: TopicDescription[];
      try {
        described = await api.describeTopics(batch);
      } catch (err) {
        throw failure(`Failed to describe ${batch.length} topics`, err);
      }
      for (const d of described) {
        for (const p of d.partitions) if (spec.brokerId === undefined || p.replicas.includes(spec.brokerId)) partitions.push({ topic: d.name, partition: p.partition });
      }
    }
  }

  // Open transactions idle longer than the longest transaction timeout.
  const candidates: OpenTransaction[] = [];
  for (let i = 0; i < partitions.length; i += MAX_BATCH_SIZE) {
    const batch = partitions.slice(i, i + MAX_BATCH_SIZE);
    const what = `Failed to describe producers for ${batch.length} partitions on broker ${spec.brokerId === undefined ? 'Optional.empty' : `Optional[${spec.brokerId}]`}`;
    let results: Map<string, PartitionOutcome<ProducerState[]>>;
    try {
      results = await api.describeProducers(batch, spec.brokerId !== undefined ? { brokerId: spec.brokerId } : {});
    } catch (err) {
      throw failure(what, err);
    }
    const nowMs = BigInt(now());
    for (const tp of batch) {
      const r = results.get(partitionKey(tp.topic, tp.partition));
      if (!r) continue;
      if (!r.ok) throw failure(what, r.error);
      for (const state of r.value) {
        if (state.currentTransactionStartOffset !== null && nowMs - state.lastTimestamp > BigInt(maxTimeoutMs)) candidates.push({ tp, state });
      }
    }
  }
  if (candidates.length === 0) return hangingTable([], now());

  const byProducer = new Map<bigint, OpenTransaction[]>();
  for (const c of candidates) {
    let list = byProducer.get(c.state.producerId);
    if (!list) byProducer.set(c.state.producerId, (list = []));
    list.push(c);
  }
  // The transactional ids of those producers.
  const transactionalIds = new Map<bigint, string>();
  try {
    const listed = await api.listTransactions({ producerIds: [...byProducer.keys()] });
    for (const listings of listed.values()) for (const l of listings) if (byProducer.has(l.producerId)) transactionalIds.set(l.producerId, l.transactionalId);
  } catch (err) {
    throw failure(`Failed to list transactions for ${byProducer.size} producers`, err);
  }
  // Their coordinators' view: a partition still in the transaction will get its marker.
  const ids = [...new Set(transactionalIds.values())];
  const descriptions = new Map<string, TransactionDescription | null>();
  if (ids.length > 0) {
    let described: Map<string, PartitionOutcome<TransactionDescription>>;
    try {
      described = await api.describeTransactions(ids);
    } catch (err) {
      throw failure(`Failed to describe ${ids.length} transactions`, err);
    }
    for (const id of ids) {
      const r = described.get(id);
      if (r?.ok) descriptions.set(id, r.value);
      else if (r && r.error.code === ErrorCode.TransactionalIdNotFound) descriptions.set(id, null);
      else throw failure(`Failed to describe ${ids.length} transactions`, r ? r.error : new KafkaProtocolError(ErrorCode.UnknownServerError));
    }
  }
  const hanging: OpenTransaction[] = [];
  for (const [producerId, open] of byProducer) {
    const id = transactionalIds.get(producerId);
    const description = id === undefined ? null : (descriptions.get(id) ?? null);
    if (description === null) {
      hanging.push(...open);
      continue;
    }
    for (const o of open) {
      if (!description.topicPartitions.some((tp) => tp.topic === o.tp.topic && tp.partition === o.tp.partition)) hanging.push(o);
    }
  }
  return hangingTable(hanging, now());
}

// -------------------------------------------------------------------------------------------------
// Tables

/** Kafka's ToolsUtils.prettyPrintTable: each column padded to its widest value, each cell followed by a tab. */
export function prettyTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (row: readonly string[]): string => `${row.map((v, i) => `${v.padEnd(widths[i])}\t`).join('')}\n`;
  return line(headers) + rows.map(line).join('');
}

export function listTable(byBroker: ReadonlyMap<number, readonly TransactionListing[]>): string {
  const rows: string[][] = [];
  for (const [broker, listings] of [...byBroker].sort((a, b) => a[0] - b[0])) {
    for (const l of listings) rows.push([l.transactionalId, String(broker), String(l.producerId), l.state]);
  }
  return prettyTable(['TransactionalId', 'Coordinator', 'ProducerId', 'TransactionState'], rows);
}

export function describeTable(d: TransactionDescription, nowMs: number): string {
  const start = d.transactionStartTimeMs;
  return prettyTable(
    ['CoordinatorId', 'TransactionalId', 'ProducerId', 'ProducerEpoch', 'TransactionState', 'TransactionTimeoutMs', 'CurrentTransactionStartTimeMs', 'TransactionDurationMs', 'TopicPartitions'],
    [
      [
        String(d.coordinatorId),
        d.transactionalId,
        String(d.producerId),
        String(d.producerEpoch),
        d.state,
        String(d.transactionTimeoutMs),
        start === null ? 'None' : String(start),
        start === null ? 'None' : String(BigInt(nowMs) - start),
        d.topicPartitions.map((tp) => `${tp.topic}-${tp.partition}`).join(','),
      ],
    ],
  );
}

export function producersTable(producers: readonly ProducerState[]): string {
  return prettyTable(
    ['ProducerId', 'ProducerEpoch', 'LatestCoordinatorEpoch', 'LastSequence', 'LastTimestamp', 'CurrentTransactionStartOffset'],
    producers.map((p) => [
      String(p.producerId),
      String(p.producerEpoch),
      String(p.coordinatorEpoch),
      String(p.lastSequence),
      String(p.lastTimestamp),
      p.currentTransactionStartOffset === null ? 'None' : String(p.currentTransactionStartOffset),
    ]),
  );
}

function hangingTable(hanging: readonly OpenTransaction[], nowMs: number): string {
  return prettyTable(
    ['Topic', 'Partition', 'ProducerId', 'ProducerEpoch', 'CoordinatorEpoch', 'StartOffset', 'LastTimestamp', 'Duration(min)'],
    hanging.map(({ tp, state }) => [
      tp.topic,
      String(tp.partition),
      String(state.producerId),
      String(state.producerEpoch),
      String(state.coordinatorEpoch),
      String(state.currentTransactionStartOffset ?? -1n),
      String(state.lastTimestamp),
      String((BigInt(nowMs) - state.lastTimestamp) / 60_000n),
    ]),
  );
}

// -------------------------------------------------------------------------------------------------
// The wire client

function wireApi(bootstrap: string, props: ReadonlyMap<string, string>): TransactionsApi {
  const admin = toolAdmin(bootstrap, props, 'transactions-tool', USAGE);
  const txn = new TransactionAdmin(admin.client);
  return {
    listTransactions: (filters) => txn.listTransactions(filters),
    describeTransactions: (ids) => txn.describeTransactions(ids),
    describeProducers: (partitions, options) => txn.describeProducers(partitions, options),
    abortTransaction: (spec) => txn.abortTransaction(spec),
    // Kafka lists internal topics too (ListTopicsOptions.listInternal(true)).
    listTopics: async () => (await admin.listTopics({ listInternal: true })).map((t) => t.name),
    describeTopics: (names) => admin.describeTopics(names),
    close: () => admin.close(),
  };
}
