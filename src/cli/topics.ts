/**
 * `gregor topics`: Kafka's kafka-topics over the wire, with its flags and its output.
 *
 *   gregor topics --bootstrap-server localhost:9092 --create --topic T [--partitions N]
 *                 [--replication-factor R] [--config k=v]... [--if-not-exists]
 *   gregor topics --bootstrap-server localhost:9092 --list [--topic REGEX] [--exclude-internal]
 *   gregor topics --bootstrap-server localhost:9092 --describe [--topic REGEX] [--if-exists] [--format json]
 *   gregor topics --bootstrap-server localhost:9092 --alter --topic REGEX --partitions N [--if-exists]
 *   gregor topics --bootstrap-server localhost:9092 --delete --topic REGEX [--if-exists]
 *
 * Output is TopicCommand's: "Created topic T.", one name per line for --list, and for --describe
 * a topic line ("Topic: T\tTopicId: ...\tPartitionCount: N\tReplicationFactor: R\tConfigs: k=v,...")
 * followed by one line per partition ("\tTopic: T\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\t
 * Elr: \tLastKnownElr: "); --format json prints the same topics and partitions as one JSON array.
 * Where TopicCommand prints from a Java HashMap (the configs of a topic,
 * the topics of a --describe), the order is that HashMap's (java-hash-order.ts). Failures print
 * "Error while executing topic command : <message>" and exit 1, as TopicCommand does; usage
 * mistakes print the usage and exit 2.
 */
import { Admin, type ConfigEntry, type TopicDescription, type TopicListing } from '../client/admin.js';
import { ConnectionError, KafkaProtocolError } from '../client/errors.js';
import { ConfigResourceType } from '../config/config-def.js';
import { isInternalTopic } from '../protocol/topic-name.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import { JavaHashMapOrder } from './java-hash-order.js';
import { kafkaUuid } from './message-format.js';
import { DEFAULT_REACH_TIMEOUT_MS, checkBootstrap, describeError, flagsOnlyWith, intValue, loadProperties, outputFormat, parseToolFlags, pickAction, toJson } from './tool-support.js';
import { UsageError } from './usage.js';
import { PROCESS_IO, type CliIo } from './io.js';
import { mustGet, present } from '../util/must-get.js';

const USAGE = `Usage: gregor topics --bootstrap-server HOST:PORT ACTION [options]

Create, delete, describe, or change a topic (the flags and output of Kafka's kafka-topics).

Actions, exactly one:
  --create                    create a topic (needs --topic)
  --list                      list the topics
  --describe                  describe topics: partitions, leader, replicas, isr, configs
  --alter                     raise the number of partitions (needs --topic and --partitions)
  --delete                    delete topics (needs --topic)

Options:
  --bootstrap-server HOST:PORT   REQUIRED: the broker(s) to connect to
  --topic TOPIC                  the topic; a regular expression, except with --create
  --topic-id ID                  with --describe: the topic with this id
  --partitions N                 partitions for --create (default: the broker's) or --alter
  --replication-factor N         replication factor for --create (default: the broker's)
  --replica-assignment LIST      broker ids per partition for --create or --alter, as 1:2,2:3
  --config NAME=VALUE            a topic config for --create (repeatable)
  --if-not-exists                with --create: succeed if the topic already exists
  --if-exists                    with --alter, --describe or --delete: succeed if it does not exist
  --exclude-internal             with --list or --describe: leave internal topics out
  --topics-with-overrides        with --describe: only topics that override configs
  --under-replicated-partitions  with --describe: only under-replicated partitions
  --unavailable-partitions       with --describe: only partitions without a live leader
  --under-min-isr-partitions     with --describe: only partitions with fewer in-sync replicas than min.insync.replicas
  --at-min-isr-partitions        with --describe: only partitions with exactly min.insync.replicas in sync
  --partition-size-limit-per-response N
                                 with --describe: partitions per DescribeTopicPartitions response
  --format text|json             with --describe: text (as Kafka) or json, one object per topic
  --command-config FILE          client properties: client.id, request.timeout.ms, default.api.timeout.ms
  -h, --help                     show this help
`;

