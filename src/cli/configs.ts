/**
 * `gregor configs`: Kafka's kafka-configs (ConfigCommand) for topic and broker configs, with its
 * flags and its output.
 *
 *   gregor configs --bootstrap-server localhost:9092 --entity-type topics --entity-name T --describe [--all]
 *   gregor configs --bootstrap-server localhost:9092 --entity-type brokers [--entity-name 1 | --entity-default] --describe [--all]
 *   gregor configs --bootstrap-server localhost:9092 --entity-type topics --entity-name T --alter
 *                  [--add-config k=v,k2=[a,b]] [--add-config-file FILE] [--delete-config k,k2]
 *
 * --topic T, --broker 1 and --broker-defaults are the shorthands Kafka accepts. --describe prints,
 * per entity, "Dynamic configs for topic T are:" (with --all "All configs for ...", for the cluster
 * default "Default configs for brokers in the cluster are:"), then one line per config, sorted by
 * name: "  retention.ms=1000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1000,
 * DEFAULT_CONFIG:log.retention.ms=...}". Without --all only the entity's own dynamic values are
 * listed; with it every config and where its value comes from. --alter applies deletions and
 * additions in one IncrementalAlterConfigs request and prints "Completed updating config for topic
 * T." With --format json, --describe prints one JSON array of entities for scripts.
 *
 * Users, clients, ips (quotas, SCRAM) and client metrics do not exist in Gregor yet; asking for
 * them is a usage error that says so.
 */
import { AlterConfigOpType, type Admin, type AlterConfigOp, type ConfigEntry } from '../client/admin.js';
import { KafkaProtocolError } from '../client/errors.js';
import { ConfigResourceType, ConfigSource } from '../config/config-def.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import { ADMIN_TOOL_FLAGS, checkBootstrap, describeError, loadProperties, outputFormat, parseToolFlags, pickAction, toJson, toolAdmin, printedHelp } from './tool-support.js';
import { PROCESS_IO, type CliIo } from './io.js';
import { UsageError } from './usage.js';
import { present } from '../util/must-get.js';

const USAGE = `Usage: gregor configs --bootstrap-server HOST:PORT --entity-type topics|brokers [--entity-name NAME] (--describe | --alter) [options]

Describe or change topic and broker configs (the flags and output of Kafka's kafka-configs).

Actions, exactly one:
  --describe                     list the entity's configs (its dynamic ones; with --all every one)
  --alter                        change configs (with --add-config, --add-config-file or --delete-config)

Options:
  --bootstrap-server HOST:PORT   REQUIRED: the broker(s) to connect to
  --entity-type TYPE             topics or brokers
  --entity-name NAME             the topic name or broker id; without it --describe lists every entity
  --entity-default               with brokers: the cluster-wide default (dynamic) broker configs
  --topic NAME                   short for --entity-type topics --entity-name NAME
  --broker ID                    short for --entity-type brokers --entity-name ID
  --broker-defaults              short for --entity-type brokers --entity-default
  --all                          with --describe: every config, with its value's source and synonyms
  --add-config LIST              configs to set, as k1=v1,k2=[v1,v2],k3=v3 (brackets group commas)
  --add-config-file FILE         a properties file of configs to set
  --delete-config LIST           configs to remove (back to the default), as k1,k2 (repeatable)
  --format text|json             text (as Kafka) or json (--describe only)
  --command-config FILE          client properties: client.id, request.timeout.ms, default.api.timeout.ms
  -h, --help                     show this help
`;

const ACTIONS = ['describe', 'alter'] as const;
const SUPPORTED = ['topics', 'brokers'] as const;
type EntityType = (typeof SUPPORTED)[number];
const KAFKA_ONLY = ['clients', 'users', 'ips', 'client-metrics', 'broker-loggers', 'groups'];
const BROKER_DEFAULT = '';

/** ConfigCommand's IllegalArgumentException and InvalidConfigurationException: the message alone, exit 1. */
class IllegalArgument extends Error {}

