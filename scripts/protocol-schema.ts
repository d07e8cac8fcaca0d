/**
 * Parser for protocol/*.msg, the schema format described in protocol/README.md. Used by the code
 * generator and by the tests that check our schema against Kafka's own definitions.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const PRIMITIVES = new Set([
  'bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'bytes', 'records', 'uuid',
]);

/** An inclusive version range; `none` is { min: Infinity, max: -1 }. */
export interface Versions {
  min: number;
  max: number;
}

export const NO_VERSIONS: Versions = { min: Infinity, max: -1 };

export function parseVersions(text: string, where: string): Versions {
  if (text === 'none') return NO_VERSIONS;
  let m = /^(\d+)\+$/.exec(text);
  if (m) return { min: Number(m[1]), max: Infinity };
  m = /^(\d+)-(\d+)$/.exec(text);
  if (m) return { min: Number(m[1]), max: Number(m[2]) };
  m = /^(\d+)$/.exec(text);
  if (m) return { min: Number(m[1]), max: Number(m[1]) };
  throw new Error(`${where}: bad version range "${text}"`);
}

export function formatVersions(v: Versions): string {
  if (v.min > v.max) return 'none';
  if (v.max === Infinity) return `${v.min}+`;
  return v.min === v.max ? `${v.min}` : `${v.min}-${v.max}`;
}

export function inVersions(v: Versions, version: number): boolean {
  return version >= v.min && version <= v.max;
}

/** The part of `v` that lies within `within`. */
export function intersect(v: Versions, within: Versions): Versions {
  const min = Math.max(v.min, within.min);
  const max = Math.min(v.max, within.max);
  return min > max ? NO_VERSIONS : { min, max };
}

export interface FieldDef {
  name: string;
  /** The type as written: `int32`, `[]int32`, `[]Topic`, `Topic`. */
  type: string;
  isArray: boolean;
  /** Element type for arrays, the type itself otherwise. */
  baseType: string;
  isStruct: boolean;
  versions: Versions;
  nullableVersions: Versions;
  default?: string;
  tag?: number;
  taggedVersions: Versions;
  /** Field-level flexibleVersions override, if any. */
  flexibleVersions?: Versions;
  entityType?: string;
  echo?: string;
  about: string;
  /** Struct fields: inline ones, or the named struct block's, resolved after parsing. */
  fields: FieldDef[];
  line: number;
}

export interface StructDef {
  name: string;
  versions: Versions;
  fields: FieldDef[];
}

export type MessageKind = 'request' | 'response' | 'header' | 'data';

export interface MessageDef {
  kind: MessageKind;
  name: string;
  apiKey: number;
  validVersions: Versions;
  flexibleVersions: Versions;
  fields: FieldDef[];
  structs: Map<string, StructDef>;
  history: string[];
  file: string;
}

interface Frame {
  indent: number;
  fields: FieldDef[];
}

/** Parses one .msg file into its messages. */
export function parseSchemaFile(path: string, text = readFileSync(path, 'utf8')): MessageDef[] {
  const messages: MessageDef[] = [];
  let comments: string[] = [];
  let msg: MessageDef | undefined;
  let stack: Frame[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\s+$/, '');
    const where = `${path}:${i + 1}`;
    if (raw.trim() === '') continue;
    if (raw.trimStart().startsWith('#')) {
      comments.push(raw.trimStart().replace(/^#\s?/, ''));
      continue;
    }
    const indent = raw.length - raw.trimStart().length;
    if (indent % 2 !== 0) throw new Error(`${where}: indentation must be a multiple of two spaces`);
    if (indent === 0) {
      const m = /^(request|response|header|data)\s+(\w+)\s*(.*)$/.exec(raw);
      if (!m) throw new Error(`${where}: expected a message line`);
      const attrs = parseAttributes(m[3], where);
      const kind = m[1] as MessageKind;
      if ((kind === 'request' || kind === 'response') && attrs.apiKey === undefined) {
        throw new Error(`${where}: ${kind} needs apiKey`);
      }
      if (!attrs.validVersions) throw new Error(`${where}: validVersions is required`);
      msg = {
        kind,
        name: m[2],
        apiKey: attrs.apiKey === undefined ? -1 : Number(attrs.apiKey),
        validVersions: parseVersions(attrs.validVersions, where),
        flexibleVersions: parseVersions(attrs.flexibleVersions ?? 'none', where),
        fields: [],
        structs: new Map(),
        history: comments,
        file: path,
      };
      comments = [];
      messages.push(msg);
      stack = [{ indent: 0, fields: msg.fields }];
      continue;
    }
    comments = [];
    if (!msg) throw new Error(`${where}: field outside a message`);
    const content = raw.trimStart();
    // Pop to the frame that this indentation belongs to.
    while (stack.length > 1 && stack[stack.length - 1].indent >= indent) stack.pop();
    const parent = stack[stack.length - 1];
    if (indent !== parent.indent + 2) throw new Error(`${where}: unexpected indentation`);
    const structMatch = /^struct\s+(\w+)\s*(.*)$/.exec(content);
    if (structMatch) {
      if (indent !== 2) throw new Error(`${where}: struct blocks belong at the first level of a message`);
      const attrs = parseAttributes(structMatch[2], where);
      const def: StructDef = {
        name: structMatch[1],
        versions: parseVersions(attrs.versions ?? '0+', where),
        fields: [],
      };
      if (msg.structs.has(def.name)) throw new Error(`${where}: struct ${def.name} defined twice`);
      msg.structs.set(def.name, def);
      stack = [stack[0], { indent: 2, fields: def.fields }];
      continue;
    }
    const field = parseField(content, where, i + 1);
    parent.fields.push(field);
    if (field.isStruct) stack.push({ indent, fields: field.fields });
  }
  for (const m of messages) resolveStructs(m, m.fields, new Set());
  return messages;
}

function parseAttributes(text: string, where: string): Partial<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const part of text.split(/\s+/).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`${where}: expected key=value, got "${part}"`);
    const key = part.slice(0, eq);
    if (key in out) throw new Error(`${where}: ${key} given twice`);
    out[key] = part.slice(eq + 1);
  }
  return out;
}

