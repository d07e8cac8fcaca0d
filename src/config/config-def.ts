/**
 * The vocabulary shared by broker and topic configs, modelled on Kafka's `ConfigDef`: a definition
 * per key (type, default, validator, importance, documentation), parsing of string values by type,
 * validators with Kafka's error texts, and the enums DescribeConfigs reports.
 *
 * Values are strings at the edges (files, flags, the wire) and typed inside:
 *   int, short -> number; long -> bigint (Long.MAX_VALUE is a common default); double -> number;
 *   boolean -> boolean; list -> string[]; string, class, password -> string. `null` = unset.
 * `formatValue` turns a typed value back into the string Kafka would report (Java's
 * `ConfigDef.convertToString`: `Double.toString` for doubles, comma-joined lists).
 *
 * Errors read exactly like Kafka's `ConfigException`:
 *   "Invalid value 5 for configuration segment.bytes: Value must be at least 14".
 */

export type ConfigType = 'boolean' | 'string' | 'int' | 'short' | 'long' | 'double' | 'list' | 'class' | 'password';
export type Importance = 'high' | 'medium' | 'low';
export type ParsedValue = boolean | number | bigint | string | string[] | null;

/** DescribeConfigs `ConfigSource` (Kafka's `DescribeConfigsResponse.ConfigSource`). */
export const ConfigSource = {
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
  CLIENT_METRICS_CONFIG: 7,
  GROUP_CONFIG: 8,
} as const;
export type ConfigSource = (typeof ConfigSource)[keyof typeof ConfigSource];

/** DescribeConfigs v3+ `ConfigType` (Kafka's `DescribeConfigsResponse.ConfigType`). */
export const ConfigResponseType = {
  UNKNOWN: 0,
  BOOLEAN: 1,
  STRING: 2,
  INT: 3,
  SHORT: 4,
  LONG: 5,
  DOUBLE: 6,
  LIST: 7,
  CLASS: 8,
  PASSWORD: 9,
} as const;
export type ConfigResponseType = (typeof ConfigResponseType)[keyof typeof ConfigResponseType];

/** `ConfigResource.Type` ids used by DescribeConfigs / AlterConfigs. */
export const ConfigResourceType = {
  UNKNOWN: 0,
  TOPIC: 2,
  BROKER: 4,
  BROKER_LOGGER: 8,
  CLIENT_METRICS: 16,
  GROUP: 32,
} as const;
export type ConfigResourceType = (typeof ConfigResourceType)[keyof typeof ConfigResourceType];

export function configResponseType(type: ConfigType | undefined): ConfigResponseType {
  return type === undefined ? ConfigResponseType.UNKNOWN : ConfigResponseType[type.toUpperCase() as Uppercase<ConfigType>];
}

/** Kafka's `ConfigException`: `Invalid value <v> for configuration <name>[: <detail>]`, or a free message. */
export class ConfigException extends Error {
  override readonly name = 'ConfigException';
  readonly key: string | undefined;
  constructor(key: string, value: unknown, detail?: string);
  constructor(message: string);
  constructor(keyOrMessage: string, ...rest: [unknown, (string | undefined)?] | []) {
    const keyed = rest.length > 0;
    super(
      keyed
        ? `Invalid value ${javaToString(rest[0])} for configuration ${keyOrMessage}${rest[1] === undefined ? '' : `: ${rest[1]}`}`
        : keyOrMessage,
    );
    this.key = keyed ? keyOrMessage : undefined;
  }
}

/** A validator: throws `ConfigException` for a bad (already parsed) value; `describe` is Kafka's "Valid Values" text. */
export interface Validator {
  /** `type` only changes how the value is printed in the message (a double 2 prints as `2.0`). */
  validate(name: string, value: ParsedValue, type?: ConfigType): void;
  describe(): string;
}

/** One config key. `default` is Kafka's default as the string DescribeConfigs reports, or null. */
export interface ConfigDefinition {
  name: string;
  type: ConfigType;
  default: string | null;
  validator?: Validator;
  importance: Importance;
  /** A one-line description (ours), returned as DescribeConfigs documentation. */
  doc: string;
}

// ------------------------------------------------------------------------------------------------
// Parsing by type (Kafka's ConfigDef.parseType: values are trimmed first)

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;
export const JAVA_LONG_MAX = LONG_MAX;
export const JAVA_INT_MAX = INT_MAX;

