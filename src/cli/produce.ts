/**
 * `gregor produce`: Kafka's kafka-console-producer over the wire, with its flags.
 *
 *   gregor produce --bootstrap-server localhost:9092 --topic T
 *                  [--property parse.key=true --property key.separator=:] [--property parse.headers=true]
 *                  [--compression-codec [none|gzip|snappy|lz4|zstd]] [--request-required-acks -1|1|0]
 *                  [--producer-property k=v]... [--sync]
 *
 * One record per line of standard input, parsed as LineMessageReader does
 * ("h1:v1,h2:v2<TAB>key<TAB>value" with parse.headers and parse.key). The producer is configured
 * as ConsoleProducer configures the Java producer (client.id console-producer, acks -1 so
 * idempotent, linger.ms 1000, request.timeout.ms 1500, retries 3, ...), and the flags and
 * --producer-property override the same keys.
 *
 * On a terminal it prompts with ">" before each line, as the Java tool does. Reading a file or a
 * pipe it goes at full speed with backpressure (buffer.memory); when standard error is a terminal
 * it shows messages sent and messages/s while it runs and a summary at the end; piped, it prints
 * nothing but errors. A record the broker refuses is reported on stderr and the exit status is 1;
 * a line that cannot be parsed stops the tool (exit 1) after what was read before it is sent.
 * Ctrl-C sends what was already read, then exits 130.
 */
import { StringDecoder } from 'node:string_decoder';
import { KafkaClient } from '../client/cluster.js';
import { Producer, type ProducerOptions } from '../client/producer.js';
import { codecFromName } from '../protocol/records/compression/index.js';
import { LineFormatError, parseLine, readerConfig, type ReaderConfig } from './message-format.js';
import {
  DEFAULT_REACH_TIMEOUT_MS,
  SIGINT_EXIT,
  boolProperty,
  checkBootstrap,
  describeError,
  intValue,
  loadProperties,
  parseKeyValueArgs,
  parseToolFlags,
} from './tool-support.js';
import { UsageError } from './usage.js';
import { PROCESS_IO, type CliIo } from './io.js';
import { mustGet, present } from '../util/must-get.js';

const USAGE = `Usage: gregor produce --bootstrap-server HOST:PORT --topic TOPIC [options]

Reads lines from standard input and writes each as a record to the topic (the flags of Kafka's
kafka-console-producer). On a terminal, type one message per line; Ctrl-D or Ctrl-C ends.

Options:
  --bootstrap-server HOST:PORT     REQUIRED: the broker(s) to connect to
  --topic TOPIC                    REQUIRED: the topic to write to
  --property KEY=VALUE             how lines are read (repeatable):
                                     parse.key=true        "key<key.separator>value"
                                     key.separator=SEP     default a tab
                                     parse.headers=true    "h1:v1,h2:v2<headers.delimiter>..."
                                     headers.delimiter=SEP default a tab
                                     headers.separator=SEP default ","
                                     headers.key.separator=SEP  default ":"
                                     null.marker=TEXT      a key, value or header value equal to it is null
                                     ignore.error=true     keep going on lines without separators
  --reader-config FILE             those properties from a file (--property wins)
  --compression-codec [CODEC]      none, gzip, snappy, lz4 or zstd; alone means gzip
  --request-required-acks ACKS     -1 (all, default), 1 or 0
  --producer-property KEY=VALUE    a producer config, e.g. linger.ms=5 (repeatable)
  --producer.config FILE           producer configs from a file (--producer-property wins)
  --sync                           send each record and wait for it before reading the next line
  --batch-size N                   batch.size (default 16384)
  --timeout MS                     linger.ms (default 1000)
  --request-timeout-ms MS          request.timeout.ms (default 1500)
  --message-send-max-retries N     retries (default 3)
  --retry-backoff-ms MS            retry.backoff.ms (default 100)
  --max-block-ms MS                max.block.ms: how long to wait for the broker and the topic
                                   (default: 10000 to reach the broker at start, then 60000)
  --max-memory-bytes N             buffer.memory (default 33554432)
  --max-partition-memory-bytes N   batch.size
  --metadata-expiry-ms MS          metadata.max.age.ms (accepted; metadata is refreshed on errors)
  --socket-buffer-size N           send.buffer.bytes (accepted, not used)
  --line-reader CLASS              only Kafka's LineMessageReader is available
  -h, --help                       show this help
`;

