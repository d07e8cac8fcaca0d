/**
 * Every message of the schema, in every version it has: random values (nulls, tagged fields and
 * unknown tags included) encode, decode to the same value, and re-encode to the same bytes.
 */
import { describe, expect, it } from '@jest/globals';
import { basename, join } from 'node:path';
import { readdirSync } from 'node:fs';
import { parseSchemaFile, type MessageDef } from '../../scripts/protocol-schema.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';
import { Random, randomStruct } from './schema-values.js';

// import.meta.dirname arrived in Node 20.11; the package runs on any Node 20.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..');

interface Codec {
  decode: (r: Reader, v: number) => unknown;
  encode: (w: Writer, v: number, m: unknown) => void;
}

const sources: { schema: string; module: string }[] = [
  ...['messages', 'records'].flatMap((sub) =>
    readdirSync(join(root, 'protocol', sub))
      .filter((f) => f.endsWith('.msg'))
      .map((f) => ({ schema: join(root, 'protocol', sub, f), module: `../../src/protocol/generated/${sub}/${basename(f, '.msg')}.js` })),
  ),
  { schema: join(root, 'protocol', 'headers.msg'), module: '../../src/protocol/generated/headers.js' },
];

function encode(codec: Codec, v: number, m: unknown): Buffer {
  const w = new Writer(16, false);
  codec.encode(w, v, m);
  return w.toBuffer();
}

describe.each(sources)('$schema', ({ schema, module }) => {
  const messages: MessageDef[] = parseSchemaFile(schema);
  it.each(messages.map((m) => [m.name, m] as const))('%s round-trips in every version', async (_name, msg) => {
    const mod = (await import(module)) as Record<string, unknown>;
    const codec: Codec = {
      decode: mod[`decode${msg.name}`] as Codec['decode'],
      encode: mod[`encode${msg.name}`] as Codec['encode'],
    };
    expect(typeof codec.decode).toBe('function');
    let cases = 0;
    for (let v = msg.validVersions.min; v <= msg.validVersions.max; v++) {
      for (let seed = 1; seed <= 12; seed++) {
        const value = randomStruct(new Random(seed * 7919 + v), msg.fields, msg, v);
        const bytes = encode(codec, v, value);
        const r = new Reader(bytes);
        const decoded = codec.decode(r, v);
        expect(r.remaining).toBe(0);
        expect(decoded).toEqual(value);
        expect(encode(codec, v, decoded).equals(bytes)).toBe(true);
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(0);
  });
});