/** Java's ConfigEntry.ConfigSource names, by DescribeConfigs source id. */
const SOURCE_NAMES: Record<number, string> = {
  [ConfigSource.UNKNOWN]: 'UNKNOWN',
  [ConfigSource.TOPIC_CONFIG]: 'DYNAMIC_TOPIC_CONFIG',
  [ConfigSource.DYNAMIC_BROKER_CONFIG]: 'DYNAMIC_BROKER_CONFIG',
  [ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG]: 'DYNAMIC_DEFAULT_BROKER_CONFIG',
  [ConfigSource.STATIC_BROKER_CONFIG]: 'STATIC_BROKER_CONFIG',
  [ConfigSource.DEFAULT_CONFIG]: 'DEFAULT_CONFIG',
  [ConfigSource.DYNAMIC_BROKER_LOGGER_CONFIG]: 'DYNAMIC_BROKER_LOGGER_CONFIG',
  [ConfigSource.CLIENT_METRICS_CONFIG]: 'DYNAMIC_CLIENT_METRICS_CONFIG',
  [ConfigSource.GROUP_CONFIG]: 'DYNAMIC_GROUP_CONFIG',
};

export function configSourceName(source: number): string {
  return SOURCE_NAMES[source] ?? 'UNKNOWN';
}

export async function runConfigs(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  if (argv.length === 0) throw new UsageError('This tool helps to manipulate and describe entity config for a topic, client, user, broker, ip, client-metrics or group', USAGE);
  const { values } = parseToolFlags(
    argv,
    {
      ...ADMIN_TOOL_FLAGS,
      describe: { type: 'boolean' },
      alter: { type: 'boolean' },
      all: { type: 'boolean' },
      'entity-type': { type: 'string', multiple: true },
      'entity-name': { type: 'string', multiple: true },
      'entity-default': { type: 'boolean' },
      topic: { type: 'string' },
      broker: { type: 'string' },
      'broker-defaults': { type: 'boolean' },
      'add-config': { type: 'string' },
      'add-config-file': { type: 'string' },
      'delete-config': { type: 'string', multiple: true },
      format: { type: 'string' },
    },
    USAGE,
  );
  if (printedHelp(values, USAGE, io)) return 0;
  const action = pickAction(values, ACTIONS, 'Command must include exactly one action: --describe, --alter', USAGE);
  const bootstrap = checkBootstrap(values['bootstrap-server'], USAGE);
  const format = outputFormat(values.format, USAGE);
  if (format === 'json' && action !== 'describe') throw new UsageError('--format json can only be used with --describe', USAGE);
  const { type, name } = entityOf(values);
  if (values.all && action !== 'describe') throw new UsageError('--all can only be used with --describe', USAGE);
  const changes = values['add-config'] !== undefined || values['add-config-file'] !== undefined || values['delete-config'] !== undefined;
  if (action === 'describe' && changes) throw new UsageError('--add-config, --add-config-file and --delete-config can only be used with --alter', USAGE);
  if (action === 'alter') {
    if (!changes) throw new UsageError('At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter', USAGE);
    if (name === undefined) throw new UsageError('An entity name must be specified with --alter', USAGE);
  }
  if (type === 'brokers' && name !== undefined && name !== BROKER_DEFAULT && !/^-?\d+$/.test(name)) {
    throw new UsageError(`The entity name for brokers must be a valid integer broker id, found: ${name}`, USAGE);
  }
  if (type === 'topics' && name === BROKER_DEFAULT) throw new UsageError('--entity-default can only be used with brokers', USAGE);
  const props = await loadProperties(values['command-config'], USAGE);
  const admin = toolAdmin(bootstrap, props, 'adminclient-1', USAGE);
  try {
    if (action === 'describe') {
      await describe(io, admin, type, name, Boolean(values.all), format);
    } else {
      const additions = await parseAdditions(values['add-config'], values['add-config-file']);
      const deletions = (values['delete-config'] ?? []).flatMap((d) => d.split(',')).map((d) => d.trim()).filter((d) => d !== '');
      await alter(admin, type, present(name, 'entity name'), additions, deletions);
      io.stdout.write(
        name === BROKER_DEFAULT ? `Completed updating default config for ${type} in the cluster.\n` : `Completed updating config for ${singular(type)} ${name}.\n`,
      );
    }
    return 0;
  } catch (err) {
    if (err instanceof IllegalArgument) {
      io.stderr.write(`${err.message}\n`);
    } else {
      io.stderr.write(`Error while executing config command with args '${argv.join(' ')}'\n${describeError(err)}\n`);
    }
    return 1;
  } finally {
    await admin.close();
  }
}

