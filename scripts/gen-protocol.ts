/**
 * protocol/*.msg -> src/protocol/generated/. One TypeScript module per schema file: an interface per
 * message and struct carrying every version's fields (one object shape for all versions), straight-line
 * decode/encode functions with the version checks hoisted into plain `if`s, default constructors and
 * an error-response builder per response; plus the api table, the error-code table and the registry
 * that maps api keys to codecs. The output is committed; `npm run check-gen` regenerates and diffs.
 *
 * Usage: tsx scripts/gen-protocol.ts [--out DIR]
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  formatVersions,
  intersect,
  parseErrors,
  parseSchemaFile,
  type ErrorDef,
  type FieldDef,
  type MessageDef,
  type Versions,
} from './protocol-schema.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let protocolDir = join(root, 'protocol');

// ---------------------------------------------------------------------------------------------
// Naming

const upperSnakeToPascal = (s: string): string =>
  s
    .toLowerCase()
    .split('_')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');

/** Interface name of a struct inside a message. */
function structTypeName(msg: MessageDef, struct: string): string {
  return struct.startsWith(msg.name) ? struct : msg.name + struct;
}

// ---------------------------------------------------------------------------------------------
// Version conditions, simplified against the message's valid range so that always-true checks vanish.

function versionCond(v: Versions, valid: Versions, name = 'version'): string {
  const r = intersect(v, valid);
  if (r.min > r.max) return 'false';
  const lo = r.min > valid.min;
  const hi = r.max < valid.max;
  if (lo && hi) return r.min === r.max ? `${name} === ${r.min}` : `${name} >= ${r.min} && ${name} <= ${r.max}`;
  if (lo) return `${name} >= ${r.min}`;
  if (hi) return `${name} <= ${r.max}`;
  return 'true';
}

function flexibleExpr(msg: MessageDef, f: FieldDef): string {
  if (f.flexibleVersions) return versionCond(f.flexibleVersions, msg.validVersions);
  return 'flexible';
}

/** True when the field may hold null in some version. */
const everNullable = (f: FieldDef, msg: MessageDef): boolean =>
  intersect(f.nullableVersions, intersect(f.versions, msg.validVersions)).min !== Infinity;

// ---------------------------------------------------------------------------------------------
// Types and defaults

const NUMBER_TYPES = new Set(['int8', 'int16', 'uint16', 'int32', 'uint32', 'float64']);

function tsBaseType(msg: MessageDef, t: string): string {
  if (NUMBER_TYPES.has(t)) return 'number';
  switch (t) {
    case 'bool':
      return 'boolean';
    case 'int64':
      return 'bigint';
    case 'string':
    case 'uuid':
      return 'string';
    case 'bytes':
    case 'records':
      return 'Buffer';
    default:
      return structTypeName(msg, t);
  }
}

function tsType(msg: MessageDef, f: FieldDef): string {
  const base = tsBaseType(msg, f.baseType);
  const t = f.isArray ? `${base}[]` : base;
  return everNullable(f, msg) || f.baseType === 'records' || f.default === 'null' ? `${t} | null` : t;
}

function defaultExpr(msg: MessageDef, f: FieldDef): string {
  const d = f.default;
  if (d === 'null') return 'null';
  if (f.isArray) return '[]';
  if (f.isStruct) return `default${structTypeName(msg, f.baseType)}()`;
  switch (f.baseType) {
    case 'bool':
      return d === 'true' ? 'true' : 'false';
    case 'int64':
      // BigInt of the text, not of a Number: 9223372036854775807 must not round to 2^63.
      return d === undefined ? '0n' : `${d.startsWith('-') ? -BigInt(d.slice(1)) : BigInt(d)}n`;
    case 'string':
      return JSON.stringify(d ?? '');
    case 'uuid':
      return 'ZERO_UUID';
    case 'bytes':
      return everNullable(f, msg) ? 'null' : 'EMPTY';
    case 'records':
      return 'null';
    default:
      if (d === undefined) return '0';
      return String(/^-?0x/i.test(d) ? Number.parseInt(d, 16) : Number(d));
  }
}

