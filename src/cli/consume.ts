/**
 * `gregor consume`: Kafka's kafka-console-consumer over the wire, with its flags and output.
 *
 *   gregor consume --bootstrap-server localhost:9092 --topic T [--from-beginning] [--group G]
 *                  [--partition P [--offset earliest|latest|N]] [--max-messages N] [--timeout-ms MS]
 *                  [--property print.key=true --property key.separator=:] [--isolation-level read_committed]
 *
 * Records are printed by a port of DefaultMessageFormatter (message-format.ts), so the bytes on
 * standard output are the Java tool's for the same properties. At exit (end of --max-messages,
 * --timeout-ms without records, Ctrl-C, or an error) "Processed a total of N messages" goes to
 * standard error, as the Java tool prints it. --format json prints JSON Lines instead (json-records.ts).
 *
 * With --group (or group.id in the consumer properties) the tool is a member of that consumer
 * group: it starts from the group's committed offsets, commits every auto.commit.interval.ms and at
 * exit (only what it printed), and leaves the group. Without a group the Java tool joins a
 * throwaway group "console-consumer-NNNNN" and never commits; this one reads the topic's partitions
 * directly instead, which prints the same records and leaves no group behind. With --partition it
 * reads that partition from --offset (default latest), as the Java tool does.
 */
import { KafkaClient } from '../client/cluster.js';
import { Consumer, type ConsumerOptions, type ConsumerRecord, type StartOffset } from '../client/consumer.js';
import { JsonRecordFormatter } from './json-records.js';
import { MessageFormatter, formatterConfig } from './message-format.js';
import {
  DEFAULT_REACH_TIMEOUT_MS,
  SIGINT_EXIT,
  boolProperty,
  checkBootstrap,
  describeError,
  intValue,
  loadProperties,
  outputFormat,
  parseKeyValueArgs,
  parseToolFlags,
} from './tool-support.js';
import { UsageError } from './usage.js';
import { PROCESS_IO, type CliIo } from './io.js';
import { mustGet, present } from '../util/must-get.js';

/** Turns a record into the bytes printed for it. */
interface RecordFormatter {
  format(r: ConsumerRecord, out: Buffer[]): void;
}

const USAGE = `Usage: gregor consume --bootstrap-server HOST:PORT --topic TOPIC [options]

Prints the records of a topic to standard output (the flags and output of Kafka's
kafka-console-consumer). Ctrl-C stops it.

Options:
  --bootstrap-server HOST:PORT   REQUIRED: the broker(s) to connect to
  --topic TOPIC                  the topic to read (this or --include is required)
  --include REGEX                read every topic whose name matches
  --from-beginning               start at the earliest offset when there is no committed offset
  --group GROUP                  read as a member of this consumer group and commit its offsets
  --partition N                  read only this partition (not with --group)
  --offset OFFSET                with --partition: earliest, latest (default) or an offset
  --max-messages N               exit after N records
  --timeout-ms MS                exit when no record arrived for MS milliseconds
  --property KEY=VALUE           how records are printed (repeatable):
                                   print.timestamp=true  "CreateTime:1700000000000"
                                   print.partition=true  "Partition:0"
                                   print.offset=true     "Offset:5"
                                   print.headers=true    "k1:v1,k2:v2" or "NO_HEADERS"
                                   print.key=true        the key
                                   print.value=false     leave the value out
                                   key.separator=SEP     between fields, default a tab
                                   line.separator=SEP    after a record, default a newline
                                   headers.separator=SEP between headers, default ","
                                   null.literal=TEXT     for a null key or value, default "null"
  --formatter-property KEY=VALUE the same as --property
  --formatter-config FILE        those properties from a file
  --isolation-level LEVEL        read_uncommitted (default) or read_committed
  --consumer-property KEY=VALUE  a consumer config, e.g. auto.offset.reset=earliest (repeatable)
  --consumer.config FILE         consumer configs from a file (--consumer-property wins)
  --skip-message-on-error        accepted (records that cannot be printed do not occur here)
  --format text|json             text (as Kafka, shaped by --property) or json: one object per record
                                 and line with every field (bytes that are not UTF-8 in base64)
  -h, --help                     show this help
`;

const FORMATTERS = new Set(['kafka.tools.DefaultMessageFormatter', 'org.apache.kafka.tools.consumer.DefaultMessageFormatter']);
const DESERIALIZERS = new Set(['org.apache.kafka.common.serialization.StringDeserializer']);