interface EntityFlags {
  'entity-type'?: string[] | undefined;
  'entity-name'?: string[] | undefined;
  'entity-default'?: boolean | undefined;
  topic?: string | undefined;
  broker?: string | undefined;
  'broker-defaults'?: boolean | undefined;
}

/** The one entity the flags name; `name` undefined means every entity of the type, "" the broker default. */
function entityOf(values: EntityFlags): { type: EntityType; name: string | undefined } {
  const types = [...(values['entity-type'] ?? [])];
  const names = [...(values['entity-name'] ?? [])];
  if (values.topic !== undefined) {
    types.push('topics');
    names.push(values.topic);
  }
  if (values.broker !== undefined) {
    types.push('brokers');
    names.push(values.broker);
  }
  if (values['broker-defaults']) {
    types.push('brokers');
    names.push(BROKER_DEFAULT);
  }
  if (values['entity-default']) names.push(BROKER_DEFAULT);
  if (types.length === 0) throw new UsageError('Must specify --entity-type (or one of --topic, --broker, --broker-defaults)', USAGE);
  if (types.length > 1) throw new UsageError('Only one entity type may be specified', USAGE);
  if (names.length > 1) throw new UsageError('Only one entity name may be specified', USAGE);
  const type = types[0];
  if (KAFKA_ONLY.includes(type)) throw new UsageError(`entity type '${type}' is not supported: Gregor has topic and broker configs only`, USAGE);
  if (!(SUPPORTED as readonly string[]).includes(type)) throw new UsageError(`Invalid entity type ${type}, the entity type must be one of topics, brokers`, USAGE);
  return { type: type as EntityType, name: names[0] };
}

function singular(type: EntityType): string {
  return type.slice(0, -1);
}

function resourceOf(type: EntityType, name: string): { type: ConfigResourceType; name: string } {
  return { type: type === 'topics' ? ConfigResourceType.TOPIC : ConfigResourceType.BROKER, name };
}

/** The source of the values an entity sets itself (ConfigCommand's dynamicConfigSource). */
function dynamicSource(type: EntityType, name: string): number {
  if (type === 'topics') return ConfigSource.TOPIC_CONFIG;
  return name === BROKER_DEFAULT ? ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG : ConfigSource.DYNAMIC_BROKER_CONFIG;
}

async function describe(io: CliIo, admin: Admin, type: EntityType, name: string | undefined, all: boolean, format: 'text' | 'json'): Promise<void> {
  let entities: string[];
  if (name !== undefined) {
    const exists = type === 'topics' ? (await admin.listTopics({ listInternal: true })).some((t) => t.name === name) : name === BROKER_DEFAULT || (await brokerIds(admin)).includes(name);
    if (!exists) {
      if (!all) {
        if (format === 'json') io.stdout.write('[]\n');
        else io.stdout.write(`The ${singular(type)} '${name}' doesn't exist and doesn't have dynamic config.\n`);
        return;
      }
      throw new KafkaProtocolError(type === 'topics' ? ErrorCode.UnknownTopicOrPartition : ErrorCode.InvalidRequest, type === 'topics' ? `Topic '${name}' does not exist` : `Broker ${name} is not in the cluster`);
    }
    entities = [name];
  } else {
    entities = type === 'topics' ? (await admin.listTopics({ listInternal: true })).map((t) => t.name) : [...(await brokerIds(admin)), BROKER_DEFAULT];
  }
  const configs = entities.length > 0 ? await admin.describeConfigs(entities.map((e) => resourceOf(type, e)), { includeSynonyms: true }) : [];
  const shown = entities.map((entity, i) => {
    const source = dynamicSource(type, entity);
    return configs[i].filter((e) => all || e.source === source).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  });
  if (format === 'json') {
    io.stdout.write(`${toJson(entities.map((entity, i) => ({ entityType: type, entityName: entity, configs: shown[i].map(jsonEntry) })))}\n`);
    return;
  }
  let out = '';
  entities.forEach((entity, i) => {
    out += entity === BROKER_DEFAULT ? `Default configs for ${type} in the cluster are:\n` : `${all ? 'All' : 'Dynamic'} configs for ${singular(type)} ${entity} are:\n`;
    for (const e of shown[i]) {
      const synonyms = e.synonyms.map((s) => `${configSourceName(s.source)}:${s.name}=${s.value}`).join(', ');
      out += `  ${e.name}=${e.value} sensitive=${e.isSensitive} synonyms={${synonyms}}\n`;
    }
  });
  io.stdout.write(out);
}