const LINE_READERS = new Set(['org.apache.kafka.tools.LineMessageReader', 'kafka.tools.ConsoleProducer$LineMessageReader', 'kafka.tools.LineMessageReader']);

/** Producer configs this tool understands; others are reported and ignored, as the Java client warns. */
const KNOWN_PRODUCER_CONFIGS = new Set([
  'bootstrap.servers',
  'client.id',
  'acks',
  'compression.type',
  'linger.ms',
  'batch.size',
  'retries',
  'retry.backoff.ms',
  'request.timeout.ms',
  'delivery.timeout.ms',
  'max.block.ms',
  'buffer.memory',
  'enable.idempotence',
  'max.in.flight.requests.per.connection',
  'max.request.size',
  'metadata.max.age.ms',
  'send.buffer.bytes',
  'receive.buffer.bytes',
  'key.serializer',
  'value.serializer',
  'partitioner.ignore.keys',
  'compression.gzip.level',
  'compression.lz4.level',
  'compression.zstd.level',
  'socket.connection.setup.timeout.ms',
  'socket.connection.setup.timeout.max.ms',
  'connections.max.idle.ms',
  'reconnect.backoff.ms',
  'reconnect.backoff.max.ms',
  'retry.backoff.max.ms',
]);

export async function runProduce(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  const { values } = parseToolFlags(
    argv,
    {
      'bootstrap-server': { type: 'string' },
      'broker-list': { type: 'string' },
      topic: { type: 'string' },
      sync: { type: 'boolean' },
      'compression-codec': { type: 'string' },
      'batch-size': { type: 'string' },
      'message-send-max-retries': { type: 'string' },
      'retry-backoff-ms': { type: 'string' },
      timeout: { type: 'string' },
      'request-required-acks': { type: 'string' },
      'request-timeout-ms': { type: 'string' },
      'metadata-expiry-ms': { type: 'string' },
      'max-block-ms': { type: 'string' },
      'max-memory-bytes': { type: 'string' },
      'max-partition-memory-bytes': { type: 'string' },
      'line-reader': { type: 'string' },
      'socket-buffer-size': { type: 'string' },
      property: { type: 'string', multiple: true },
      'reader-config': { type: 'string' },
      'producer-property': { type: 'string', multiple: true },
      'producer.config': { type: 'string' },
      'command-property': { type: 'string', multiple: true },
      'command-config': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    USAGE,
    { continuation: ['property', 'producer-property', 'command-property'], optionalValue: { 'compression-codec': 'gzip' } },
  );
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (values.topic === undefined) throw new UsageError('missing required option --topic', USAGE);
  const bootstrap = checkBootstrap(values['bootstrap-server'] ?? values['broker-list'], USAGE);
  if (values['line-reader'] !== undefined && !LINE_READERS.has(values['line-reader'])) {
    throw new UsageError(`--line-reader ${values['line-reader']} is not available; only org.apache.kafka.tools.LineMessageReader is`, USAGE);
  }

  // Reader properties: the file, then the topic, then --property (ConsoleProducerConfig.readerProps).
  const readerProps = await loadProperties(values['reader-config'], USAGE);
  readerProps.set('topic', values.topic);
  for (const [k, v] of parseKeyValueArgs(values.property)) readerProps.set(k, v);
  let reader: ReaderConfig;
  try {
    reader = readerConfig(readerProps);
  } catch (err) {
    throw new UsageError((err as Error).message, USAGE);
  }

  // Producer properties (ConsoleProducerConfig.producerProps): file, --producer-property, then flags.
  const props = await loadProperties(values['producer.config'] ?? values['command-config'], USAGE);
  for (const [k, v] of parseKeyValueArgs([...(values['producer-property'] ?? []), ...(values['command-property'] ?? [])])) props.set(k, v);
  const merge = (key: string, flag: string | undefined, dflt: string): void => {
    if (flag !== undefined || !props.has(key)) props.set(key, flag ?? dflt);
  };
  if (values['compression-codec'] !== undefined || !props.has('compression.type')) props.set('compression.type', values['compression-codec'] ?? 'none');
  if (!props.has('client.id')) props.set('client.id', 'console-producer');
  merge('linger.ms', values.timeout, '1000');
  merge('acks', values['request-required-acks'], '-1');
  merge('request.timeout.ms', values['request-timeout-ms'], '1500');
  merge('retries', values['message-send-max-retries'], '3');
  merge('retry.backoff.ms', values['retry-backoff-ms'], '100');
  merge('buffer.memory', values['max-memory-bytes'], '33554432');
  merge('batch.size', values['batch-size'], '16384');
  if (values['max-partition-memory-bytes'] !== undefined) props.set('batch.size', values['max-partition-memory-bytes']);
  merge('metadata.max.age.ms', values['metadata-expiry-ms'], '300000');
  const maxBlockGiven = values['max-block-ms'] !== undefined || props.has('max.block.ms');
  merge('max.block.ms', values['max-block-ms'], '60000');
  for (const key of props.keys()) {
    if (!KNOWN_PRODUCER_CONFIGS.has(key)) io.stderr.write(`WARN The configuration '${key}' was supplied but isn't a known config.\n`);
  }

  const options = producerOptions(props);
  const maxBlockMs = present(intValue('max.block.ms', props.get('max.block.ms'), USAGE), 'max.block.ms');
  const reachMs = maxBlockGiven ? maxBlockMs : DEFAULT_REACH_TIMEOUT_MS;
  const client = new KafkaClient({
    bootstrapServers: bootstrap,
    clientId: mustGet(props, 'client.id'),
    requestTimeoutMs: present(intValue('request.timeout.ms', props.get('request.timeout.ms'), USAGE, 1), 'request.timeout.ms'),
    retryBackoffMs: present(intValue('retry.backoff.ms', props.get('retry.backoff.ms'), USAGE), 'retry.backoff.ms'),
    retryTimeoutMs: reachMs,
    connectTimeoutMs: Math.min(reachMs, 10_000),
  });
  try {
    await client.retrying(() => client.anyConnection());
  } catch (err) {
    await client.close();
    io.stderr.write(`gregor produce: cannot reach the broker: ${describeError(err)}\n`);
    return 1;
  }
  const producer = new Producer(client, { ...options, maxBlockMs });
  try {
    return await new ConsoleProducer(io, producer, reader, values.topic, Boolean(values.sync)).run();
  } finally {
    await client.close();
  }
}

function producerOptions(props: ReadonlyMap<string, string>): ProducerOptions {
  const int = (key: string, min = 0): number | undefined => intValue(key, props.get(key), USAGE, min);
  const acksText = (props.get('acks') ?? '-1').trim().toLowerCase();
  const acks = acksText === 'all' ? -1 : Number(acksText);
  if (![-1, 0, 1].includes(acks) || !/^-?\d+$|^all$/.test(acksText)) throw new UsageError(`acks must be all, -1, 0 or 1, got '${props.get('acks')}'`, USAGE);
  const compression = (props.get('compression.type') ?? 'none').trim().toLowerCase();
  if (codecFromName(compression) === undefined) {
    throw new UsageError(`unknown compression codec '${compression}': use none, gzip, snappy, lz4 or zstd`, USAGE);
  }
  const retries = present(int('retries'), 'retries');
  const maxInFlight = int('max.in.flight.requests.per.connection', 1) ?? 5;
  const explicitIdempotence = props.get('enable.idempotence');
  let idempotent: boolean;
  if (explicitIdempotence !== undefined) {
    idempotent = boolProperty(explicitIdempotence);
    if (idempotent && acks !== -1) throw new UsageError('Must set acks to all in order to use the idempotent producer.', USAGE);
    if (idempotent && retries === 0) throw new UsageError('Must set retries to non-zero when using the idempotent producer.', USAGE);
    if (idempotent && maxInFlight > 5) throw new UsageError('Must set max.in.flight.requests.per.connection to at most 5 when using the idempotent producer.', USAGE);
  } else {
    // The Java producer turns idempotence off by itself when other settings conflict with it.
    idempotent = acks === -1 && retries > 0 && maxInFlight <= 5;
  }
  const lingerMs = present(int('linger.ms'), 'linger.ms');
  const requestTimeoutMs = present(int('request.timeout.ms', 1), 'request.timeout.ms');
  const delivery = int('delivery.timeout.ms', 1);
  return {
    acks,
    compression: compression === 'uncompressed' ? 'none' : compression,
    lingerMs,
    batchSize: present(int('batch.size'), 'batch.size'),
    retries,
    maxInFlight,
    idempotent,
    bufferMemory: present(int('buffer.memory', 1), 'buffer.memory'),
    // Java raises delivery.timeout.ms to linger.ms + request.timeout.ms when it is not set.
    deliveryTimeoutMs: delivery ?? Math.max(120_000, lingerMs + requestTimeoutMs),
    ...(props.has('max.request.size') ? { maxRequestSize: present(int('max.request.size', 1), 'max.request.size') } : {}),
  };
}

class ConsoleProducer {
  private failed = 0;
  private sent = 0;
  private acked = 0;
  private lineNumber = 0;
  private readonly interactive: boolean;
  private readonly showProgress: boolean;
  private progressShown = false;
  private readonly started = Date.now();
  private interrupted = false;

  constructor(
    private readonly io: CliIo,
    private readonly producer: Producer,
    private readonly reader: ReaderConfig,
    private readonly topic: string,
    private readonly sync: boolean,
  ) {
    this.interactive = Boolean(io.stdin.isTTY && io.stdout.isTTY);
    this.showProgress = !io.stdin.isTTY && Boolean(io.stderr.isTTY);
  }

  async run(): Promise<number> {
    const onSigint = (): void => {
      // A second Ctrl-C does not wait for the records in flight.
      if (this.interrupted) process.exit(SIGINT_EXIT);
      this.interrupted = true;
      this.io.stdin.destroy();
    };
    process.on('SIGINT', onSigint);
    const progressTimer = this.showProgress ? setInterval(() => { this.progress(); }, 250) : undefined;
    let exit = 0;
    try {
      await this.readLines();
    } catch (err) {
      if (!this.interrupted) {
        this.io.stderr.write(`gregor produce: ${err instanceof LineFormatError ? err.message : describeError(err)}\n`);
        exit = 1;
      }
    } finally {
      this.io.stdin.destroy();
    }
    await this.producer.close().catch(() => undefined);
    if (progressTimer) clearInterval(progressTimer);
    if (this.progressShown) {
      const secs = (Date.now() - this.started) / 1000;
      this.io.stderr.write(`\r\x1b[K${this.acked} messages sent in ${secs.toFixed(1)} s (${Math.round(this.acked / Math.max(secs, 0.001))} messages/s)\n`);
    }
    process.off('SIGINT', onSigint);
    if (this.interrupted) return SIGINT_EXIT;
    if (this.failed > 0) exit = 1;
    return exit;
  }

  private progress(): void {
    const secs = (Date.now() - this.started) / 1000;
    if (secs < 1) return;
    this.progressShown = true;
    this.io.stderr.write(`\r\x1b[K${this.acked} messages sent (${Math.round(this.acked / secs)} messages/s)`);
  }

  private prompt(): void {
    if (this.interactive) this.io.stdout.write('>');
  }

  /** Reads standard input line by line (\n, \r or \r\n end a line, as BufferedReader.readLine). */
  private async readLines(): Promise<void> {
    const decoder = new StringDecoder('utf8');
    let pending = '';
    let skipLf = false;
    this.prompt();
    for await (const chunk of this.io.stdin as AsyncIterable<Buffer>) {
      let text = pending + decoder.write(chunk);
      if (skipLf && text.startsWith('\n')) text = text.slice(1);
      skipLf = false;
      let start = 0;
      for (let i = 0; i < text.length; i++) {
        const ch = text.charCodeAt(i);
        if (ch !== 10 && ch !== 13) continue;
        await this.line(text.slice(start, i));
        if (ch === 13) {
          if (i + 1 < text.length) {
            if (text.charCodeAt(i + 1) === 10) i++;
          } else {
            skipLf = true;
          }
        }
        start = i + 1;
        if (this.interrupted) return;
      }
      pending = text.slice(start);
      if (this.interrupted) return;
    }
    pending += decoder.end();
    if (pending.length > 0 && !this.interrupted) await this.line(pending);
  }

  private async line(text: string): Promise<void> {
    this.lineNumber++;
    const parsed = parseLine(this.reader, text, this.lineNumber);
    this.sent++;
    const sending = this.producer.send({ topic: this.topic, key: parsed.key, value: parsed.value, headers: parsed.headers }).then(
      () => {
        this.acked++;
      },
      (err: unknown) => {
        this.failed++;
        const key = parsed.key === null ? 'null' : `${parsed.key.length} bytes`;
        const value = parsed.value === null ? 'null' : `${parsed.value.length} bytes`;
        this.io.stderr.write(`ERROR Error when sending message to topic ${this.topic} with key: ${key}, value: ${value} with error: ${describeError(err)}\n`);
      },
    );
    if (this.sync) await sending;
    else await this.producer.waitForRoom();
    this.prompt();
  }
}
