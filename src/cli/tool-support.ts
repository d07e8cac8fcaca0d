/**
 * What the command-line tools share: flag parsing with Kafka's conventions, the one-action rule of
 * topics and groups, key=value properties as Kafka's CommandLineUtils reads them, properties files,
 * and turning a client error into one line for a person.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readPropertiesFile } from '../config/properties.js';
import { Admin } from '../client/admin.js';
import { parseBootstrapServers } from '../client/cluster.js';
import { ConnectionError, KafkaProtocolError, NoCommonVersionError, RequestTimeoutError } from '../client/errors.js';
import { nearestName } from '../util/nearest-name.js';
import type { CliIo } from './io.js';
import { UsageError } from './usage.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * util.parseArgs with Kafka's conventions on top:
 * - `--property a=b c=d`: bare key=value words after a repeatable key=value option belong to it
 *   (the way the tutorials write several properties after one flag);
 * - options listed in `optionalValue` may be given without a value (`--compression-codec` alone
 *   means its default), passed as `defaultValue`;
 * - a negative number after an option that takes a value is that value (`--time -2`);
 * - with `positionals`, stray words come back as `positionals` for the command to judge
 *   (`gregor start server.properties`, as kafka-server-start.sh takes it);
 * - anything else (unknown flags, stray words, missing values) is a UsageError.
 */
/** The flags every admin tool takes besides its own: Kafka's --bootstrap-server and --command-config, and --help. */
export const ADMIN_TOOL_FLAGS = {
  'bootstrap-server': { type: 'string' },
  'command-config': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Prints the usage when --help was given; true then, and the tool is done (exit 0). */
export function printedHelp(values: { help?: boolean | undefined }, usage: string, io: CliIo): boolean {
  if (values.help !== true) return false;
  io.stdout.write(usage);
  return true;
}

export function parseToolFlags<T extends Options>(
  argv: readonly string[],
  options: T,
  usage: string,
  extra: { continuation?: readonly string[]; optionalValue?: Readonly<Record<string, string>>; positionals?: boolean } = {},
): ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: true; tokens: true }>> {
  const args = [...argv];
  // A negative number is a value, not a flag (`--time -2`, `--offset -1`, as Kafka's tools take them).
  for (let i = 0; i + 1 < args.length; i++) {
    const name = args[i].startsWith('--') ? args[i].slice(2) : undefined;
    if (name !== undefined && Object.hasOwn(options, name) && options[name].type === 'string' && /^-\d+$/.test(args[i + 1])) {
      args.splice(i, 2, `--${name}=${args[i + 1]}`);
    }
  }
  for (const [name, defaultValue] of Object.entries(extra.optionalValue ?? {})) {
    for (let i = 0; i < args.length; i++) {
      if (args[i] === `--${name}` && (i + 1 >= args.length || args[i + 1].startsWith('--'))) args[i] = `--${name}=${defaultValue}`;
    }
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true, tokens: true });
  } catch (err) {
    throw new UsageError(parseErrorMessage(err, options), usage);
  }
  const continuation = new Set(extra.continuation ?? []);
  const values = parsed.values as Record<string, unknown>;
  let current: string | undefined;
  const stray: string[] = [];
  for (const token of parsed.tokens) {
    if (token.kind === 'option') {
      current = continuation.has(token.name) ? token.name : undefined;
    } else if (token.kind === 'positional') {
      if (current !== undefined && token.value.includes('=')) (values[current] as string[]).push(token.value);
      else stray.push(token.value);
    } else {
      current = undefined;
    }
  }
  if (extra.positionals) return { ...parsed, positionals: stray };
  if (stray.length > 0) throw new UsageError(`unexpected argument${stray.length > 1 ? 's' : ''}: ${stray.join(' ')}`, usage);
  return parsed;
}

/**
 * util.parseArgs's complaint in the tools' words. An unknown option loses Node's advice about
 * positionals starting with '-' (never what was meant here) and gains the nearest known flag.
 */
function parseErrorMessage(err: unknown, options: Options): string {
  const message = err instanceof Error ? err.message : String(err);
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (!unknown) return message;
  const given = unknown[1];
  const flags = Object.entries(options).flatMap(([name, o]) => [`--${name}`, ...(o.short ? [`-${o.short}`] : [])]);
  // `--topic=x` is looked up by its name alone.
  const suggestion = nearestName(given.split('=')[0], flags.filter((f) => f.startsWith('--')));
  return `Unknown option '${given}'${suggestion ? `. Did you mean '${suggestion}'?` : ''}`;
}

/** The single action flag given; the tools refuse none or several, as Kafka's commands do. */
export function pickAction<A extends string>(values: Partial<Record<A, unknown>>, actions: readonly A[], message: string, usage: string): A {
  const given = actions.filter((a) => values[a]);
  if (given.length !== 1) throw new UsageError(message, usage);
  return given[0];
}