const FIELD_ATTRIBUTES = new Set([
  'versions', 'nullableVersions', 'default', 'tag', 'taggedVersions', 'flexibleVersions', 'entityType', 'echo',
]);

function parseField(content: string, where: string, line: number): FieldDef {
  const sep = content.indexOf(' -- ');
  const head = sep >= 0 ? content.slice(0, sep) : content;
  const about = sep >= 0 ? content.slice(sep + 4).trim() : '';
  const m = /^(\w+)\s+(\S+)\s*(.*)$/.exec(head);
  if (!m) throw new Error(`${where}: expected "name type attributes -- about"`);
  const [, name, type, rest] = m as unknown as [string, string, string, string];
  if (!/^[a-z]/.test(name)) throw new Error(`${where}: field names are camelCase (${name})`);
  const attrs = parseAttributes(rest, where);
  for (const k of Object.keys(attrs)) if (!FIELD_ATTRIBUTES.has(k)) throw new Error(`${where}: unknown attribute ${k}`);
  if (!attrs.versions) throw new Error(`${where}: versions is required`);
  const isArray = type.startsWith('[]');
  const baseType = isArray ? type.slice(2) : type;
  const isStruct = !PRIMITIVES.has(baseType);
  if (isStruct && !/^[A-Z]\w*$/.test(baseType)) throw new Error(`${where}: unknown type ${type}`);
  if (attrs.tag !== undefined && !attrs.taggedVersions) throw new Error(`${where}: tag needs taggedVersions`);
  const field: FieldDef = {
    name,
    type,
    isArray,
    baseType,
    isStruct,
    versions: parseVersions(attrs.versions, where),
    nullableVersions: parseVersions(attrs.nullableVersions ?? 'none', where),
    taggedVersions: parseVersions(attrs.taggedVersions ?? 'none', where),
    about,
    fields: [],
    line,
  };
  if (attrs.default !== undefined) field.default = attrs.default;
  if (attrs.tag !== undefined) field.tag = Number(attrs.tag);
  if (attrs.flexibleVersions !== undefined) field.flexibleVersions = parseVersions(attrs.flexibleVersions, where);
  if (attrs.entityType !== undefined) field.entityType = attrs.entityType;
  if (attrs.echo !== undefined) field.echo = attrs.echo;
  return field;
}

/** Struct-typed fields with no inline fields take the fields of the message's struct block. */
function resolveStructs(msg: MessageDef, fields: FieldDef[], seen: Set<string>): void {
  for (const f of fields) {
    if (!f.isStruct) continue;
    if (f.fields.length === 0) {
      const def = msg.structs.get(f.baseType);
      if (!def) throw new Error(`${msg.file}:${f.line}: struct ${f.baseType} has no fields and no struct block`);
      if (seen.has(def.name)) throw new Error(`${msg.file}:${f.line}: recursive struct ${def.name}`);
      f.fields = def.fields;
      resolveStructs(msg, def.fields, new Set([...seen, def.name]));
    } else {
      resolveStructs(msg, f.fields, seen);
    }
  }
}

/** Every message under a protocol/ directory, with its file. */
export function loadProtocol(dir: string): MessageDef[] {
  const out: MessageDef[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.msg')) out.push(...parseSchemaFile(p));
    }
  };
  walk(dir);
  return out;
}

export interface ErrorDef {
  code: number;
  name: string;
  retriable: boolean;
  message: string;
}

export function parseErrors(path: string): ErrorDef[] {
  const out: ErrorDef[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      const t = line.trim();
      if (t === '' || t.startsWith('#')) return;
      const m = /^(-?\d+)\s+([A-Z0-9_]+)\s+(true|false)\s+(.*)$/.exec(t);
      if (!m) throw new Error(`${path}:${i + 1}: expected "code NAME retriable message"`);
      out.push({ code: Number(m[1]), name: m[2], retriable: m[3] === 'true', message: m[4] });
    });
  return out;
}