/** Expression testing whether `v` differs from the field's default (for writing tagged fields). */
function nonDefaultTest(msg: MessageDef, f: FieldDef, v: string): string {
  const d = defaultExpr(msg, f);
  const nullable = tsType(msg, f).endsWith('| null');
  const sized = f.isArray || f.baseType === 'bytes' || f.baseType === 'records';
  if (d === 'null') return `${v} !== null`;
  if (sized) return nullable ? `(${v} === null || ${v}.length !== 0)` : `${v}.length !== 0`;
  if (f.isStruct) {
    const test = `!isDefault${structTypeName(msg, f.baseType)}(${v})`;
    return nullable ? `(${v} === null || ${test})` : test;
  }
  return `${v} !== ${d}`;
}

// ---------------------------------------------------------------------------------------------
// Read and write expressions

function readScalar(t: string, nullable: boolean, flex: string, r: string): string {
  switch (t) {
    case 'bool':
      return `${r}.bool()`;
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'int64':
    case 'float64':
    case 'uuid':
      return `${r}.${t}()`;
    case 'string':
      return pick(flex, `${r}.compact${nullable ? 'Nullable' : ''}String()`, `${r}.${nullable ? 'nullableString' : 'string'}()`);
    case 'bytes':
      return pick(flex, `${r}.compact${nullable ? 'Nullable' : ''}Bytes()`, `${r}.${nullable ? 'nullableBytes' : 'bytes'}()`);
    case 'records':
      return pick(flex, `${r}.compactNullableBytes()`, `${r}.nullableBytes()`);
    default:
      throw new Error(`no scalar ${t}`);
  }
}

function writeScalar(t: string, nullable: boolean, flex: string, v: string): string {
  switch (t) {
    case 'bool':
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'int64':
    case 'float64':
    case 'uuid':
      return `w.${t}(${v});`;
    case 'string':
      return pickStmt(flex, `w.compact${nullable ? 'Nullable' : ''}String(${v});`, `w.${nullable ? 'nullableString' : 'string'}(${v});`);
    case 'bytes':
      return pickStmt(flex, `w.compact${nullable ? 'Nullable' : ''}Bytes(${v});`, `w.${nullable ? 'nullableBytes' : 'bytes'}(${v});`);
    case 'records':
      return pickStmt(flex, `w.compactNullableBytes(${v});`, `w.nullableBytes(${v});`);
    default:
      throw new Error(`no scalar ${t}`);
  }
}

function pick(flex: string, a: string, b: string): string {
  if (flex === 'true') return a;
  if (flex === 'false') return b;
  return `${flex} ? ${a} : ${b}`;
}

function pickStmt(flex: string, a: string, b: string): string {
  if (flex === 'true') return a;
  if (flex === 'false') return b;
  return `if (${flex}) ${a} else ${b}`;
}

// ---------------------------------------------------------------------------------------------
// Code emission

class Code {
  lines: string[] = [];
  private depth = 0;
  line(s = ''): this {
    this.lines.push(s === '' ? '' : '  '.repeat(this.depth) + s);
    return this;
  }
  open(s: string): this {
    this.line(s);
    this.depth++;
    return this;
  }
  close(s = '}'): this {
    this.depth--;
    return this.line(s);
  }
  /** Ends an if-branch and opens its else-branch at the same depth. */
  else(): this {
    this.depth--;
    this.line('} else {');
    this.depth++;
    return this;
  }
  toString(): string {
    return this.lines.join('\n') + '\n';
  }
  /** Prefixes `_` to parameters the lines since `from` never use, so strict unused checks pass. */
  markUnused(from: number, params: string[]): void {
    const body = this.lines.slice(from + 1).join('\n');
    for (const p of params) {
      if (!new RegExp(`\\b${p}\\b`).test(body)) this.lines[from] = this.lines[from].replace(`(${p}:`, `(_${p}:`).replace(` ${p}:`, ` _${p}:`);
    }
  }
}

interface StructInfo {
  typeName: string;
  fields: FieldDef[];
  /** The versions in which this struct occurs: the message's. */
  msg: MessageDef;
  about: string;
}

/** Every struct type of a message, outermost first, each once. */
function collectStructs(msg: MessageDef): StructInfo[] {
  const out: StructInfo[] = [{ typeName: msg.name, fields: msg.fields, msg, about: msg.history[0] ?? '' }];
  const seen = new Set<string>([msg.name]);
  const visit = (fields: FieldDef[]): void => {
    for (const f of fields) {
      if (!f.isStruct) continue;
      const name = structTypeName(msg, f.baseType);
      if (!seen.has(name)) {
        seen.add(name);
        out.push({ typeName: name, fields: f.fields, msg, about: f.about });
      }
      visit(f.fields);
    }
  };
  visit(msg.fields);
  return out;
}

