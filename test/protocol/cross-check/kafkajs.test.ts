/**
 * Our codec against KafkaJS 2.2.4, an independent implementation, for every (api, version) KafkaJS
 * can encode (node_modules/kafkajs/src/protocol/requests/<api>/v<N>/).
 *
 * Requests: KafkaJS builds the request with v<N>/request.js and frames it with
 * src/protocol/request.js (size, api key, version, correlation id, client id: request header v1),
 * exactly as network/connection.js does before `socket.write(requestPayload.buffer)`. Our
 * decodeRequest must read back every value we gave KafkaJS, and encodeRequest must give back the
 * same bytes.
 *
 * Responses: we encode a body with encodeResponse; KafkaJS's connection strips the size and the
 * correlation id (response header v0: KafkaJS uses no flexible version) and hands the rest to
 * v<N>/response.js `decode`, whose result must match our values under KafkaJS's names, and which
 * must read the payload to its last byte (KafkaJS does not check that itself: its Decoder is
 * instrumented below). `parse` (which throws on error codes) is then run too: when it throws, the
 * error must carry one of the error codes we sent.
 *
 * KafkaJS has no flexible version, so no tagged field is exercised here (see platformatic.test.ts
 * and the golden tests).
 *
 * Pairs KafkaJS can encode that are not cross-checked here (see kafkajs-cases.ts):
 * - AlterPartitionReassignments v0 (api 45), ListPartitionReassignments v0 (api 46): not Gregor
 *   apis, no schema to check them against.
 * Every other KafkaJS pair (108) is checked in both directions; coverage.test.ts fails if one is
 * missing.
 */
import { describe, expect, it } from '@jest/globals';
import { decodeRequest } from '../../../src/protocol/codec.js';
import { apiName, checkRequest, ourResponse, requireCjs, unframe, type Partial$ } from './helpers.js';
import { prepareKafkaJsCases, type KjsCase } from './kafkajs-cases.js';

const CLIENT_ID = 'gregor-xcheck/kafkajs';
const createRequest = requireCjs('kafkajs/src/protocol/request') as (o: any) => Promise<{ buffer: Buffer }>;

const CASES: KjsCase[] = await prepareKafkaJsCases();

// KafkaJS's decode does not check that it read the whole payload. To catch a field we write that a
// version does not have (or one we leave out) at the end of a body, every Decoder method records how
// far it got in the payload under test.
const Decoder = requireCjs('kafkajs/src/protocol/decoder') as { prototype: Record<string, any> };
const tracked: { buffer: Buffer | null; end: number } = { buffer: null, end: 0 };
for (const name of Object.getOwnPropertyNames(Decoder.prototype)) {
  const original = Decoder.prototype[name];
  if (name === 'constructor' || typeof original !== 'function') continue;
  Decoder.prototype[name] = function (this: { buffer: Buffer; offset: number }, ...args: unknown[]) {
    const result = original.apply(this, args);
    if (this.buffer === tracked.buffer) tracked.end = Math.max(tracked.end, this.offset);
    return result;
  };
}

const correlationIdOf = (c: KjsCase): number => 0x4b000000 + c.api * 100 + c.version;

/** Every non-zero error code in a response body (fields named errorCode or ...ErrorCode). */
function errorCodesIn(value: unknown, out = new Set<number>()): Set<number> {
  if (Array.isArray(value)) value.forEach((v) => errorCodesIn(v, out));
  else if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (/errorcode$/i.test(k) && typeof v === 'number' && v !== 0) out.add(v);
      else errorCodesIn(v, out);
    }
  }
  return out;
}

/** Error codes a KafkaJS error carries, aggregated errors included. */
function codesOfError(e: unknown): number[] {
  const err = e as Partial$ | null | undefined;
  const codes: number[] = [];
  if (typeof err?.code === 'number') codes.push(err.code);
  for (const inner of err?.errors ?? []) codes.push(...codesOfError(inner));
  for (const p of err?.partitions ?? []) codes.push(...codesOfError(p.error));
  return codes;
}

function requestModule(c: KjsCase): (args: unknown) => { apiKey: number; apiVersion: number } {
  return requireCjs(`kafkajs/src/protocol/requests/${c.dir}/v${c.version}/request.js`);
}

function responseModule(c: KjsCase): { decode: (b: Buffer) => Promise<unknown>; parse: (d: unknown) => Promise<unknown> } {
  const mod = requireCjs(`kafkajs/src/protocol/requests/${c.dir}/v${c.version}/response.js`);
  return typeof mod === 'function' ? mod(c.responseFactoryArgs) : mod;
}

describe('KafkaJS 2.2.4 cross-check', () => {
  describe.each(CASES.map((c) => [`${apiName(c.api)} v${c.version}`, c] as const))('%s', (_name, c) => {
    it('request: KafkaJS bytes decode to the values given to KafkaJS and re-encode identically', async () => {
      const request = requestModule(c)(c.args);
      expect(request.apiKey).toBe(c.api);
      expect(request.apiVersion).toBe(c.version);
      const correlationId = correlationIdOf(c);
      const bytes = Buffer.from((await createRequest({ request, correlationId, clientId: CLIENT_ID })).buffer);
      checkRequest(bytes, { apiKey: c.api, apiVersion: c.version, correlationId, clientId: CLIENT_ID }, c.request);
      c.verifyRequest?.(decodeRequest(unframe(bytes)).body);
    });

    it('response: our bytes decode in KafkaJS to our values', async () => {
      const correlationId = correlationIdOf(c);
      const bytes = ourResponse(c.api, c.version, correlationId, c.response);
      // network/connection.js: size, then correlation id, then the payload handed to decode.
      expect(unframe(bytes).readInt32BE(0)).toBe(correlationId);
      const payload = bytes.subarray(8);
      const { decode, parse } = responseModule(c);
      tracked.buffer = payload;
      tracked.end = 0;
      const decoded = await decode(payload);
      tracked.buffer = null;
      expect(c.normalize ? c.normalize(decoded) : decoded).toEqual(c.decoded);
      // KafkaJS read exactly our bytes: nothing left over, nothing missing.
      expect(tracked.end).toBe(payload.length);

      let parseError: unknown;
      try {
        await parse(decoded);
      } catch (e) {
        parseError = e;
      }
      if (parseError !== undefined) {
        const sent = errorCodesIn(c.response);
        const got = codesOfError(parseError);
        expect(got.length).toBeGreaterThan(0);
        for (const code of got) expect(sent).toContain(code);
      }
    });
  });
});
