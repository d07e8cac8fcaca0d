/**
 * Compares one of our messages with Kafka's own JSON definition of it, version by version: for each
 * version both define, the flattened list of fields on the wire (name, type, nullability, tagging,
 * default) must match. Used by scripts/check-schema.ts and test/protocol/schema-oracle.test.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  formatVersions,
  inVersions,
  intersect,
  parseVersions,
  type FieldDef,
  type MessageDef,
  type Versions,
} from './protocol-schema.js';

interface KafkaField {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string | number | boolean;
  flexibleVersions?: string;
  fields?: KafkaField[];
}

interface KafkaMessage {
  name: string;
  type: string;
  apiKey?: number;
  validVersions: string;
  flexibleVersions: string;
  fields: KafkaField[];
  commonStructs?: { name: string; versions: string; fields: KafkaField[] }[];
}

/** Kafka's JSON files carry // comments; strip them outside string literals. */
export function parseKafkaJson(text: string): KafkaMessage {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else {
      out += c;
    }
  }
  return JSON.parse(out) as KafkaMessage;
}

export function loadKafkaMessage(specDir: string, name: string): KafkaMessage | undefined {
  const p = join(specDir, `${name}.json`);
  return existsSync(p) ? parseKafkaJson(readFileSync(p, 'utf8')) : undefined;
}

const camel = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);

interface Flat {
  path: string;
  type: string;
  nullable: boolean;
  tag: number | null;
  def: string;
  compact: string;
}

function implicitDefault(type: string, nullable: boolean): string {
  if (type.startsWith('[]')) return '';
  if (['int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64'].includes(type)) return '0';
  if (type === 'bool') return 'false';
  if (type === 'string') return '';
  if (type === 'records' || type === 'bytes') return nullable ? 'null' : '';
  return '';
}

function normDefault(type: string, nullable: boolean, d: string | number | boolean | undefined): string {
  if (d === undefined) return implicitDefault(type, nullable);
  const s = String(d);
  if (/^-?0x[0-9a-f]+$/i.test(s)) return String(Number.parseInt(s, 16));
  if (type === 'uuid' && (s === 'AAAAAAAAAAAAAAAAAAAAAA' || s === '00000000-0000-0000-0000-000000000000')) return '';
  if (s === implicitDefault(type, nullable)) return implicitDefault(type, nullable);
  return s;
}

function flattenKafka(fields: KafkaField[], v: number, msg: KafkaMessage, prefix: string, out: Flat[]): void {
  for (const f of fields) {
    if (!inVersions(parseVersions(f.versions, f.name), v)) continue;
    const nullable = f.nullableVersions ? inVersions(parseVersions(f.nullableVersions, f.name), v) : false;
    const tagged = f.taggedVersions ? inVersions(parseVersions(f.taggedVersions, f.name), v) : false;
    const path = prefix + camel(f.name);
    out.push({
      path,
      type: f.type,
      nullable,
      tag: tagged ? (f.tag ?? -1) : null,
      def: normDefault(f.type, nullable, f.default),
      compact: f.flexibleVersions ?? '',
    });
    const base = f.type.replace(/^\[\]/, '');
    const sub = f.fields ?? msg.commonStructs?.find((s) => s.name === base)?.fields;
    if (sub) flattenKafka(sub, v, msg, `${path}.`, out);
  }
}

function flattenOurs(fields: FieldDef[], v: number, prefix: string, out: Flat[]): void {
  for (const f of fields) {
    if (!inVersions(f.versions, v)) continue;
    const nullable = inVersions(f.nullableVersions, v);
    const tagged = inVersions(f.taggedVersions, v);
    const path = prefix + f.name;
    out.push({
      path,
      type: f.type,
      nullable,
      tag: tagged ? (f.tag ?? -1) : null,
      def: normDefault(f.type, nullable, f.default),
      compact: f.flexibleVersions ? formatVersions(f.flexibleVersions) : '',
    });
    if (f.isStruct) flattenOurs(f.fields, v, `${path}.`, out);
  }
}

const describe = (f: Flat): string =>
  `${f.path}: ${f.type}${f.nullable ? ' nullable' : ''}${f.tag === null ? '' : ` tag ${f.tag}`}` +
  `${f.def ? ` default=${f.def}` : ''}${f.compact ? ` flexibleVersions=${f.compact}` : ''}`;

export interface OracleResult {
  /** Versions compared (those both define). */
  compared: Versions;
  differences: string[];
}

/** Our message against Kafka's definition, over the versions both define. */
export function compareWithKafka(ours: MessageDef, kafka: KafkaMessage): OracleResult {
  const differences: string[] = [];
  const theirs = parseVersions(kafka.validVersions, kafka.name);
  const compared = intersect(ours.validVersions, theirs);
  if (ours.validVersions.min !== theirs.min) {
    differences.push(`lowest version ${ours.validVersions.min}, Kafka's ${theirs.min}`);
  }
  if (ours.validVersions.max < theirs.max) {
    differences.push(`newest version ${ours.validVersions.max}, Kafka's snapshot already has ${theirs.max}`);
  }
  if (kafka.apiKey !== undefined && ours.apiKey !== kafka.apiKey) differences.push(`apiKey ${ours.apiKey} vs ${kafka.apiKey}`);
  const theirFlex = parseVersions(kafka.flexibleVersions, kafka.name);
  for (let v = compared.min; v <= compared.max; v++) {
    if (inVersions(ours.flexibleVersions, v) !== inVersions(theirFlex, v)) differences.push(`v${v}: flexibility differs`);
    const a: Flat[] = [];
    const b: Flat[] = [];
    flattenOurs(ours.fields, v, '', a);
    flattenKafka(kafka.fields, v, kafka, '', b);
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const x = a[i] ? describe(a[i]) : '(missing)';
      const y = b[i] ? describe(b[i]) : '(missing)';
      if (x !== y) {
        differences.push(`v${v}: field ${i}: ours "${x}", Kafka's "${y}"`);
        break;
      }
    }
  }
  return { compared, differences };
}