const hasFlexible = (msg: MessageDef): boolean => intersect(msg.flexibleVersions, msg.validVersions).min !== Infinity;

function emitInterface(c: Code, s: StructInfo): void {
  const { msg } = s;
  if (s.about) c.line(`/** ${s.about.replace(/\*\//g, '*\\/')} */`);
  c.open(`export interface ${s.typeName} {`);
  for (const f of s.fields) {
    const notes = [`v${formatVersions(intersect(f.versions, msg.validVersions))}`];
    if (f.tag !== undefined) notes.push(`tag ${f.tag}`);
    if (f.entityType) notes.push(f.entityType);
    c.line(`/** ${f.about.replace(/\*\//g, '*\\/')} (${notes.join(', ')}) */`);
    c.line(`${f.name}: ${tsType(msg, f)};`);
  }
  if (hasFlexible(msg)) {
    c.line('/** Tagged fields this schema does not know, kept to be written back unchanged. */');
    c.line('_unknownTaggedFields: TaggedField[] | undefined;');
  }
  c.close();
  c.line();
}

function emitDefault(c: Code, s: StructInfo): void {
  c.open(`export function default${s.typeName}(): ${s.typeName} {`);
  c.open('return {');
  for (const f of s.fields) c.line(`${f.name}: ${defaultExpr(s.msg, f)},`);
  if (hasFlexible(s.msg)) c.line('_unknownTaggedFields: undefined,');
  c.close('};');
  c.close();
  c.line();
  // Tagged struct fields are written only when they differ from their default.
  if (s.typeName === s.msg.name) return;
  c.line(`/** True when every field of \`m\` holds its default (a tagged field of this type is then omitted). */`);
  const start = c.lines.length;
  c.open(`export function isDefault${s.typeName}(m: ${s.typeName}): boolean {`);
  const tests = s.fields.map((f) => `!(${nonDefaultTest(s.msg, f, `m.${f.name}`)})`);
  if (hasFlexible(s.msg)) tests.push('m._unknownTaggedFields === undefined');
  c.line(`return ${tests.length ? tests.join(' && ') : 'true'};`);
  c.close();
  c.markUnused(start, ['m']);
  c.line();
}

/** Expression reading one value (an element for arrays) of field f with reader r. */
function readValue(msg: MessageDef, f: FieldDef, r: string, flex: string): string {
  if (f.isStruct) return `decode${structTypeName(msg, f.baseType)}(${r}, version)`;
  return readScalar(f.baseType, everNullable(f, msg) && !f.isArray, flex, r);
}

/** Statements assigning field f, read from reader r, to variable `target`. */
function emitRead(c: Code, msg: MessageDef, f: FieldDef, r: string, target: string, flex: string): void {
  const nullableCond = versionCond(f.nullableVersions, msg.validVersions);
  if (f.isArray) {
    c.line(`const ${target}$n = ${pick(flex, `${r}.compactArrayLength()`, `${r}.arrayLength()`)};`);
    c.open(`if (${target}$n < 0) {`);
    if (nullableCond === 'false') c.line(`throw new ProtocolDecodeError('null array for ${f.name}');`);
    else if (nullableCond === 'true') c.line(`${target} = null;`);
    else c.line(`if (!(${nullableCond})) throw new ProtocolDecodeError('null array for ${f.name}');`).line(`${target} = null;`);
    c.else();
    c.line(`const a: ${tsBaseType(msg, f.baseType)}[] = [];`);
    c.line(`for (let i = 0; i < ${target}$n; i++) a.push(${readValue(msg, f, r, flex)});`);
    c.line(`${target} = a;`);
    c.close();
    return;
  }
  if (f.isStruct && nullableCond !== 'false') {
    const read = `decode${structTypeName(msg, f.baseType)}(${r}, version)`;
    if (nullableCond === 'true') c.line(`${target} = ${r}.int8() < 0 ? null : ${read};`);
    else c.line(`${target} = ${nullableCond} && ${r}.int8() < 0 ? null : ${read};`);
    return;
  }
  c.line(`${target} = ${readValue(msg, f, r, flex)};`);
}