const ACTIONS = ['create', 'list', 'describe', 'alter', 'delete'] as const;
type Action = (typeof ACTIONS)[number];
const REPORT_FLAGS = ['under-replicated-partitions', 'unavailable-partitions', 'under-min-isr-partitions', 'at-min-isr-partitions'] as const;

/** A failure TopicCommand reports on stderr (its IllegalArgumentException path), exit 1. */
class IllegalArgument extends Error {}


export async function runTopics(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  if (argv.length === 0) throw new UsageError('Create, delete, describe, or change a topic.', USAGE);
  const { values } = parseToolFlags(
    argv,
    {
      'bootstrap-server': { type: 'string' },
      'command-config': { type: 'string' },
      create: { type: 'boolean' },
      list: { type: 'boolean' },
      describe: { type: 'boolean' },
      alter: { type: 'boolean' },
      delete: { type: 'boolean' },
      topic: { type: 'string' },
      'topic-id': { type: 'string' },
      partitions: { type: 'string' },
      'replication-factor': { type: 'string' },
      'replica-assignment': { type: 'string' },
      config: { type: 'string', multiple: true },
      'if-exists': { type: 'boolean' },
      'if-not-exists': { type: 'boolean' },
      'exclude-internal': { type: 'boolean' },
      'topics-with-overrides': { type: 'boolean' },
      'under-replicated-partitions': { type: 'boolean' },
      'unavailable-partitions': { type: 'boolean' },
      'under-min-isr-partitions': { type: 'boolean' },
      'at-min-isr-partitions': { type: 'boolean' },
      'partition-size-limit-per-response': { type: 'string' },
      format: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    USAGE,
    { continuation: ['config'] },
  );
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const action: Action = pickAction(values, ACTIONS, 'Command must include exactly one action: --list, --describe, --create, --alter or --delete', USAGE);
  const bootstrap = checkBootstrap(values['bootstrap-server'], USAGE);
  const format = outputFormat(values.format, USAGE);
  const only = flagsOnlyWith(values, action, USAGE);
  only('format', ['describe']);
  only('config', ['create']);
  only('partitions', ['create', 'alter']);
  only('replication-factor', ['create']);
  only('replica-assignment', ['create', 'alter']);
  only('if-exists', ['alter', 'delete', 'describe']);
  only('if-not-exists', ['create']);
  only('exclude-internal', ['list', 'describe']);
  only('topics-with-overrides', ['describe']);
  only('topic-id', ['describe']);
  only('partition-size-limit-per-response', ['describe']);
  for (const f of REPORT_FLAGS) only(f, ['describe']);
  if (values['topics-with-overrides'] && REPORT_FLAGS.some((f) => values[f])) {
    throw new UsageError('--topics-with-overrides cannot be combined with the partition report options', USAGE);
  }
  if (action !== 'list' && action !== 'describe' && values.topic === undefined) throw new UsageError(`missing required option --topic`, USAGE);
  if (action === 'alter' && values.partitions === undefined) throw new UsageError('missing required option --partitions', USAGE);
  if (action === 'create' && values['replica-assignment'] !== undefined && (values.partitions !== undefined || values['replication-factor'] !== undefined)) {
    throw new UsageError('--replica-assignment cannot be combined with --partitions or --replication-factor', USAGE);
  }
  const partitions = intValue('--partitions', values.partitions, USAGE, Number.MIN_SAFE_INTEGER);
  const replicationFactor = intValue('--replication-factor', values['replication-factor'], USAGE, Number.MIN_SAFE_INTEGER);
  const partitionLimit = intValue('--partition-size-limit-per-response', values['partition-size-limit-per-response'], USAGE, 1) ?? 2000;
  const props = await loadProperties(values['command-config'], USAGE);
  const apiTimeout = intValue('default.api.timeout.ms', props.get('default.api.timeout.ms'), USAGE, 1);
  const requestTimeout = intValue('request.timeout.ms', props.get('request.timeout.ms'), USAGE, 1);

  const admin = new Admin({
    bootstrapServers: bootstrap,
    clientId: props.get('client.id') ?? 'adminclient-1',
    ...(requestTimeout !== undefined ? { requestTimeoutMs: requestTimeout } : {}),
    retryTimeoutMs: apiTimeout ?? DEFAULT_REACH_TIMEOUT_MS,
    connectTimeoutMs: Math.min(apiTimeout ?? DEFAULT_REACH_TIMEOUT_MS, 10_000),
  });
  const out: string[] = [];
  try {
    switch (action) {
      case 'create':
        await create(admin, present(values.topic, '--topic'), partitions, replicationFactor, values['replica-assignment'], values.config ?? [], Boolean(values['if-not-exists']), out);
        break;
      case 'list': {
        const topics = await getTopics(admin, values.topic, Boolean(values['exclude-internal']));
        out.push(`${topics.map((t) => t.name).join('\n')}\n`);
        break;
      }
      case 'describe':
        if (format === 'json') {
          const topics: unknown[] = [];
          await describe(admin, values, partitionLimit, out, topics);
          out.push(`${toJson(topics)}\n`);
        } else {
          await describe(admin, values, partitionLimit, out);
        }
        break;
      case 'alter': {
        const topics = await getTopics(admin, values.topic, false);
        ensureTopicExists(topics, values.topic, !values['if-exists']);
        if (topics.length > 0) {
          await admin.describeTopics(topics.map((t) => t.name));
          const count = present(partitions, '--partitions');
          await admin.createPartitions(new Map(topics.map((t) => [t.name, count])));
        }
        break;
      }
      case 'delete': {
        const topics = await getTopics(admin, values.topic, false);
        ensureTopicExists(topics, values.topic, !values['if-exists']);
        await admin.deleteTopics(topics.map((t) => t.name));
        break;
      }
    }
    io.stdout.write(out.join(''));
    return 0;
  } catch (err) {
    io.stdout.write(out.join(''));
    if (err instanceof IllegalArgument) {
      io.stderr.write(`${err.message}\n`);
      return 1;
    }
    if (err instanceof ConnectionError) {
      io.stdout.write(`Error while executing topic command : ${describeError(err)}\n`);
      return 1;
    }
    io.stdout.write(`Error while executing topic command : ${err instanceof KafkaProtocolError ? err.message : describeError(err)}\n`);
    return 1;
  } finally {
    await admin.close();
  }
}

/** TopicCommand.getTopics: every topic (sorted) matching --topic as a regular expression. */
async function getTopics(admin: Admin, include: string | undefined, excludeInternal: boolean): Promise<TopicListing[]> {
  const all = await admin.listTopics({ listInternal: !excludeInternal });
  if (include === undefined) return all.filter((t) => !(excludeInternal && isInternal(t)));
  // Kafka's TopicFilter.IncludeList: commas mean "or", spaces and surrounding quotes are dropped.
  const source = include.trim().replace(/,/g, '|').replace(/ /g, '').replace(/^["']+/, '').replace(/["']+$/, '');
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${source})$`);
  } catch {
    throw new IllegalArgument(`${include} is an invalid regex.`);
  }
  return all.filter((t) => re.test(t.name) && !(excludeInternal && isInternal(t)));
}

function isInternal(t: TopicListing): boolean {
  return t.isInternal || isInternalTopic(t.name);
}

function ensureTopicExists(found: readonly TopicListing[], requested: string | undefined, required: boolean): void {
  if (requested !== undefined && requested !== '' && required && found.length === 0) {
    throw new IllegalArgument(`Topic '${requested}' does not exist as expected`);
  }
}

function parseReplicaAssignment(list: string): Map<number, number[]> {
  const out = new Map<number, number[]>();
  list.split(',').forEach((part, i) => {
    const ids = part.split(':').map((s) => {
      const n = Number(s.trim());
      if (!/^\s*-?\d+\s*$/.test(s) || !Number.isInteger(n)) throw new IllegalArgument(`For input string: "${s}"`);
      return n;
    });
    const dup = ids.filter((id, j) => ids.indexOf(id) !== j);
    if (dup.length > 0) throw new IllegalArgument(`Partition replica lists may not contain duplicate entries: ${[...new Set(dup)].join(',')}`);
    if (i > 0 && ids.length !== mustGet(out, 0).length) throw new IllegalArgument(`Partition ${i} has different replication factor: [${ids.join(', ')}]`);
    out.set(i, ids);
  });
  return out;
}

async function create(
  admin: Admin,
  name: string,
  partitions: number | undefined,
  replicationFactor: number | undefined,
  replicaAssignment: string | undefined,
  configArgs: readonly string[],
  ifNotExists: boolean,
  out: string[],
): Promise<void> {
  const configs: Record<string, string> = {};
  for (const c of configArgs) {
    const parts = c.split(/\s*=\s*/);
    if (parts.length !== 2) throw new IllegalArgument('requirement failed: Invalid topic config: all configs to be added must be in the format "key=val".');
    configs[parts[0].trim()] = parts[1].trim();
  }
  if (name.includes('.') || name.includes('_')) {
    out.push("WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.\n");
  }
  if (replicationFactor !== undefined && (replicationFactor > 32767 || replicationFactor < 1)) {
    throw new IllegalArgument('The replication factor must be between 1 and 32767 inclusive');
  }
  if (partitions !== undefined && partitions < 1) throw new IllegalArgument('The partitions must be greater than 0');
  const assignments = replicaAssignment ? parseReplicaAssignment(replicaAssignment) : undefined;
  try {
    await admin.createTopics([
      {
        name,
        numPartitions: partitions ?? -1,
        replicationFactor: replicationFactor ?? -1,
        ...(assignments ? { assignments } : {}),
        configs,
      },
    ]);
    out.push(`Created topic ${name}.\n`);
  } catch (err) {
    if (!(err instanceof KafkaProtocolError && err.code === ErrorCode.TopicAlreadyExists && ifNotExists)) throw err;
  }
}

interface DescribeFlags {
  topic?: string | undefined;
  'topic-id'?: string | undefined;
  'if-exists'?: boolean | undefined;
  'exclude-internal'?: boolean | undefined;
  'topics-with-overrides'?: boolean | undefined;
  'under-replicated-partitions'?: boolean | undefined;
  'unavailable-partitions'?: boolean | undefined;
  'under-min-isr-partitions'?: boolean | undefined;
  'at-min-isr-partitions'?: boolean | undefined;
}

/** With `json`, each topic goes there as an object (the same topics and partitions) instead of into `out`. */
async function describe(admin: Admin, flags: DescribeFlags, partitionsPerResponse: number, out: string[], json?: unknown[]): Promise<void> {
  const excludeInternal = Boolean(flags['exclude-internal']);
  let names: string[];
  const topicId = flags['topic-id'] !== undefined ? toHyphenatedUuid(flags['topic-id']) : undefined;
  if (topicId !== undefined && topicId !== '00000000-0000-0000-0000-000000000000') {
    const all = await admin.listTopics({ listInternal: !excludeInternal });
    names = all.filter((t) => t.topicId === topicId).map((t) => t.name);
    if (names.length === 0 && !flags['if-exists']) throw new IllegalArgument(`TopicId '${flags['topic-id']}' does not exist as expected`);
  } else {
    const topics = await getTopics(admin, flags.topic, excludeInternal);
    ensureTopicExists(topics, flags.topic, !flags['if-exists']);
    names = topics.map((t) => t.name);
  }
  if (names.length === 0) return;
  const descriptions = await admin.describeTopics(names, { partitionsPerResponse });
  const ordered = javaDescribeOrder(descriptions);
  const configs = await admin.describeConfigs(ordered.map((d) => ({ type: ConfigResourceType.TOPIC, name: d.name })));
  const liveBrokers = new Set((await admin.describeCluster()).brokers.map((b) => b.nodeId));
  const reportUnderReplicated = Boolean(flags['under-replicated-partitions']);
  const reportUnavailable = Boolean(flags['unavailable-partitions']);
  const reportUnderMinIsr = Boolean(flags['under-min-isr-partitions']);
  const reportAtMinIsr = Boolean(flags['at-min-isr-partitions']);
  const describeConfigs = !reportUnavailable && !reportUnderReplicated && !reportUnderMinIsr && !reportAtMinIsr;
  const describePartitions = !flags['topics-with-overrides'];
  ordered.forEach((td, i) => {
    const config = configs[i];
    const nonDefault = javaConfigOrder(config).filter((e) => !e.isDefault);
    const jsonPartitions: unknown[] = [];
    const showTopic = describeConfigs && (!flags['topics-with-overrides'] || nonDefault.length > 0) && td.partitions.length > 0;
    if (showTopic && !json) {
      const first = td.partitions[0];
      let line = `Topic: ${td.name}`;
      if (td.topicId !== '00000000-0000-0000-0000-000000000000') line += `\tTopicId: ${kafkaUuid(td.topicId)}`;
      line += `\tPartitionCount: ${td.partitions.length}`;
      line += `\tReplicationFactor: ${first.replicas.length}`;
      line += `\tConfigs: ${nonDefault.map((e) => `${e.name}=${e.value}`).join(',')}`;
      out.push(`${line}\n`);
    }
    if (json && showTopic && !describePartitions) json.push(topicJson(td, nonDefault, []));
    if (!describePartitions) return;
    const minIsr = Number(config.find((e) => e.name === 'min.insync.replicas')?.value ?? '1');
    for (const p of td.partitions) {
      // Admin resolves the leader id against the cluster's nodes; an unknown id is no leader.
      const hasLeader = p.leader >= 0 && liveBrokers.has(p.leader);
      const print =
        describeConfigs ||
        (reportUnderReplicated && p.replicas.length - p.isr.length > 0) ||
        (reportUnavailable && !hasLeader) ||
        (reportUnderMinIsr && (!hasLeader || p.isr.length < minIsr)) ||
        (reportAtMinIsr && p.isr.length === minIsr);
      if (!print) continue;
      if (json) {
        jsonPartitions.push({ partition: p.partition, leader: hasLeader ? p.leader : null, replicas: p.replicas, isr: p.isr, elr: p.elr, lastKnownElr: p.lastKnownElr });
        continue;
      }
      let line = `\tTopic: ${td.name}`;
      line += `\tPartition: ${p.partition}`;
      line += `\tLeader: ${hasLeader ? p.leader : 'none'}`;
      line += `\tReplicas: ${p.replicas.join(',')}`;
      line += `\tIsr: ${p.isr.join(',')}`;
      line += p.elr !== null ? `\tElr: ${p.elr.join(',')}` : '\tElr: N/A';
      line += p.lastKnownElr !== null ? `\tLastKnownElr: ${p.lastKnownElr.join(',')}` : '\tLastKnownElr: N/A';
      out.push(`${line}\n`);
    }
    // A partition report (--under-replicated-partitions, ...) lists only topics with partitions to report.
    if (json && (showTopic || jsonPartitions.length > 0)) json.push(topicJson(td, nonDefault, jsonPartitions));
  });
}

function topicJson(td: TopicDescription, nonDefault: readonly ConfigEntry[], partitions: unknown[]): Record<string, unknown> {
  return {
    name: td.name,
    topicId: td.topicId,
    isInternal: td.isInternal,
    partitionCount: td.partitions.length,
    replicationFactor: td.partitions[0]?.replicas.length ?? 0,
    configs: Object.fromEntries(nonDefault.map((e) => [e.name, e.value])),
    partitions,
  };
}

/**
 * The order TopicCommand prints described topics in: Admin.describeTopics(names) keeps a
 * HashMap(n) of futures filled in name order, copies it into a new HashMap, and allTopicNames()
 * copies that into another HashMap(n), whose values TopicCommand walks.
 */
function javaDescribeOrder(descriptions: readonly TopicDescription[]): TopicDescription[] {
  const byName = new Map(descriptions.map((d) => [d.name, d]));
  const futures = new JavaHashMapOrder(descriptions.length);
  for (const d of descriptions) futures.put(d.name);
  const nameFutures = JavaHashMapOrder.copyOf(futures);
  const all = new JavaHashMapOrder(nameFutures.size);
  for (const k of nameFutures.keys()) all.put(k);
  return all.keys().map((k) => mustGet(byName, k));
}

/** Admin's Config keeps entries in a `new HashMap<>()` filled in response order. */
function javaConfigOrder(entries: readonly ConfigEntry[]): ConfigEntry[] {
  const byName = new Map(entries.map((e) => [e.name, e]));
  const m = new JavaHashMapOrder();
  for (const e of entries) m.put(e.name);
  return m.keys().map((k) => mustGet(byName, k));
}

/** A topic id as kafka-topics takes it (Kafka's base64 form) or hyphenated, to the hyphenated form. */
function toHyphenatedUuid(id: string): string {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return id.toLowerCase();
  const bytes = Buffer.from(id, 'base64url');
  if (bytes.length !== 16) throw new IllegalArgument(`Invalid topic id: ${id}`);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
