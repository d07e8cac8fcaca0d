/**
 * Shared machinery of the cross-check tests: our schema as a value builder (fill defaults, reject
 * unknown keys) and as a version filter (keep only the fields a version puts on the wire), byte
 * comparison with a readable diff, and the checks every library case runs against our codec.
 *
 * The libraries' own framing lives in the test files (KafkaJS) and in platformatic-harness.ts.
 */
import { expect } from '@jest/globals';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { inVersions, loadProtocol, type FieldDef, type MessageDef } from '../../../scripts/protocol-schema.js';
import { decodeRequest, encodeRequest, decodeResponse, encodeResponse } from '../../../src/protocol/codec.js';
import type { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { RecordBatchView, splitBatches } from '../../../src/protocol/records/record-batch.js';
import { defaultStruct } from '../schema-values.js';

export const ROOT = join(new URL('.', import.meta.url).pathname, '..', '..', '..');
export const requireCjs = createRequire(import.meta.url);

const MESSAGES = loadProtocol(join(ROOT, 'protocol')).filter((m) => m.kind === 'request' || m.kind === 'response');

export type Kind = 'request' | 'response';

export function schemaOf(apiKey: number, kind: Kind): MessageDef {
  const m = MESSAGES.find((x) => x.apiKey === apiKey && x.kind === kind);
  if (!m) throw new Error(`no ${kind} schema for api ${apiKey}`);
  return m;
}

/** Our api name for a key (Produce, Fetch, ...). */
export function apiName(apiKey: number): string {
  return schemaOf(apiKey, 'request').name.replace(/Request$/, '');
}

/** A loose description of a message value: any subset of its fields, nested the same way. */
export type Partial$ = Record<string, any>;

function fillFields(fields: FieldDef[], msg: MessageDef, partial: Partial$, path: string): Record<string, unknown> {
  const out = defaultStruct(fields, msg);
  for (const key of Object.keys(partial)) {
    if (key === '_unknownTaggedFields') {
      out[key] = partial[key];
      continue;
    }
    const f = fields.find((x) => x.name === key);
    if (!f) throw new Error(`${msg.name}${path}: no field "${key}" in our schema`);
    const v = partial[key];
    if (f.isStruct && f.isArray && Array.isArray(v)) {
      out[key] = v.map((e: Partial$, i: number) => fillFields(f.fields, msg, e, `${path}.${key}[${i}]`));
    } else if (f.isStruct && !f.isArray && v !== null && typeof v === 'object') {
      out[key] = fillFields(f.fields, msg, v, `${path}.${key}`);
    } else {
      out[key] = v;
    }
  }
  return out;
}

/** A complete body: the given fields, every other field at its schema default. Unknown keys throw. */
export function build(apiKey: number, kind: Kind, partial: Partial$): Partial$ {
  const msg = schemaOf(apiKey, kind);
  return fillFields(msg.fields, msg, partial, '');
}

function projectFields(fields: FieldDef[], v: number, value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    if (!inVersions(f.versions, v)) continue;
    const x = value[f.name];
    if (f.isStruct && f.isArray && Array.isArray(x)) {
      out[f.name] = x.map((e) => projectFields(f.fields, v, e as Record<string, unknown>));
    } else if (f.isStruct && !f.isArray && x !== null && typeof x === 'object') {
      out[f.name] = projectFields(f.fields, v, x as Record<string, unknown>);
    } else {
      out[f.name] = x;
    }
  }
  return out;
}

/** The fields of `value` that version `v` carries on the wire (tagged ones included), recursively. */
export function project(apiKey: number, kind: Kind, v: number, value: unknown): Record<string, unknown> {
  const msg = schemaOf(apiKey, kind);
  return projectFields(msg.fields, v, value as Record<string, unknown>);
}

/** Hex, 32 bytes a line, so that a jest diff points at the differing line. */
export function hexLines(buf: Buffer): string {
  const lines: string[] = [];
  for (let i = 0; i < buf.length; i += 32) {
    const chunk = buf.subarray(i, i + 32).toString('hex').replace(/(..)(?!$)/g, '$1 ');
    lines.push(`${i.toString().padStart(5, '0')}: ${chunk}`);
  }
  return lines.join('\n');
}

/** Asserts byte equality; on failure jest shows a line diff of the hex dumps. */
export function expectSameBytes(actual: Buffer, expected: Buffer): void {
  if (!actual.equals(expected)) expect(hexLines(actual)).toBe(hexLines(expected));
}

/** The frame without its 4-byte size prefix, after checking that the prefix is right. */
export function unframe(withSize: Buffer): Buffer {
  expect(withSize.readInt32BE(0)).toBe(withSize.length - 4);
  return withSize.subarray(4);
}