function emitWrite(c: Code, msg: MessageDef, f: FieldDef, v: string, flex: string): void {
  const nullableCond = versionCond(f.nullableVersions, msg.validVersions);
  const elem = (e: string): string =>
    f.isStruct
      ? `encode${structTypeName(msg, f.baseType)}(w, version, ${e});`
      : writeScalar(f.baseType, everNullable(f, msg) && !f.isArray, flex, e);
  if (f.isArray) {
    const lenWrite = pickStmt(flex, `w.compactArrayLength(${v}.length);`, `w.arrayLength(${v}.length);`);
    if (tsType(msg, f).endsWith('| null')) {
      c.open(`if (${v} === null) {`);
      c.line(pickStmt(flex, 'w.unsignedVarint(0);', 'w.int32(-1);'));
      c.else();
      c.line(lenWrite);
      c.line(`for (const e of ${v}) ${elem('e')}`);
      c.close();
    } else {
      c.line(lenWrite);
      c.line(`for (const e of ${v}) ${elem('e')}`);
    }
    return;
  }
  if (f.isStruct && tsType(msg, f).endsWith('| null')) {
    const write = `encode${structTypeName(msg, f.baseType)}(w, version, ${v});`;
    const cond = nullableCond === 'false' ? 'false' : nullableCond;
    c.open(`if (${cond}) {`);
    c.line(`if (${v} === null) w.int8(-1);`);
    c.line(`else { w.int8(1); ${write} }`);
    c.close(`} else ${write.replace(v, `${v} ?? default${structTypeName(msg, f.baseType)}()`)}`);
    return;
  }
  if (f.isStruct) {
    c.line(`encode${structTypeName(msg, f.baseType)}(w, version, ${v});`);
    return;
  }
  c.line(elem(v));
}

function emitDecode(c: Code, s: StructInfo): void {
  const { msg } = s;
  const flexibleCond = versionCond(msg.flexibleVersions, msg.validVersions);
  const start = c.lines.length;
  c.open(`export function decode${s.typeName}(r: Reader, version: number): ${s.typeName} {`);
  if (hasFlexible(msg)) c.line(`const flexible = ${flexibleCond};`);
  const tagged = s.fields.filter((f) => f.tag !== undefined);
  for (const f of s.fields) {
    const type = tsType(msg, f);
    const flex = f.flexibleVersions ? flexibleExpr(msg, f) : hasFlexible(msg) ? 'flexible' : 'false';
    // A field that is tagged in every version it exists is read only in the tagged section.
    const wireVersions = f.tag === undefined ? f.versions : { min: f.versions.min, max: f.taggedVersions.min - 1 };
    const cond = versionCond(wireVersions, msg.validVersions);
    if (cond === 'true' && !f.isArray && !(f.isStruct && type.endsWith('| null'))) {
      c.line(`const ${f.name}: ${type} = ${readValue(msg, f, 'r', flex)};`);
    } else if (cond === 'true') {
      c.line(`let ${f.name}: ${type};`);
      emitRead(c, msg, f, 'r', f.name, flex);
    } else {
      c.line(`let ${f.name}: ${type} = ${defaultExpr(msg, f)};`);
      if (cond !== 'false') {
        c.open(`if (${cond}) {`);
        emitRead(c, msg, f, 'r', f.name, flex);
        c.close();
      }
    }
  }
  if (hasFlexible(msg)) {
    c.line('let _unknownTaggedFields: TaggedField[] | undefined;');
    c.open('if (flexible) {');
    c.line('const tags = r.tagCount();');
    c.open('for (let t = 0; t < tags; t++) {');
    c.line('const sub = r.taggedField();');
    c.line('const tag = r.lastTag;');
    if (tagged.length > 0) {
      c.open('switch (tag) {');
      for (const f of tagged) {
        const cond = versionCond(f.taggedVersions, msg.validVersions);
        c.open(`case ${f.tag}:`);
        c.open(`if (${cond}) {`);
        emitRead(c, msg, f, 'sub', f.name, 'true');
        c.line('Reader.expectConsumed(sub);');
        c.line('continue;');
        c.close();
        c.line('break;');
        c.close('');
        c.lines.pop();
      }
      c.close();
    }
    c.line('(_unknownTaggedFields ??= []).push(Reader.unknownTag(tag, sub));');
    c.close();
    c.close();
  }
  const names = s.fields.map((f) => f.name);
  if (hasFlexible(msg)) names.push('_unknownTaggedFields');
  c.line(`return { ${names.join(', ')} };`);
  c.close();
  c.markUnused(start, ['version']);
  c.line();
}