export async function runConsume(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  const { values } = parseToolFlags(
    argv,
    {
      'bootstrap-server': { type: 'string' },
      topic: { type: 'string' },
      include: { type: 'string' },
      whitelist: { type: 'string' },
      partition: { type: 'string' },
      offset: { type: 'string' },
      'from-beginning': { type: 'boolean' },
      group: { type: 'string' },
      'max-messages': { type: 'string' },
      'timeout-ms': { type: 'string' },
      property: { type: 'string', multiple: true },
      'formatter-property': { type: 'string', multiple: true },
      formatter: { type: 'string' },
      'formatter-config': { type: 'string' },
      'consumer-property': { type: 'string', multiple: true },
      'command-property': { type: 'string', multiple: true },
      'consumer.config': { type: 'string' },
      'command-config': { type: 'string' },
      'isolation-level': { type: 'string' },
      'skip-message-on-error': { type: 'boolean' },
      'key-deserializer': { type: 'string' },
      'value-deserializer': { type: 'string' },
      'enable-systest-events': { type: 'boolean' },
      format: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    USAGE,
    { continuation: ['property', 'formatter-property', 'consumer-property', 'command-property'] },
  );
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const include = values.include ?? values.whitelist;
  if ((values.topic === undefined) === (include === undefined)) throw new UsageError('exactly one of --topic and --include is required', USAGE);
  const partition = intValue('--partition', values.partition, USAGE);
  if (partition !== undefined) {
    if (values.topic === undefined) throw new UsageError('The topic is required when partition is specified.', USAGE);
    if (values['from-beginning'] && values.offset !== undefined) throw new UsageError('Options from-beginning and offset cannot be specified together.', USAGE);
  } else if (values.offset !== undefined) {
    throw new UsageError('The partition is required when offset is specified.', USAGE);
  }
  const bootstrap = checkBootstrap(values['bootstrap-server'], USAGE);

  const props = await loadProperties(values['consumer.config'] ?? values['command-config'], USAGE);
  for (const [k, v] of parseKeyValueArgs([...(values['consumer-property'] ?? []), ...(values['command-property'] ?? [])])) props.set(k, v);
  const groups = new Set<string>();
  if (values.group !== undefined) groups.add(values.group);
  if (props.has('group.id')) groups.add(mustGet(props, 'group.id'));
  if (groups.size > 1) {
    throw new UsageError(`The group ids provided in different places (directly using '--group', via '--consumer-property', or via '--consumer.config') do not match. Detected group ids: ${[...groups].map((g) => `'${g}'`).join(', ')}`, USAGE);
  }
  const groupId = [...groups].at(0);
  if (groupId !== undefined && partition !== undefined) throw new UsageError('Options group and partition cannot be specified together.', USAGE);
  if (props.has('auto.offset.reset')) {
    const reset = mustGet(props, 'auto.offset.reset');
    if (values['from-beginning'] && reset !== 'earliest') {
      io.stderr.write(`Can't simultaneously specify --from-beginning and 'auto.offset.reset=${reset}', please remove one option\n`);
      return 1;
    }
  } else {
    props.set('auto.offset.reset', values['from-beginning'] ? 'earliest' : 'latest');
  }
  const reset = mustGet(props, 'auto.offset.reset');
  if (reset !== 'earliest' && reset !== 'latest' && reset !== 'none') {
    throw new UsageError(`Invalid value ${reset} for configuration auto.offset.reset: must be earliest, latest or none`, USAGE);
  }
  const isolation = values['isolation-level'] ?? props.get('isolation.level') ?? 'read_uncommitted';
  if (isolation !== 'read_uncommitted' && isolation !== 'read_committed') {
    throw new UsageError(`Invalid value ${isolation} for configuration isolation.level: String must be one of: read_committed, read_uncommitted`, USAGE);
  }
  let startOffset: StartOffset = values['from-beginning'] ? 'earliest' : 'latest';
  if (values.offset !== undefined) {
    const o = values.offset.toLowerCase();
    if (o === 'earliest' || o === 'latest') startOffset = o;
    else if (/^\d+$/.test(values.offset)) startOffset = BigInt(values.offset);
    else throw new UsageError(`The provided offset value '${values.offset}' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.`, USAGE);
  }
  const maxMessages = intValue('--max-messages', values['max-messages'], USAGE, Number.MIN_SAFE_INTEGER) ?? -1;
  const timeoutRaw = intValue('--timeout-ms', values['timeout-ms'], USAGE, Number.MIN_SAFE_INTEGER);
  const timeoutMs = timeoutRaw !== undefined && timeoutRaw >= 0 ? timeoutRaw : Infinity;

  if (values.formatter !== undefined && !FORMATTERS.has(values.formatter)) {
    throw new UsageError(`--formatter ${values.formatter} is not available; only org.apache.kafka.tools.consumer.DefaultMessageFormatter is`, USAGE);
  }
  const formatterProps = await loadProperties(values['formatter-config'], USAGE);
  for (const flag of ['key-deserializer', 'value-deserializer'] as const) {
    const d = values[flag];
    if (d !== undefined && d !== '') {
      if (!DESERIALIZERS.has(d)) throw new UsageError(`--${flag} ${d} is not available; records are printed as raw bytes (StringDeserializer)`, USAGE);
    }
  }
  for (const [k, v] of parseKeyValueArgs([...(values.property ?? []), ...(values['formatter-property'] ?? [])])) formatterProps.set(k, v);
  for (const k of ['key.deserializer', 'value.deserializer', 'headers.deserializer']) {
    const d = formatterProps.get(k);
    if (d !== undefined && !DESERIALIZERS.has(d)) throw new UsageError(`${k} ${d} is not available; records are printed as raw bytes`, USAGE);
  }
  const format = outputFormat(values.format, USAGE);
  if (format === 'json' && (values.property !== undefined || values['formatter-property'] !== undefined || values['formatter-config'] !== undefined)) {
    throw new UsageError('--format json prints every field of a record; --property, --formatter-property and --formatter-config shape the text format only', USAGE);
  }
  const formatter: RecordFormatter = format === 'json' ? new JsonRecordFormatter() : new MessageFormatter(formatterConfig(formatterProps));

  const int = (key: string, min = 0): number | undefined => intValue(key, props.get(key), USAGE, min);
  const apiTimeout = int('default.api.timeout.ms', 1);
  const reachMs = Math.min(apiTimeout ?? DEFAULT_REACH_TIMEOUT_MS, Number.isFinite(timeoutMs) ? Math.max(timeoutMs, 1) : Infinity);
  const client = new KafkaClient({
    bootstrapServers: bootstrap,
    clientId: props.get('client.id') ?? 'console-consumer',
    requestTimeoutMs: int('request.timeout.ms', 1) ?? 30_000,
    retryBackoffMs: int('retry.backoff.ms') ?? 100,
    retryTimeoutMs: reachMs,
    connectTimeoutMs: Math.min(reachMs, 10_000),
  });
  const options: ConsumerOptions = {
    autoOffsetReset: reset,
    isolationLevel: isolation,
    enableAutoCommit: groupId !== undefined && (props.has('enable.auto.commit') ? boolProperty(props.get('enable.auto.commit')) : true),
    autoCommitIntervalMs: int('auto.commit.interval.ms') ?? 5_000,
    sessionTimeoutMs: int('session.timeout.ms', 1) ?? 45_000,
    heartbeatIntervalMs: int('heartbeat.interval.ms', 1) ?? 3_000,
    rebalanceTimeoutMs: int('max.poll.interval.ms', 1) ?? 300_000,
    fetchMaxWaitMs: int('fetch.max.wait.ms') ?? 500,
    fetchMinBytes: int('fetch.min.bytes') ?? 1,
    fetchMaxBytes: int('fetch.max.bytes', 1) ?? 52_428_800,
    maxPartitionFetchBytes: int('max.partition.fetch.bytes', 1) ?? 1_048_576,
    groupInstanceId: props.get('group.instance.id') ?? null,
    ...(groupId !== undefined ? { groupId } : {}),
  };
  const allowAutoCreate = props.has('allow.auto.create.topics') ? boolProperty(props.get('allow.auto.create.topics')) : true;
  return new ConsoleConsumer(io, client, new Consumer(client, options), formatter, maxMessages, timeoutMs).run(async (consumer) => {
    let topics: string[];
    if (values.topic !== undefined) {
      topics = [values.topic];
    } else {
      // --include: the topics matching now (Kafka's TopicFilter.IncludeList).
      const source = present(include, '--include').trim().replace(/,/g, '|').replace(/ /g, '').replace(/^["']+/, '').replace(/["']+$/, '');
      const re = new RegExp(`^(?:${source})$`);
      const md = await client.metadata(null);
      topics = [...md.topics.values()].filter((t) => t.errorCode === 0 && !t.isInternal && re.test(t.name)).map((t) => t.name).sort();
    }
    if (groupId !== undefined) {
      await client.topicMetadata(topics, { allowAutoTopicCreation: allowAutoCreate });
      consumer.subscribe(topics);
      return;
    }
    const md = await client.topicMetadata(topics, { allowAutoTopicCreation: allowAutoCreate });
    if (partition !== undefined) {
      const topic = present(values.topic, '--topic');
      const t = mustGet(md, topic);
      if (!t.partitions.some((p) => p.partition === partition)) {
        throw new Error(`partition ${partition} of topic ${values.topic} does not exist (the topic has ${t.partitions.length})`);
      }
      consumer.assign([{ topic, partition, offset: startOffset }]);
      return;
    }
    consumer.assign(topics.flatMap((name) => mustGet(md, name).partitions.map((p) => ({ topic: name, partition: p.partition, offset: startOffset }))));
  });
}

class ConsoleConsumer {
  private count = 0;
  private stopping = false;
  private interrupted = false;
  private outputBroken = false;

  constructor(
    private readonly io: CliIo,
    private readonly client: KafkaClient,
    private readonly consumer: Consumer,
    private readonly formatter: RecordFormatter,
    private readonly maxMessages: number,
    private readonly timeoutMs: number,
  ) {}

  async run(setup: (consumer: Consumer) => Promise<void>): Promise<number> {
    const onSigint = (): void => {
      if (this.interrupted) process.exit(SIGINT_EXIT);
      this.interrupted = true;
      this.stopping = true;
      this.consumer.wakeup();
    };
    const onStdoutError = (): void => {
      if (!this.outputBroken) this.io.stderr.write('Unable to write to standard out, closing consumer.\n');
      this.outputBroken = true;
      this.stopping = true;
      this.consumer.wakeup();
    };
    process.on('SIGINT', onSigint);
    this.io.stdout.on('error', onStdoutError);
    let exit = 0;
    try {
      await this.client.retrying(() => this.client.anyConnection()).catch((err: unknown) => {
        throw new Error(`cannot reach the broker: ${describeError(err)}`);
      });
      if (!this.stopping) await setup(this.consumer);
      await this.loop();
    } catch (err) {
      if (!this.stopping) {
        this.io.stderr.write(`ERROR Error processing message, terminating consumer process: ${describeError(err)}\n`);
        exit = 1;
      }
    }
    await this.consumer.close().catch(() => undefined);
    await this.client.close();
    this.io.stderr.write(`Processed a total of ${this.count} messages\n`);
    process.off('SIGINT', onSigint);
    this.io.stdout.off('error', onStdoutError);
    if (this.interrupted) return SIGINT_EXIT;
    return exit;
  }

  private async loop(): Promise<void> {
    let lastRecordAt = Date.now();
    // As the Java tool: -1 means no limit; any other number stops the loop once reached.
    while (!this.stopping && (this.maxMessages === -1 || this.count < this.maxMessages)) {
      const waited = Date.now() - lastRecordAt;
      const wasReady = this.consumer.ready;
      const records = await this.consumer.poll(Math.max(1, Math.min(1000, this.timeoutMs - waited)));
      // stop() may have run while poll() awaited (the compiler's narrowing does not see it).
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (this.stopping) {
        this.rewind(records, 0);
        return;
      }
      if (records.length === 0) {
        // --timeout-ms counts from when records could be read: not while joining the group.
        // ready changes while poll() awaits (the group joins), which the compiler's narrowing does not see.
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
        if (!wasReady || !this.consumer.ready) lastRecordAt = Date.now();
        else if (Date.now() - lastRecordAt >= this.timeoutMs) return;
        continue;
      }
      lastRecordAt = Date.now();
      const out: Buffer[] = [];
      let i = 0;
      for (; i < records.length; i++) {
        if (this.maxMessages !== -1 && this.count >= this.maxMessages) break;
        this.formatter.format(records[i], out);
        this.count++;
      }
      this.rewind(records, i);
      await this.write(out);
    }
  }

  /** Moves positions back to the first record not printed, so that a commit covers printed ones only. */
  private rewind(records: readonly ConsumerRecord[], from: number): void {
    const seen = new Set<string>();
    for (let i = from; i < records.length; i++) {
      const r = records[i];
      const key = `${r.topic}:${r.partition}`;
      if (seen.has(key)) continue;
      seen.add(key);
      this.consumer.seek(r.topic, r.partition, r.offset);
    }
  }

  private write(out: Buffer[]): Promise<void> {
    if (out.length === 0 || this.outputBroken) return Promise.resolve();
    const data = Buffer.concat(out);
    return new Promise((resolve) => {
      if (this.io.stdout.write(data)) { resolve(); return; }
      const done = (): void => {
        this.io.stdout.off('drain', done);
        this.io.stdout.off('error', done);
        resolve();
      };
      this.io.stdout.on('drain', done);
      this.io.stdout.on('error', done);
    });
  }
}