const INTEGER = /^[+-]?[0-9]+$/;
// Java's Double.parseDouble: decimal or hex floating literals, NaN, Infinity, optional f/d suffix.
const DOUBLE = /^[+-]?(NaN|Infinity|(([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?)|(0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?[0-9]+))[fFdD]?$/;

function notANumber(name: string, raw: string, type: ConfigType): ConfigException {
  return new ConfigException(name, raw, `Not a number of type ${type.toUpperCase()}`);
}

/** Parses a string by type as Kafka does; throws ConfigException with Kafka's message. */
export function parseValue(name: string, type: ConfigType, raw: string): ParsedValue {
  const trimmed = raw.trim();
  switch (type) {
    case 'boolean': {
      const lower = trimmed.toLowerCase();
      if (lower === 'true') return true;
      if (lower === 'false') return false;
      throw new ConfigException(name, raw, 'Expected value to be either true or false');
    }
    case 'string':
    case 'password':
    case 'class':
      return trimmed;
    case 'int':
    case 'short': {
      if (!INTEGER.test(trimmed)) throw notANumber(name, raw, type);
      const n = Number(trimmed);
      const [lo, hi] = type === 'int' ? [INT_MIN, INT_MAX] : [-32768, 32767];
      if (n < lo || n > hi) throw notANumber(name, raw, type);
      return n;
    }
    case 'long': {
      if (!INTEGER.test(trimmed)) throw notANumber(name, raw, type);
      const n = BigInt(trimmed);
      if (n < LONG_MIN || n > LONG_MAX) throw notANumber(name, raw, type);
      return n;
    }
    case 'double': {
      if (!DOUBLE.test(trimmed)) throw notANumber(name, raw, type);
      const body = trimmed.replace(/[fFdD]$/, '');
      if (/^[+-]?0[xX]/.test(body)) return parseHexDouble(body);
      return Number(body);
    }
    case 'list':
      return trimmed.length === 0 ? [] : trimmed.split(/\s*,\s*/);
  }
}

function parseHexDouble(s: string): number {
  const m = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?[0-9]+)$/.exec(s);
  // The caller's DOUBLE test admitted it, so it matches.
  if (m === null) throw new Error(`internal error: ${s} is not a hex double`);
  // Every group matches (possibly empty) whenever the whole does.
  const digits = m[2] + m[3];
  const mantissa = digits.length === 0 ? 0 : parseInt(digits, 16);
  const value = mantissa * 2 ** (Number(m[4]) - 4 * m[3].length);
  return m[1] === '-' ? -value : value;
}

/** Kafka's `ConfigDef.convertToString`: the string DescribeConfigs reports for a parsed value. */
export function formatValue(value: ParsedValue): string | null {
  if (value === null) return null;
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'number' && !Number.isInteger(value)) return javaDoubleToString(value);
  return String(value);
}

/** Formats a value of a known type (doubles that happen to be whole still print as `1.0`). */
export function formatTyped(type: ConfigType, value: ParsedValue): string | null {
  if (type === 'double' && typeof value === 'number') return javaDoubleToString(value);
  return formatValue(value);
}