function emitEncode(c: Code, s: StructInfo): void {
  const { msg } = s;
  const flexibleCond = versionCond(msg.flexibleVersions, msg.validVersions);
  const start = c.lines.length;
  c.open(`export function encode${s.typeName}(w: Writer, version: number, m: ${s.typeName}): void {`);
  if (hasFlexible(msg)) c.line(`const flexible = ${flexibleCond};`);
  for (const f of s.fields) {
    const flex = f.flexibleVersions ? flexibleExpr(msg, f) : hasFlexible(msg) ? 'flexible' : 'false';
    const wireVersions = f.tag === undefined ? f.versions : { min: f.versions.min, max: f.taggedVersions.min - 1 };
    const cond = versionCond(wireVersions, msg.validVersions);
    if (cond === 'false') continue;
    if (cond === 'true') {
      emitWrite(c, msg, f, `m.${f.name}`, flex);
    } else {
      c.open(`if (${cond}) {`);
      emitWrite(c, msg, f, `m.${f.name}`, flex);
      c.close();
    }
  }
  if (hasFlexible(msg)) {
    const tagged = s.fields.filter((f) => f.tag !== undefined).sort((a, b) => (a.tag ?? 0) - (b.tag ?? 0));
    c.open('if (flexible) {');
    if (tagged.length === 0) {
      c.line('w.taggedFields(null, m._unknownTaggedFields);');
    } else {
      c.line('let known: TaggedField[] | null = null;');
      for (const f of tagged) {
        const cond = versionCond(f.taggedVersions, msg.validVersions);
        const v = `m.${f.name}`;
        const test = nonDefaultTest(msg, f, v);
        const sub = new Code();
        emitWrite(sub, msg, f, v, 'true');
        const body = sub.lines.map((l) => l.trim()).join(' ');
        c.line(`if (${cond === 'true' ? '' : `${cond} && `}${test}) (known ??= []).push({ tag: ${f.tag}, data: Writer.encodeToBuffer((w) => { ${body} }) });`);
      }
      c.line('w.taggedFields(known, m._unknownTaggedFields);');
    }
    c.close();
  }
  c.close();
  c.markUnused(start, ['version', 'm']);
  c.line();
}

// ---------------------------------------------------------------------------------------------
// Error responses: mirror the request through `echo` annotations.

function emitErrorResponse(c: Code, response: MessageDef, request: MessageDef): void {
  const fnName = `errorResponse${response.name}`;
  c.line(`/** A ${response.name} that answers every part of the request with one error code. */`);
  const start = c.lines.length;
  c.open(`export function ${fnName}(request: ${request.name}, errorCode: number, errorMessage: string | null = null): ${response.name} {`);
  c.line(`return ${echoObject(response, response.fields, request, request.fields, 'request', 1)};`);
  c.close();
  c.markUnused(start, ['request', 'errorCode', 'errorMessage']);
  c.line();
}

