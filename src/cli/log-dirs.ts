/**
 * `gregor log-dirs`: Kafka's kafka-log-dirs (LogDirsCommand): each broker's log directories and
 * the size on disk of every partition in them.
 *
 *   gregor log-dirs --bootstrap-server localhost:9092 --describe [--topic-list t1,t2] [--broker-list 1,2]
 *
 * Output is the Kafka tool's: two lines ("Querying brokers for log directories information",
 * "Received log directory information from brokers 1"), then one line of JSON:
 * {"brokers":[{"broker":1,"logDirs":[{"partitions":[{"partition":"t-0","size":123,"offsetLag":0,
 * "isFuture":false}],"error":null,"logDir":"/data"}]}],"version":1}, keys in the order Jackson
 * writes Kafka's HashMaps (java-hash-order.ts), partitions sorted by topic and partition.
 * With --format json only the JSON line is printed, with totalBytes and usableBytes per directory.
 */
import type { LogDirDescription } from '../client/admin.js';
import { javaHashMapOrder } from './java-hash-order.js';
import { ADMIN_TOOL_FLAGS, checkBootstrap, describeError, loadProperties, outputFormat, parseToolFlags, toJson, toolAdmin, printedHelp } from './tool-support.js';
import { PROCESS_IO, type CliIo } from './io.js';
import { UsageError } from './usage.js';

const USAGE = `Usage: gregor log-dirs --bootstrap-server HOST:PORT --describe [options]

Query the log directories of brokers and the size of each partition in them (the flags and output of
Kafka's kafka-log-dirs).

Options:
  --bootstrap-server HOST:PORT   REQUIRED: the broker(s) to connect to
  --describe                     REQUIRED: describe the log directories
  --topic-list LIST              only these topics, as t1,t2; default all
  --broker-list LIST             only these brokers, as 1,2; default all
  --format text|json             text (Kafka's two lines and a JSON line) or json (the JSON alone, with disk totals)
  --command-config FILE          client properties: client.id, request.timeout.ms, default.api.timeout.ms
  -h, --help                     show this help
`;

class TerseError extends Error {}

export async function runLogDirs(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  if (argv.length === 0) throw new UsageError('This tool helps to query log directory usage on the specified brokers.', USAGE);
  const { values } = parseToolFlags(
    argv,
    {
      ...ADMIN_TOOL_FLAGS,
      describe: { type: 'boolean' },
      'topic-list': { type: 'string' },
      'broker-list': { type: 'string' },
      format: { type: 'string' },
    },
    USAGE,
  );
  if (printedHelp(values, USAGE, io)) return 0;
  const bootstrap = checkBootstrap(values['bootstrap-server'], USAGE);
  if (!values.describe) throw new UsageError('missing required option --describe', USAGE);
  const format = outputFormat(values.format, USAGE);
  const topics = splitList(values['topic-list']);
  const brokerArgs = splitList(values['broker-list']).map((b) => {
    if (!/^\d+$/.test(b)) throw new UsageError(`--broker-list takes broker ids, as 1,2; got '${values['broker-list']}'`, USAGE);
    return Number(b);
  });
  const props = await loadProperties(values['command-config'], USAGE);
  const admin = toolAdmin(bootstrap, props, 'log-dirs-tool', USAGE);
  try {
    const cluster = (await admin.describeCluster()).brokers.map((b) => b.nodeId);
    const missing = brokerArgs.filter((b) => !cluster.includes(b));
    if (missing.length > 0) {
      throw new TerseError(`ERROR: The given brokers do not exist from --broker-list: ${missing.join(',')}. Current existent brokers: ${cluster.join(',')}`);
    }
    const brokers = [...new Set(brokerArgs.length > 0 ? brokerArgs : cluster)];
    if (format === 'text') io.stdout.write('Querying brokers for log directories information\n');
    const dirs = await admin.describeLogDirs(brokers, topics.length > 0 ? topics : undefined);
    if (format === 'json') {
      io.stdout.write(`${toJson({ version: 1, brokers: brokers.map((b) => ({ broker: b, logDirs: (dirs.get(b) ?? []).map((d) => jsonDir(d, topics, true)) })) })}\n`);
    } else {
      io.stdout.write(`Received log directory information from brokers ${brokers.join(',')}\n`);
      io.stdout.write(`${kafkaJson(brokers, dirs, topics)}\n`);
    }
    return 0;
  } catch (err) {
    io.stderr.write(`${err instanceof TerseError ? err.message : describeError(err)}\n`);
    return 1;
  } finally {
    await admin.close();
  }
}

function splitList(value: string | undefined): string[] {
  return (value ?? '').split(',').filter((x) => x !== '');
}

function jsonDir(d: LogDirDescription, topics: readonly string[], totals: boolean): Record<string, unknown> {
  const partitions = d.replicas
    .filter((r) => topics.length === 0 || topics.includes(r.topic))
    .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))
    .map((r) => ({ partition: `${r.topic}-${r.partition}`, size: r.size, offsetLag: r.offsetLag, isFuture: r.isFuture }));
  // Kafka names the exception class; the error name is what a script can compare.
  const error = d.error ? d.error.errorName : null;
  return totals ? { logDir: d.logDir, error, totalBytes: d.totalBytes, usableBytes: d.usableBytes, partitions } : { logDir: d.logDir, error, partitions };
}

/** The JSON LogDirsCommand prints: Jackson over HashMaps, so keys in the HashMaps' order. */
function kafkaJson(brokers: readonly number[], dirs: ReadonlyMap<number, LogDirDescription[]>, topics: readonly string[]): string {
  const doc = { version: 1, brokers: brokers.map((b) => ({ broker: b, logDirs: (dirs.get(b) ?? []).map((d) => jsonDir(d, topics, false)) })) };
  return toJson(inJavaOrder(doc));
}

function inJavaOrder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(inJavaOrder);
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of javaHashMapOrder(Object.keys(obj))) out[k] = inJavaOrder(obj[k]);
  return out;
}
