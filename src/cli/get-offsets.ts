/**
 * `gregor get-offsets`: Kafka's kafka-get-offsets (GetOffsetShell) over the wire, with its flags
 * and its output.
 *
 *   gregor get-offsets --bootstrap-server localhost:9092 [--topic REGEX] [--partitions 0,1]
 *                      [--time latest|earliest|max-timestamp|-1|-2|-3|<ms>] [--exclude-internal-topics]
 *   gregor get-offsets --bootstrap-server localhost:9092 --topic-partitions 'orders:0-3,audit'
 *
 * Prints `topic:partition:offset` per partition, sorted as Kafka's TreeMap sorts "topic-partition"
 * strings; partitions with no offset for the time asked (a timestamp after the last record) are
 * left out, as GetOffsetShell leaves them. With --format json: one array of {topic, partition,
 * offset, timestamp} objects, the partitions without an offset included with offset null.
 * Failures print "Error occurred: <message>" on stderr and exit 1.
 */
import { OffsetSpec, type ListedOffset, type PartitionOutcome } from '../client/admin.js';
import { isInternalTopic } from '../protocol/topic-name.js';
import {
  ADMIN_TOOL_FLAGS,
  checkBootstrap,
  describeError,
  includeListRegex,
  loadProperties,
  outputFormat,
  parseToolFlags,
  printedHelp,
  toJson,
  toolAdmin,
} from './tool-support.js';
import { PROCESS_IO, type CliIo } from './io.js';
import { UsageError } from './usage.js';

const USAGE = `Usage: gregor get-offsets --bootstrap-server HOST:PORT [options]

Print the offsets of topic partitions (the flags and output of Kafka's kafka-get-offsets).

Options:
  --bootstrap-server HOST:PORT   REQUIRED: the broker(s) to connect to
  --topic REGEX                  topics to look at (a regular expression); default all
  --partitions LIST              partition ids, as 0,1,2; default all
  --topic-partitions LIST        topic:partition patterns instead of --topic and --partitions, as
                                 topic1:1,topic2:0-3,topic3,topic4:5-,topic5:-3 (ranges exclude the upper bound)
  --time TIME                    latest or -1 (default), earliest or -2, max-timestamp or -3, or a
                                 timestamp in ms: the first offset whose record time is at or after it
  --exclude-internal-topics      leave internal topics out
  --format text|json             text (topic:partition:offset lines, as Kafka) or json
  --command-config FILE          client properties: client.id, request.timeout.ms, default.api.timeout.ms
  -h, --help                     show this help
`;

/** A failure GetOffsetShell reports as "Error occurred: ...", exit 1. */
class TerseError extends Error {}

interface PartitionRule {
  topic: RegExp;
  partition: (id: number) => boolean;
}

const anyPartition = (): boolean => true;

export async function runGetOffsets(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  if (argv.length === 0) throw new UsageError('An interactive shell for getting topic-partition offsets.', USAGE);
  const { values } = parseToolFlags(
    argv,
    {
      ...ADMIN_TOOL_FLAGS,
      topic: { type: 'string' },
      partitions: { type: 'string' },
      'topic-partitions': { type: 'string' },
      time: { type: 'string' },
      'exclude-internal-topics': { type: 'boolean' },
      format: { type: 'string' },
    },
    USAGE,
  );
  if (printedHelp(values, USAGE, io)) return 0;
  const bootstrap = checkBootstrap(values['bootstrap-server'], USAGE);
  const format = outputFormat(values.format, USAGE);
  const props = await loadProperties(values['command-config'], USAGE);
  let admin;
  try {
    if (values['topic-partitions'] !== undefined && (values.topic !== undefined || values.partitions !== undefined)) {
      throw new TerseError('--topic-partitions cannot be used with --topic or --partitions');
    }
    const timestamp = parseTime(values.time ?? 'latest');
    const rules =
      values['topic-partitions'] !== undefined
        ? values['topic-partitions'].split(',').map(parseRule)
        : [{ topic: regex(values.topic ?? '.*'), partition: partitionSet(values.partitions) }];
    admin = toolAdmin(bootstrap, props, 'GetOffsetShell', USAGE);
    const excludeInternal = Boolean(values['exclude-internal-topics']);
    const topics = (await admin.listTopics({ listInternal: true })).filter((t) => !(excludeInternal && (t.isInternal || isInternalTopic(t.name))));
    const candidates = topics.filter((t) => rules.some((r) => r.topic.test(t.name)));
    const described = await admin.describeTopics(candidates.map((t) => t.name));
    const wanted: { topic: string; partition: number; timestamp: bigint }[] = [];
    for (const d of described) {
      for (const p of d.partitions) {
        if (rules.some((r) => r.topic.test(d.name) && r.partition(p.partition))) wanted.push({ topic: d.name, partition: p.partition, timestamp });
      }
    }
    if (wanted.length === 0) throw new TerseError('Could not match any topic-partitions with the specified filters');
    const results = await admin.listOffsets(wanted);
    // GetOffsetShell's TreeMap orders by TopicPartition.toString(), "topic-partition", as strings.
    wanted.sort((a, b) => compareStrings(`${a.topic}-${a.partition}`, `${b.topic}-${b.partition}`));
    io.stdout.write(format === 'json' ? jsonLines(wanted, results) : textLines(wanted, results, io));
    return 0;
  } catch (err) {
    io.stderr.write(`Error occurred: ${describeError(err)}\n`);
    return 1;
  } finally {
    await admin?.close();
  }
}