function echoObject(
  resp: MessageDef,
  fields: FieldDef[],
  req: MessageDef,
  reqFields: FieldDef[],
  src: string,
  depth: number,
): string {
  const pad = '  '.repeat(depth + 1);
  const parts: string[] = [];
  for (const f of fields) {
    let value = defaultExpr(resp, f);
    if (/^(.*E|e)rrorCode$/.test(f.name) && f.baseType === 'int16' && !f.isArray) value = 'errorCode';
    else if (f.name === 'errorMessage' && f.baseType === 'string' && tsType(resp, f).endsWith('| null')) value = 'errorMessage';
    else if (f.echo === '.') value = 'e';
    else if (f.echo) {
      const from = reqFields.find((x) => x.name === f.echo);
      if (!from) throw new Error(`${resp.file}:${f.line}: echo=${f.echo} names no field of the matching ${req.name} struct`);
      if (f.isArray && f.isStruct && from.isArray && from.isStruct) {
        const inner = echoObject(resp, f.fields, req, from.fields, 'e', depth + 1);
        value = `(${src}.${from.name} ?? []).map((${/\be\b/.test(inner) ? 'e' : ''}) => (${inner}))`;
      } else if (f.isStruct && from.isStruct && !f.isArray && !from.isArray) {
        value = echoObject(resp, f.fields, req, from.fields, `${src}.${from.name}`, depth + 1);
      } else if (f.isArray && !f.isStruct && from.isArray && !from.isStruct) {
        value = `[...(${src}.${from.name} ?? [])]`;
      } else if (f.isArray && f.isStruct && !from.isStruct) {
        // A request list of plain values (e.g. group ids) becomes response entries keyed by the value.
        const key = f.fields.find((x) => x.echo === '.' || x.echo === from.name);
        if (!key) throw new Error(`${resp.file}:${f.line}: echo from a list of values needs an element field with echo=.`);
        const inner = echoObject(resp, f.fields.map((x) => (x === key ? { ...x, echo: '.' } : x)), req, [], 'e', depth + 1);
        value = `(${src}.${from.name} ?? []).map((e) => (${inner}))`;
      } else {
        value = `${src}.${from.name}`;
        if (!tsType(resp, f).endsWith('| null') && tsType(req, from).endsWith('| null')) value += ` ?? ${defaultExpr(resp, f)}`;
      }
    }
    parts.push(`${pad}${f.name}: ${value},`);
  }
  if (hasFlexible(resp)) parts.push(`${pad}_unknownTaggedFields: undefined,`);
  return `{\n${parts.join('\n')}\n${'  '.repeat(depth)}}`;
}

// ---------------------------------------------------------------------------------------------
// Files

const HEADER = (source: string): string =>
  `// Generated by scripts/gen-protocol.ts from ${source}. Do not edit: change the schema and run \`npm run gen\`.\n` +
  '/* eslint-disable */\n';

/** `depth`: how many folders below src/protocol/ the module sits (generated/ is 1, generated/messages/ 2). */
function emitModule(source: string, messages: MessageDef[], out: string, depth: number): void {
  const c = new Code();
  const depthUp = '../'.repeat(depth);
  const usesFlexible = messages.some(hasFlexible);
  for (const msg of messages) {
    c.line(`// ${'-'.repeat(96)}`);
    c.line(`// ${msg.kind} ${msg.name}${msg.apiKey >= 0 ? ` (api key ${msg.apiKey})` : ''}: versions ${formatVersions(msg.validVersions)}, flexible ${formatVersions(msg.flexibleVersions)}`);
    for (const h of msg.history) c.line(`//   ${h}`.trimEnd());
    c.line();
    const structs = collectStructs(msg);
    for (const s of structs) emitInterface(c, s);
    for (const s of structs) {
      emitDefault(c, s);
      emitDecode(c, s);
      emitEncode(c, s);
    }
    if (msg.kind === 'response') {
      const req = messages.find((m) => m.kind === 'request' && m.apiKey === msg.apiKey);
      if (req) emitErrorResponse(c, msg, req);
    }
  }
  // Import only what the emitted code uses, so the module carries no unused names.
  const body = c.toString();
  const uses = (name: string): boolean => new RegExp(`\\b${name}\\b`).test(body);
  const readerNames = ['Reader', ...(uses('ZERO_UUID') ? ['ZERO_UUID'] : []), ...(usesFlexible ? ['type TaggedField'] : [])];
  const head = [
    HEADER(source),
    `import { ${readerNames.join(', ')} } from '${depthUp}reader.js';`,
    `import { Writer } from '${depthUp}writer.js';`,
    ...(uses('ProtocolDecodeError') ? [`import { ProtocolDecodeError } from '${depthUp}decode-error.js';`] : []),
    '',
    ...(uses('EMPTY') ? ['const EMPTY = Buffer.alloc(0);', ''] : []),
  ];
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, (head.join('\n') + '\n' + body).replace(/\n{3,}/g, '\n\n'));
}