/** Java's `Double.toString`: `0.5`, `1.0`, `1.0E7`, `1.7976931348623157E308`, `NaN`, `Infinity`. */
export function javaDoubleToString(d: number): string {
  if (Number.isNaN(d)) return 'NaN';
  if (d === Infinity) return 'Infinity';
  if (d === -Infinity) return '-Infinity';
  if (d === 0) return Object.is(d, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(d);
  if (abs >= 1e-3 && abs < 1e7) {
    const s = String(d);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mantissa, exponent] = d.toExponential().split('e') as [string, string];
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${exponent.replace('+', '')}`;
}

/** How Java prints the value inside a ConfigException: lists as `[a, b]`, doubles via Double.toString. */
function javaToString(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(javaToString).join(', ')}]`;
  if (typeof value === 'number' && !Number.isInteger(value)) return javaDoubleToString(value);
  // Whatever a caller gave, printed as JavaScript prints it (the parsed values are all primitives).
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  return String(value);
}

// ------------------------------------------------------------------------------------------------
// Validators (Kafka's ConfigDef.Range, ValidString, ValidList and friends)

/** The value as Java would print it in a ConfigException. */
function shown(value: ParsedValue, type: ConfigType | undefined): unknown {
  return type === 'double' && typeof value === 'number' ? javaDoubleToString(value) : value;
}

function numeric(v: ParsedValue): number | bigint {
  if (typeof v === 'number' || typeof v === 'bigint') return v;
  throw new TypeError(`expected a number, got ${typeof v}`);
}

function lessThan(a: number | bigint, b: number): boolean {
  return typeof a === 'bigint' ? a < BigInt(b) : a < b;
}

/** `Range.atLeast(min)`: "Value must be at least <min>". */
export function atLeast(min: number): Validator {
  return {
    validate(name, value, type) {
      if (value === null) throw new ConfigException(name, value, 'Value must be non-null');
      if (lessThan(numeric(value), min)) throw new ConfigException(name, shown(value, type), `Value must be at least ${min}`);
    },
    describe: () => `[${min},...]`,
  };
}

/** `Range.between(min, max)`: "Value must be at least <min>" / "Value must be no more than <max>". */
export function between(min: number, max: number): Validator {
  return {
    validate(name, value, type) {
      if (value === null) throw new ConfigException(name, value, 'Value must be non-null');
      const n = numeric(value);
      if (lessThan(n, min)) throw new ConfigException(name, shown(value, type), `Value must be at least ${min}`);
      if (typeof n === 'bigint' ? n > BigInt(max) : n > max) {
        throw new ConfigException(name, shown(value, type), `Value must be no more than ${max}`);
      }
    },
    describe: () => `[${min},...,${max}]`,
  };
}

/** `ValidString.in(...)`: "String must be one of: a, b". Case-sensitive, as in Kafka. */
export function oneOf(...allowed: string[]): Validator {
  return {
    validate(name, value) {
      if (typeof value !== 'string' || !allowed.includes(value)) {
        throw new ConfigException(name, value, `String must be one of: ${allowed.join(', ')}`);
      }
    },
    describe: () => `[${allowed.join(', ')}]`,
  };
}

/** `ValidList.in(...)`: each element must be one of the allowed strings (an empty list is fine). */
export function listOf(...allowed: string[]): Validator {
  const inner = oneOf(...allowed);
  return {
    validate(name, value) {
      for (const element of Array.isArray(value) ? value : []) inner.validate(name, element);
    },
    describe: () => inner.describe(),
  };
}

/** A validator from a predicate and a message (Kafka's `LambdaValidator`). */
export function lambda(check: (name: string, value: ParsedValue) => string | null, describe: string): Validator {
  return {
    validate(name, value, type) {
      const problem = check(name, value);
      if (problem !== null) throw new ConfigException(name, shown(value, type), problem);
    },
    describe: () => describe,
  };
}

/** Parses and validates one value against its definition; returns the parsed value or throws ConfigException. */
export function parseAndValidate(def: ConfigDefinition, raw: string | null): ParsedValue {
  const value = raw === null ? null : parseValue(def.name, def.type, raw);
  if (def.validator !== undefined && value !== null) def.validator.validate(def.name, value, def.type);
  return value;
}

/** The canonical string of a definition's default (checked once, as Kafka's ConfigKey constructor does). */
export function canonicalDefault(def: ConfigDefinition): string | null {
  return def.default === null ? null : formatTyped(def.type, parseAndValidate(def, def.default));
}

/** Kafka's Csv.parseCsvList: split on commas, trim, drop empty items. */
export function parseCsvList(s: string | null): string[] {
  return s === null ? [] : s.split(/\s*,\s*/).map((x) => x.trim()).filter((x) => x.length > 0);
}

/**
 * IncrementalAlterConfigs APPEND / SUBTRACT on a comma-separated LIST value. APPEND skips items
 * already present, as the controller stores lists without duplicates; SUBTRACT removes the first
 * occurrence of each item. The starting value is the caller's: topics and brokers fall back to
 * different defaults when nothing is set.
 */
export function mergeListValue(current: string, items: string | null, append: boolean): string {
  const parts = current.length === 0 ? [] : current.split(',');
  for (const part of (items ?? '').split(',')) {
    if (append) {
      if (!parts.includes(part)) parts.push(part);
    } else {
      const i = parts.indexOf(part);
      if (i >= 0) parts.splice(i, 1);
    }
  }
  return parts.join(',');
}

// ------------------------------------------------------------------------------------------------
// DescribeConfigs result shapes (field names as in the generated DescribeConfigs response types,
// without `_unknownTaggedFields`, so a handler can spread them into the response).

export interface DescribeConfigsSynonym {
  name: string;
  value: string | null;
  source: ConfigSource;
}

export interface DescribeConfigsEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  /** DescribeConfigs v0 only: true when the value is Kafka's default. */
  isDefault: boolean;
  configSource: ConfigSource;
  isSensitive: boolean;
  /** Empty unless synonyms were requested (v1+). */
  synonyms: DescribeConfigsSynonym[];
  configType: ConfigResponseType;
  /** Null unless documentation was requested (v3+). */
  documentation: string | null;
}

export interface DescribeConfigsResourceResult {
  errorCode: number;
  errorMessage: string | null;
  resourceType: ConfigResourceType;
  resourceName: string;
  configs: DescribeConfigsEntry[];
}

export interface DescribeConfigsOptions {
  /** Keys to return; null or empty for all (DescribeConfigs `ConfigurationKeys`). */
  configurationKeys?: readonly string[] | null;
  includeSynonyms?: boolean;
  includeDocumentation?: boolean;
}

/** Kafka's `configurationKeys` filter: null or empty means everything. */
export function wantsKey(options: DescribeConfigsOptions, name: string): boolean {
  const keys = options.configurationKeys;
  return keys === null || keys === undefined || keys.length === 0 || keys.includes(name);
}

/** Clamps a long to a JavaScript number: values beyond 2^53 saturate (Long.MAX_VALUE means "never" or "no limit"). */
export function longToNumber(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
  if (value < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
  return Number(value);
}
