/**
 * `gregor delete-records`: Kafka's kafka-delete-records (DeleteRecordsCommand): moves the log start
 * offset of partitions forward, so the records before it are gone for every consumer.
 *
 *   gregor delete-records --bootstrap-server localhost:9092 --offset-json-file offsets.json
 *   gregor delete-records --bootstrap-server localhost:9092 --topic T [--partition P] --offset N
 *
 * The file is Kafka's: {"partitions": [{"topic": "foo", "partition": 1, "offset": 1}], "version": 1};
 * offset -1 means the high watermark (everything). The flags are a shorthand for one topic (every
 * partition of it unless --partition). Output is the Kafka tool's: "Executing records delete
 * operation", "Records delete operation completed:", then per partition
 * "partition: foo-1\tlow_watermark: 1" or "partition: foo-1\terror: <message>" (sorted here; Kafka
 * prints a HashMap's order). As in Kafka, a partition's error does not change the exit code; a bad
 * file or an unreachable broker exits 1.
 */
import { readFile } from 'node:fs/promises';
import { ADMIN_TOOL_FLAGS, checkBootstrap, describeError, intValue, loadProperties, parseToolFlags, toolAdmin, printedHelp } from './tool-support.js';
import { PROCESS_IO, type CliIo } from './io.js';
import { UsageError } from './usage.js';
import { present } from '../util/must-get.js';

const USAGE = `Usage: gregor delete-records --bootstrap-server HOST:PORT (--offset-json-file FILE | --topic TOPIC --offset N) [options]

Delete the records of partitions before an offset (the flags and output of Kafka's kafka-delete-records).

Options:
  --bootstrap-server HOST:PORT   REQUIRED: the broker(s) to connect to
  --offset-json-file FILE        the offset per partition, as
                                 {"partitions": [{"topic": "foo", "partition": 1, "offset": 1}], "version": 1}
                                 (offset -1: delete everything up to the high watermark)
  --topic TOPIC                  instead of a file: this topic's partitions...
  --partition N                  ...only this one (default: every partition of --topic)...
  --offset N                     ...up to this offset (-1: the high watermark)
  --command-config FILE          client properties: client.id, request.timeout.ms, default.api.timeout.ms
  -h, --help                     show this help
`;

/** A request that cannot be sent as given: one line on stderr, exit 1. */
class BadInput extends Error {}

interface Deletion {
  topic: string;
  partition: number;
  offset: bigint;
}

export async function runDeleteRecords(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  if (argv.length === 0) throw new UsageError('This tool helps to delete records of the given partitions down to the specified offset.', USAGE);
  const { values } = parseToolFlags(
    argv,
    {
      ...ADMIN_TOOL_FLAGS,
      'offset-json-file': { type: 'string' },
      topic: { type: 'string' },
      partition: { type: 'string' },
      offset: { type: 'string' },
    },
    USAGE,
  );
  if (printedHelp(values, USAGE, io)) return 0;
  const bootstrap = checkBootstrap(values['bootstrap-server'], USAGE);
  const fromFile = values['offset-json-file'];
  if (fromFile !== undefined && (values.topic !== undefined || values.partition !== undefined || values.offset !== undefined)) {
    throw new UsageError('--offset-json-file cannot be combined with --topic, --partition or --offset', USAGE);
  }
  if (fromFile === undefined && (values.topic === undefined || values.offset === undefined)) {
    throw new UsageError('missing required option --offset-json-file (or --topic and --offset)', USAGE);
  }
  const partition = intValue('--partition', values.partition, USAGE);
  const offset = values.offset === undefined ? undefined : parseOffset(values.offset);
  const props = await loadProperties(values['command-config'], USAGE);
  let admin;
  try {
    let deletions: Deletion[];
    if (fromFile !== undefined) {
      let text: string;
      try {
        text = await readFile(fromFile, 'utf8');
      } catch (err) {
        throw new BadInput(`cannot read ${fromFile}: ${(err as Error).message}`);
      }
      deletions = parseOffsetJson(text);
    } else {
      deletions = [];
    }
    admin = toolAdmin(bootstrap, props, 'delete-records-tool', USAGE);
    if (fromFile === undefined) {
      const topic = present(values.topic, '--topic');
      const at = present(offset, '--offset');
      const [d] = await admin.describeTopics([topic]);
      const ids = partition !== undefined ? [partition] : d.partitions.map((p) => p.partition);
      deletions = ids.map((p) => ({ topic, partition: p, offset: at }));
    }
    io.stdout.write('Executing records delete operation\n');
    const results = await admin.deleteRecords(deletions);
    let out = 'Records delete operation completed:\n';
    const sorted = [...deletions].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
    for (const d of sorted) {
      const r = results.get(`${d.topic}:${d.partition}`);
      if (!r) continue;
      out += r.ok ? `partition: ${d.topic}-${d.partition}\tlow_watermark: ${r.value}\n` : `partition: ${d.topic}-${d.partition}\terror: ${r.error.message}\n`;
    }
    io.stdout.write(out);
    return 0;
  } catch (err) {
    io.stderr.write(`Error: ${describeError(err)}\n`);
    return 1;
  } finally {
    await admin?.close();
  }
}

function parseOffset(value: string): bigint {
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`--offset takes an offset (or -1 for the high watermark), got '${value}'`, USAGE);
  return BigInt(value.trim());
}

/**
 * DeleteRecordsCommand's file format, version 1 (the default when "version" is absent). A partition
 * named twice is refused, as Kafka refuses it. Offsets are read from the JSON text itself so that
 * values beyond 2^53 keep every digit.
 */
export function parseOffsetJson(text: string): Deletion[] {
  let js: unknown;
  try {
    // Quote big integers before JSON.parse rounds them.
    js = JSON.parse(text.replace(/("offset"\s*:\s*)(-?\d+)/g, '$1"$2"'));
  } catch {
    throw new BadInput('The input string is not a valid JSON');
  }
  if (typeof js !== 'object' || js === null || Array.isArray(js)) throw new BadInput('The input string is not a valid JSON');
  const obj = js as { version?: unknown; partitions?: unknown };
  const version = obj.version ?? 1;
  // A JSON value of any type, printed as JavaScript prints it.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  if (version !== 1) throw new BadInput(`Not supported version field value ${String(version)}`);
  if (obj.partitions === undefined) throw new BadInput('Missing partitions field');
  if (!Array.isArray(obj.partitions)) throw new BadInput('partitions must be a JSON array');
  const out: Deletion[] = [];
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const p of obj.partitions as unknown[]) {
    const e = p as { topic?: unknown; partition?: unknown; offset?: unknown };
    if (typeof e.topic !== 'string') throw new BadInput(`each partition needs a "topic" string: ${JSON.stringify(p)}`);
    if (typeof e.partition !== 'number' || !Number.isInteger(e.partition)) throw new BadInput(`each partition needs an integer "partition": ${JSON.stringify(p)}`);
    if (typeof e.offset !== 'string' || !/^-?\d+$/.test(e.offset)) throw new BadInput(`each partition needs an integer "offset": ${JSON.stringify(p)}`);
    const key = `${e.topic}-${e.partition}`;
    if (seen.has(key)) duplicates.add(key);
    seen.add(key);
    out.push({ topic: e.topic, partition: e.partition, offset: BigInt(e.offset) });
  }
  if (duplicates.size > 0) throw new BadInput(`Offset json file contains duplicate topic partitions: ${[...duplicates].join(',')}`);
  return out;
}