export interface ExpectedRequestHeader {
  apiKey: ApiKey;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/**
 * The request check every case runs: `bytes` (size prefix included, as written to the socket)
 * decodes to `header` and to `body` (a partial: missing fields must be at their defaults), and our
 * encoder gives back the same bytes.
 */
export function checkRequest(bytes: Buffer, header: ExpectedRequestHeader, body: Partial$): void {
  const frame = unframe(bytes);
  const decoded = decodeRequest(frame);
  expect({
    apiKey: decoded.apiKey,
    apiVersion: decoded.apiVersion,
    correlationId: decoded.correlationId,
    clientId: decoded.clientId,
  }).toEqual(header);
  const v = header.apiVersion;
  expect(project(header.apiKey, 'request', v, decoded.body)).toEqual(
    project(header.apiKey, 'request', v, build(header.apiKey, 'request', body)),
  );
  const again = encodeRequest(
    {
      apiKey: decoded.apiKey,
      apiVersion: decoded.apiVersion,
      correlationId: decoded.correlationId,
      clientId: decoded.clientId,
      headerTaggedFields: decoded.headerTaggedFields,
    },
    decoded.body as never,
  );
  expectSameBytes(again, bytes);
}

/** Our response bytes (size prefix included) for a partial body, checked to decode back to itself. */
export function ourResponse(apiKey: ApiKey, v: number, correlationId: number, partial: Partial$): Buffer {
  const body = build(apiKey, 'response', partial);
  const bytes = encodeResponse({ correlationId }, apiKey, v, body as never);
  const back = decodeResponse(unframe(bytes), apiKey, v);
  expect(back.correlationId).toBe(correlationId);
  expect(project(apiKey, 'response', v, back.body)).toEqual(project(apiKey, 'response', v, body));
  return bytes;
}

/** A uuid string from a short seed, so that test data stays readable. */
export function uuid(seed: number): string {
  const hex = (seed >>> 0).toString(16).padStart(8, '0');
  return `${hex}-1234-4abc-8def-${hex}0123`;
}

/** Every (library, api, version) pair a test file checks, for the coverage test. */
export interface Pair {
  api: number;
  version: number;
}

export function pairKey(p: Pair): string {
  return `${apiName(p.api)} v${p.version}`;
}

/** One record as the tests compare it: strings for key, value and header values. */
export interface PlainRecord {
  key: string | null;
  value: string | null;
  timestamp?: bigint;
  headers?: Record<string, string>;
}

/**
 * The records of a produce `records` field, read with our record-batch code (magic 2) or, for the
 * legacy message sets KafkaJS writes below Produce v3, with a small reader of magic 0/1 messages.
 * Also returns each batch's producer fields.
 */
export function readRecords(buf: Buffer): {
  magic: number;
  records: PlainRecord[];
  batches: { producerId: bigint; producerEpoch: number; baseSequence: number; transactional: boolean; compression: number }[];
} {
  const out: PlainRecord[] = [];
  const batches: { producerId: bigint; producerEpoch: number; baseSequence: number; transactional: boolean; compression: number }[] = [];
  let magic = -1;
  for (const entry of splitBatches(buf)) {
    magic = entry.magic;
    if (entry.magic === 2) {
      const view = new RecordBatchView(buf, entry.start, entry.end);
      expect(view.verifyCrc()).toBe(true);
      batches.push({
        producerId: view.producerId,
        producerEpoch: view.producerEpoch,
        baseSequence: view.baseSequence,
        transactional: view.isTransactional,
        compression: view.compression,
      });
      for (const r of view.readRecords()) {
        out.push({
          key: r.key === null ? null : r.key.toString(),
          value: r.value === null ? null : r.value.toString(),
          timestamp: r.timestamp,
          headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value === null ? '' : h.value.toString()])),
        });
      }
    } else {
      // offset int64 | size int32 | crc int32 | magic int8 | attributes int8 | [timestamp int64] | key | value
      let p = entry.start + 12 + 4;
      const m = buf.readInt8(p);
      p += 2;
      let timestamp: bigint | undefined;
      if (m === 1) {
        timestamp = buf.readBigInt64BE(p);
        p += 8;
      }
      const klen = buf.readInt32BE(p);
      p += 4;
      const key = klen < 0 ? null : buf.subarray(p, p + klen).toString();
      p += Math.max(klen, 0);
      const vlen = buf.readInt32BE(p);
      p += 4;
      const value = vlen < 0 ? null : buf.subarray(p, p + vlen).toString();
      out.push(timestamp === undefined ? { key, value } : { key, value, timestamp });
    }
  }
  return { magic, records: out, batches };
}