function emitApiTable(apis: { req: MessageDef; resp: MessageDef; module: string }[], out: string): void {
  const c = new Code();
  c.lines.push(HEADER('protocol/messages/*.msg'));
  c.line("import type { Reader } from '../reader.js';");
  c.line("import type { Writer } from '../writer.js';");
  for (const a of apis) {
    const names = [a.req.name, a.resp.name];
    const fns = names.flatMap((n) => [`decode${n}`, `encode${n}`]);
    c.line(`import { ${fns.join(', ')}, errorResponse${a.resp.name}, type ${a.req.name}, type ${a.resp.name} } from './${a.module}';`);
  }
  c.line();
  c.open('export const ApiKey = {');
  for (const a of apis) c.line(`${a.req.name.replace(/Request$/, '')}: ${a.req.apiKey},`);
  c.close('} as const;');
  c.line('export type ApiKey = (typeof ApiKey)[keyof typeof ApiKey];');
  c.line();
  c.line('/** Request body type by api key. */');
  c.open('export interface RequestBodies {');
  for (const a of apis) c.line(`${a.req.apiKey}: ${a.req.name};`);
  c.close();
  c.line('/** Response body type by api key. */');
  c.open('export interface ResponseBodies {');
  for (const a of apis) c.line(`${a.req.apiKey}: ${a.resp.name};`);
  c.close();
  c.line();
  c.open('export interface ApiInfo<K extends ApiKey = ApiKey> {');
  c.line('key: K;');
  c.line('name: string;');
  c.line('minVersion: number;');
  c.line('maxVersion: number;');
  c.line('/** First flexible version, or -1 when no version is flexible. */');
  c.line('firstFlexibleVersion: number;');
  c.line('decodeRequest(r: Reader, version: number): RequestBodies[K];');
  c.line('encodeRequest(w: Writer, version: number, body: RequestBodies[K]): void;');
  c.line('decodeResponse(r: Reader, version: number): ResponseBodies[K];');
  c.line('encodeResponse(w: Writer, version: number, body: ResponseBodies[K]): void;');
  c.line('/** A response answering the whole request with one error code. */');
  c.line('errorResponse(request: RequestBodies[K], errorCode: number, errorMessage?: string | null): ResponseBodies[K];');
  c.close();
  c.line();
  c.line('/** Every API in the schema, by key. */');
  c.open('export const API_TABLE: { readonly [K in ApiKey]: ApiInfo<K> } = {');
  for (const a of apis) {
    if (a.req.validVersions.min !== a.resp.validVersions.min || a.req.validVersions.max !== a.resp.validVersions.max) {
      throw new Error(`${a.req.name} and ${a.resp.name} disagree on validVersions`);
    }
    const flex = intersect(a.req.flexibleVersions, a.req.validVersions);
    c.open(`${a.req.apiKey}: {`);
    c.line(`key: ${a.req.apiKey},`);
    c.line(`name: '${a.req.name.replace(/Request$/, '')}',`);
    c.line(`minVersion: ${a.req.validVersions.min},`);
    c.line(`maxVersion: ${a.req.validVersions.max},`);
    c.line(`firstFlexibleVersion: ${flex.min === Infinity ? -1 : flex.min},`);
    c.line(`decodeRequest: decode${a.req.name},`);
    c.line(`encodeRequest: encode${a.req.name},`);
    c.line(`decodeResponse: decode${a.resp.name},`);
    c.line(`encodeResponse: encode${a.resp.name},`);
    c.line(`errorResponse: errorResponse${a.resp.name},`);
    c.close('},');
  }
  c.close('};');
  c.line();
  c.line('/** Looks an api key up; undefined for keys the schema does not have. */');
  c.open('export function apiInfo(key: number): ApiInfo | undefined {');
  c.line('return (API_TABLE as Record<number, ApiInfo | undefined>)[key];');
  c.close();
  c.line();
  c.line('/** Request header version for an api version: 2 when the api version is flexible, else 1. */');
  c.open('export function requestHeaderVersion(info: ApiInfo, version: number): number {');
  c.line('return info.firstFlexibleVersion >= 0 && version >= info.firstFlexibleVersion ? 2 : 1;');
  c.close();
  c.line();
  c.line('/** Response header version: 1 when flexible, else 0; ApiVersions responses always use 0. */');
  c.open('export function responseHeaderVersion(info: ApiInfo, version: number): number {');
  c.line(`if (info.key === ${apis.find((a) => a.req.name === 'ApiVersionsRequest')?.req.apiKey ?? 18}) return 0;`);
  c.line('return info.firstFlexibleVersion >= 0 && version >= info.firstFlexibleVersion ? 1 : 0;');
  c.close();
  writeFileSync(out, c.toString());
}

