/**
 * Builds random but valid message values straight from the schema, for round-trip tests: every
 * field present in the version gets a value (null where the version allows it, sometimes), fields
 * absent from the version keep their defaults so a decode gives back the same object, and flexible
 * structs carry unknown tagged fields that must survive decode and encode.
 */
import { inVersions, type FieldDef, type MessageDef } from '../../scripts/protocol-schema.js';

export class Random {
  constructor(private seed: number) {}
  next(): number {
    // mulberry32: small, deterministic, good enough for test data.
    let t = (this.seed = (this.seed + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.int(0, 255);
    return b;
  }
  string(): string {
    const alphabet = ['a', 'b', 'z', '0', '9', '-', '.', '_', 'é', '日', '🙂'];
    let s = '';
    const n = this.int(0, 12);
    for (let i = 0; i < n; i++) s += alphabet[this.int(0, alphabet.length - 1)];
    return s;
  }
}

function defaultFor(f: FieldDef, msg: MessageDef): unknown {
  if (f.default === 'null') return null;
  if (f.isArray) return [];
  if (f.isStruct) return defaultStruct(f.fields, msg);
  switch (f.baseType) {
    case 'bool':
      return f.default === 'true';
    case 'int64':
      return f.default === undefined ? 0n : f.default.startsWith('-') ? -BigInt(f.default.slice(1)) : BigInt(f.default);
    case 'string':
      return f.default ?? '';
    case 'uuid':
      return '00000000-0000-0000-0000-000000000000';
    case 'bytes':
      return f.nullableVersions.min <= f.nullableVersions.max && f.nullableVersions.min !== Infinity ? null : Buffer.alloc(0);
    case 'records':
      return null;
    default:
      if (f.default === undefined) return 0;
      return /^-?0x/i.test(f.default) ? Number.parseInt(f.default, 16) : Number(f.default);
  }
}

const flexibleAt = (msg: MessageDef, v: number): boolean => inVersions(msg.flexibleVersions, v);
const hasFlexible = (msg: MessageDef): boolean =>
  Math.max(msg.flexibleVersions.min, msg.validVersions.min) <= Math.min(msg.flexibleVersions.max, msg.validVersions.max);

/** Bytes of an everywhere-nullable bytes field whose schema says it may be null in some version. */
function everNullable(f: FieldDef, msg: MessageDef): boolean {
  const lo = Math.max(f.nullableVersions.min, f.versions.min, msg.validVersions.min);
  const hi = Math.min(f.nullableVersions.max, f.versions.max, msg.validVersions.max);
  return lo <= hi;
}

export function defaultStruct(fields: FieldDef[], msg: MessageDef): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of fields) {
    o[f.name] = f.baseType === 'bytes' && !f.isArray && !f.isStruct ? (everNullable(f, msg) || f.default === 'null' ? null : Buffer.alloc(0)) : defaultFor(f, msg);
  }
  if (hasFlexible(msg)) o._unknownTaggedFields = undefined;
  return o;
}

function scalar(rnd: Random, t: string): unknown {
  switch (t) {
    case 'bool':
      return rnd.chance(0.5);
    case 'int8':
      return rnd.int(-128, 127);
    case 'int16':
      return rnd.int(-32768, 32767);
    case 'uint16':
      return rnd.int(0, 65535);
    case 'int32':
      return rnd.int(-2147483648, 2147483647);
    case 'uint32':
      return rnd.int(0, 4294967295);
    case 'int64':
      return BigInt.asIntN(64, (BigInt(rnd.int(0, 0xffffffff)) << 32n) | BigInt(rnd.int(0, 0xffffffff)));
    case 'float64':
      return rnd.next() * 1e6 - 5e5;
    case 'string':
      return rnd.string();
    case 'uuid':
      return rnd.bytes(16).toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
    case 'bytes':
    case 'records':
      return rnd.bytes(rnd.int(0, 40));
    default:
      throw new Error(`no scalar ${t}`);
  }
}

/** A random value for `fields` at version `v`. */
export function randomStruct(rnd: Random, fields: FieldDef[], msg: MessageDef, v: number, depth = 0): Record<string, unknown> {
  const o = defaultStruct(fields, msg);
  for (const f of fields) {
    if (!inVersions(f.versions, v)) continue;
    if (f.tag !== undefined && inVersions(f.taggedVersions, v) && rnd.chance(0.3)) continue; // tagged and left at default
    const nullable = inVersions(f.nullableVersions, v);
    if (nullable && rnd.chance(0.25)) {
      o[f.name] = null;
      continue;
    }
    if (f.isArray) {
      const n = depth > 3 ? 0 : rnd.int(0, 3);
      const a: unknown[] = [];
      for (let i = 0; i < n; i++) a.push(f.isStruct ? randomStruct(rnd, f.fields, msg, v, depth + 1) : scalar(rnd, f.baseType));
      o[f.name] = a;
    } else if (f.isStruct) {
      o[f.name] = randomStruct(rnd, f.fields, msg, v, depth + 1);
    } else {
      o[f.name] = scalar(rnd, f.baseType);
    }
  }
  if (flexibleAt(msg, v) && rnd.chance(0.3)) {
    // Unknown tags above any tag the schema uses, in ascending order as a decoder returns them.
    const first = 1000 + rnd.int(0, 50);
    o._unknownTaggedFields = [
      { tag: first, data: rnd.bytes(rnd.int(0, 5)) },
      { tag: first + rnd.int(1, 10), data: rnd.bytes(rnd.int(0, 5)) },
    ];
  }
  return o;
}