function jsonEntry(e: ConfigEntry): Record<string, unknown> {
  return {
    name: e.name,
    value: e.value,
    source: configSourceName(e.source),
    isDefault: e.isDefault,
    isSensitive: e.isSensitive,
    isReadOnly: e.readOnly,
    synonyms: e.synonyms.map((s) => ({ name: s.name, value: s.value, source: configSourceName(s.source) })),
  };
}

async function brokerIds(admin: Admin): Promise<string[]> {
  return (await admin.describeCluster()).brokers.map((b) => String(b.nodeId));
}

async function alter(admin: Admin, type: EntityType, name: string, additions: ReadonlyMap<string, string>, deletions: readonly string[]): Promise<void> {
  if (type === 'topics' && !(await admin.listTopics({ listInternal: true })).some((t) => t.name === name)) {
    throw new KafkaProtocolError(ErrorCode.UnknownTopicOrPartition, `Topic '${name}' does not exist`);
  }
  const resource = resourceOf(type, name);
  // As ConfigCommand: a key to delete must be set on the entity itself.
  const [current] = await admin.describeConfigs([resource]);
  const source = dynamicSource(type, name);
  const set = new Set(current.filter((e) => e.source === source).map((e) => e.name));
  const invalid = deletions.filter((d) => !set.has(d));
  if (invalid.length > 0) throw new IllegalArgument(`Invalid config(s): ${invalid.join(',')}`);
  const ops: AlterConfigOp[] = [
    ...deletions.map((d) => ({ name: d, op: AlterConfigOpType.DELETE, value: null })),
    ...[...additions].map(([k, v]) => ({ name: k, op: AlterConfigOpType.SET, value: v })),
  ];
  await admin.incrementalAlterConfigs(resource, ops);
}

/**
 * ConfigCommand.parseConfigsToBeAdded: the --add-config-file properties, then --add-config split at
 * commas outside square brackets, each entry at its '=' (outside brackets), brackets dropped from
 * values (`k=[a,b]` sets "a,b").
 */
export async function parseAdditions(addConfig: string | undefined, addConfigFile: string | undefined): Promise<Map<string, string>> {
  const out = new Map<string, string>(addConfigFile !== undefined ? await loadPropertiesOrThrow(addConfigFile) : []);
  if (addConfig !== undefined) {
    for (const entry of splitOutsideBrackets(addConfig, ',')) {
      const parts = splitOutsideBrackets(entry, '=');
      if (parts.length !== 2) {
        throw new IllegalArgument('Invalid entity config: all configs to be added must be in the format "key=val" or  "key=[val1,val2]" to group values which contain commas.');
      }
      out.set(parts[0].trim(), parts[1].replace(/[[\]]/g, '').trim());
    }
  }
  for (const k of out.keys()) {
    if (!/^[$a-zA-Z0-9._-]*$/.test(k)) throw new IllegalArgument(`Invalid character found for config key: ${k}`);
  }
  return out;
}

async function loadPropertiesOrThrow(path: string): Promise<Map<string, string>> {
  try {
    return await loadProperties(path, USAGE);
  } catch (err) {
    throw new IllegalArgument((err as Error).message);
  }
}

/** Splits at `sep` where no '[' is open; an '=' separator also eats the blanks around it. */
function splitOutsideBrackets(text: string, sep: ',' | '='): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '[') depth++;
    else if (c === ']') depth = Math.max(0, depth - 1);
    else if (c === sep && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return sep === '=' ? parts.map((p, i) => (i === 0 ? p.replace(/\s+$/, '') : i === parts.length - 1 ? p.replace(/^\s+/, '') : p.trim())) : parts;
}