/**
 * A check for flags that mean something only with some actions, so that a flag the chosen action
 * would ignore is a usage error rather than silently dropped. `prefix` starts each message.
 */
export function flagsOnlyWith<V extends object, A extends string>(
  values: V,
  action: A,
  usage: string,
  prefix = '',
): (flag: keyof V & string, allowed: readonly A[]) => void {
  return (flag, allowed) => {
    if (values[flag] !== undefined && !allowed.includes(action)) {
      throw new UsageError(`${prefix}--${flag} can only be used with ${allowed.map((a) => `--${a}`).join(' or ')}`, usage);
    }
  };
}

/**
 * Kafka's CommandLineUtils.parseKeyValueArgs: each entry split at its first '='; a key without a
 * value (or with an empty one) maps to "". Later entries win.
 */
export function parseKeyValueArgs(entries: readonly string[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of entries ?? []) {
    const eq = e.indexOf('=');
    if (eq < 0) out.set(e, '');
    else out.set(e.slice(0, eq), e.slice(eq + 1));
  }
  return out;
}

/** Loads a Java properties file, or throws UsageError naming the file. */
export async function loadProperties(path: string | undefined, usage: string): Promise<Map<string, string>> {
  if (path === undefined) return new Map();
  try {
    return await readPropertiesFile(path);
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`, usage);
  }
}

/** Checks bootstrap.servers (Kafka's ToolsUtils.validateBootstrapServer); a bad value is a usage error. */
export function checkBootstrap(value: string | undefined, usage: string, flag = '--bootstrap-server'): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`missing required option ${flag}`, usage);
  try {
    parseBootstrapServers(value);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err), usage);
  }
  return value;
}

/** A non-negative integer flag or property, else a usage error. */
export function intValue(name: string, value: string | undefined, usage: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value.trim());
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`${name} takes an integer${min > Number.MIN_SAFE_INTEGER ? ` of at least ${min}` : ''}, got '${value}'`, usage);
  }
  return n;
}

/** Kafka's boolean properties: "true" in any case, after trimming. */
export function boolProperty(value: string | undefined): boolean {
  return value !== undefined && value.trim().toLowerCase() === 'true';
}

/**
 * One line for a person: which broker could not be reached and why, or the Kafka error with the
 * broker's message. No stack traces.
 */
export function describeError(err: unknown): string {
  if (err instanceof ConnectionError) {
    const hint = err.causeCode === 'ECONNREFUSED' ? ' (is a broker running there?)' : '';
    return `${err.message}${hint}`;
  }
  if (err instanceof KafkaProtocolError) return `${err.errorName}: ${err.message}`;
  if (err instanceof RequestTimeoutError || err instanceof NoCommonVersionError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

/** Exit code of a process ended by SIGINT, as shells and the JVM report it. */
export const SIGINT_EXIT = 130;

/** Default time a tool keeps trying to reach a broker before it gives up with a message. */
export const DEFAULT_REACH_TIMEOUT_MS = 10_000;

/**
 * Kafka's TopicFilter.IncludeList as a RegExp over whole names: commas mean "or", spaces and
 * surrounding quotes are dropped. Throws Error "<include> is an invalid regex." as Kafka words it.
 */
export function includeListRegex(include: string): RegExp {
  const source = include.trim().replace(/,/g, '|').replace(/ /g, '').replace(/^["']+/, '').replace(/["']+$/, '');
  try {
    return new RegExp(`^(?:${source})$`);
  } catch {
    throw new Error(`${include} is an invalid regex.`);
  }
}

/** The admin client of a tool: --bootstrap-server plus the client.id and timeouts of --command-config. */
export function toolAdmin(bootstrap: string, props: ReadonlyMap<string, string>, defaultClientId: string, usage: string): Admin {
  const apiTimeout = intValue('default.api.timeout.ms', props.get('default.api.timeout.ms'), usage, 1);
  const requestTimeout = intValue('request.timeout.ms', props.get('request.timeout.ms'), usage, 1);
  return new Admin({
    bootstrapServers: bootstrap,
    clientId: props.get('client.id') ?? defaultClientId,
    ...(requestTimeout !== undefined ? { requestTimeoutMs: requestTimeout } : {}),
    retryTimeoutMs: apiTimeout ?? DEFAULT_REACH_TIMEOUT_MS,
    connectTimeoutMs: Math.min(apiTimeout ?? DEFAULT_REACH_TIMEOUT_MS, 10_000),
  });
}

export type OutputFormat = 'text' | 'json';

/** `--format text|json`: text (the Kafka tool's output) unless json is asked for. */
export function outputFormat(value: string | undefined, usage: string): OutputFormat {
  if (value === undefined || value === 'text') return 'text';
  if (value === 'json') return 'json';
  throw new UsageError(`--format takes text or json, got '${value}'`, usage);
}

/** JSON for scripts: bigints (offsets, sizes) as numbers when exact, else as strings. One line. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) : v));
}