function emitErrors(errors: ErrorDef[], out: string): void {
  const c = new Code();
  c.lines.push(HEADER('protocol/errors.txt'));
  c.line('/** Kafka error codes by name. */');
  c.open('export const ErrorCode = {');
  for (const e of errors) c.line(`${upperSnakeToPascal(e.name)}: ${e.code},`);
  c.close('} as const;');
  c.line('export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];');
  c.line();
  c.open('export interface ErrorInfo {');
  c.line('code: number;');
  c.line("/** Kafka's name, e.g. UNKNOWN_TOPIC_OR_PARTITION. */");
  c.line('name: string;');
  c.line('/** Whether a client may retry the request that failed with it. */');
  c.line('retriable: boolean;');
  c.line('message: string;');
  c.close();
  c.line();
  c.open('const ERRORS: ErrorInfo[] = [');
  for (const e of errors) c.line(`{ code: ${e.code}, name: '${e.name}', retriable: ${e.retriable}, message: ${JSON.stringify(e.message)} },`);
  c.close('];');
  c.line();
  c.line('const BY_CODE = new Map(ERRORS.map((e) => [e.code, e]));');
  c.line();
  c.line('/** Every known error code with its name, retriability and message. */');
  c.line('export const ERROR_TABLE: readonly ErrorInfo[] = ERRORS;');
  c.line();
  c.line('/** Looks an error code up; undefined for codes the table does not have. */');
  c.open('export function errorInfo(code: number): ErrorInfo | undefined {');
  c.line('return BY_CODE.get(code);');
  c.close();
  writeFileSync(out, c.toString());
}

export function generate(outDir: string): string[] {
  rmSync(outDir, { recursive: true, force: true });
  const written: string[] = [];
  const apis: { req: MessageDef; resp: MessageDef; module: string }[] = [];
  const groups: [string, string][] = [
    [join(protocolDir, 'messages'), 'messages'],
    [join(protocolDir, 'records'), 'records'],
  ];
  for (const [dir, sub] of groups) {
    let files: string[];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.msg')).sort();
    } catch {
      continue;
    }
    for (const f of files) {
      const messages = parseSchemaFile(join(dir, f));
      const out = join(outDir, sub, `${basename(f, '.msg')}.ts`);
      emitModule(`protocol/${sub}/${f}`, messages, out, 2);
      written.push(out);
      const req = messages.find((m) => m.kind === 'request');
      const resp = messages.find((m) => m.kind === 'response');
      if (req && resp) apis.push({ req, resp, module: `${sub}/${basename(f, '.msg')}.js` });
    }
  }
  const headers = parseSchemaFile(join(protocolDir, 'headers.msg'));
  emitModule('protocol/headers.msg', headers, join(outDir, 'headers.ts'), 1);
  written.push(join(outDir, 'headers.ts'));
  apis.sort((a, b) => a.req.apiKey - b.req.apiKey);
  emitApiTable(apis, join(outDir, 'api-table.ts'));
  emitErrors(parseErrors(join(protocolDir, 'errors.txt')), join(outDir, 'errors.ts'));
  written.push(join(outDir, 'api-table.ts'), join(outDir, 'errors.ts'));
  const index = [HEADER('protocol/'), ...written.map((f) => `export * from './${relative(outDir, f).replace(/\.ts$/, '.js')}';`)];
  writeFileSync(join(outDir, 'index.ts'), index.join('\n') + '\n');
  written.push(join(outDir, 'index.ts'));
  return written;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const protoAt = process.argv.indexOf('--protocol');
  if (protoAt >= 0) {
    const given = process.argv.at(protoAt + 1);
    if (given === undefined) throw new Error('--protocol needs a folder');
    protocolDir = given;
  }
  const outAt = process.argv.indexOf('--out');
  const outDir = outAt >= 0 ? process.argv[outAt + 1] : join(root, 'src', 'protocol', 'generated');
  const files = generate(outDir);
  console.log(`generated ${files.length} files in ${relative(root, outDir) || outDir}`);
}