function textLines(wanted: readonly { topic: string; partition: number }[], results: ReadonlyMap<string, PartitionOutcome<ListedOffset>>, io: CliIo): string {
  let out = '';
  for (const w of wanted) {
    const r = results.get(`${w.topic}:${w.partition}`);
    if (!r) continue;
    if (!r.ok) {
      io.stderr.write(`Skip getting offsets for topic-partition ${w.topic}-${w.partition} due to error: ${r.error.message}\n`);
      continue;
    }
    if (r.value.offset !== -1n) out += `${w.topic}:${w.partition}:${r.value.offset}\n`;
  }
  return out;
}

function jsonLines(wanted: readonly { topic: string; partition: number }[], results: ReadonlyMap<string, PartitionOutcome<ListedOffset>>): string {
  const rows = wanted.map((w) => {
    const r = results.get(`${w.topic}:${w.partition}`);
    if (!r || !r.ok) return { topic: w.topic, partition: w.partition, error: r ? r.error.errorName : 'UNKNOWN_SERVER_ERROR' };
    const found = r.value.offset !== -1n;
    return { topic: w.topic, partition: w.partition, offset: found ? r.value.offset : null, timestamp: found && r.value.timestamp >= 0n ? r.value.timestamp : null };
  });
  return `${toJson(rows)}\n`;
}

/** GetOffsetShell.parseOffsetSpec. */
function parseTime(value: string): bigint {
  const named: Partial<Record<string, bigint>> = {
    latest: OffsetSpec.LATEST,
    earliest: OffsetSpec.EARLIEST,
    'max-timestamp': OffsetSpec.MAX_TIMESTAMP,
    'earliest-local': OffsetSpec.EARLIEST_LOCAL,
    'latest-tiered': OffsetSpec.LATEST_TIERED,
  };
  const n = named[value];
  if (n !== undefined) return n;
  if (!/^[+-]?\d+$/.test(value)) {
    throw new TerseError(
      `Malformed time argument ${value}. Please use -1 or latest / -2 or earliest / -3 or max-timestamp / -4 or earliest-local / -5 or latest-tiered, or a specified long format timestamp`,
    );
  }
  return BigInt(value);
}

function regex(include: string): RegExp {
  try {
    return includeListRegex(include);
  } catch (err) {
    throw new TerseError((err as Error).message);
  }
}

function partitionSet(list: string | undefined): (id: number) => boolean {
  if (list === undefined || list === '') return anyPartition;
  const ids = new Set(
    list.split(',').map((s) => {
      if (!/^\s*\d+\s*$/.test(s)) throw new TerseError(`--partitions expects a comma separated list of numeric partition ids, but received: ${list}`);
      return Number(s);
    }),
  );
  return (id) => ids.has(id);
}

/**
 * One --topic-partitions rule (GetOffsetShell's pattern `([^:,]*)(?::(?:([0-9]*)|(?:([0-9]*)-([0-9]*))))?`):
 * an optional topic regex, then nothing (every partition), N, N-M (M excluded), N- or -M.
 */
function parseRule(spec: string): PartitionRule {
  const m = /^([^:,]*)(?::(?:(\d*)|(?:(\d*)-(\d*))))?$/.exec(spec);
  if (!m) throw new TerseError(`Invalid rule specification: ${spec}`);
  // The optional groups are undefined when they did not take part.
  const [, topicPart, single, lo, hi] = m as (string | undefined)[];
  const topic = regex(topicPart ? topicPart : '.*');
  if (single !== undefined && single !== '') {
    const id = Number(single);
    return { topic, partition: (p) => p === id };
  }
  if (lo !== undefined || hi !== undefined) {
    if ((lo ?? '') === '' && (hi ?? '') === '') throw new TerseError(`Invalid range specification: ${spec}`);
    const from = lo ? Number(lo) : 0;
    const to = hi ? Number(hi) : Infinity;
    return { topic, partition: (p) => p >= from && p < to };
  }
  if (single === '') throw new TerseError(`Invalid partition specification: ${spec}`);
  return { topic, partition: anyPartition };
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
