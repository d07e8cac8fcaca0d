/**
 * Our codec against @platformatic/kafka 1.35, an independent implementation, for every (api,
 * version) it can encode (node_modules/@platformatic/kafka/dist/apis/<group>/<api>-v<N>.js) that is
 * a Gregor api.
 *
 * Each case makes one real round trip through the library's network code (platformatic-harness.ts):
 * its Connection writes the request to a local TCP server (header framing in Connection.send, with
 * the request header v2 tag section for flexible versions, v1 otherwise), we decode the received
 * bytes with decodeRequest and check every value given to createRequest, and re-encode them with
 * encodeRequest to the same bytes. The server answers with a body we encode with encodeResponse;
 * the library reads it (size, correlation id, header tag section) and parses it with the api's
 * parseResponse, whose result must equal our values. parseResponse throws a ResponseError on error
 * codes; the parsed response it carries is what is compared then. parseResponse is also run on a
 * Reader we hold, to check that it read the body to the end (a flexible body's top-level tag
 * section excepted: the library never reads it).
 *
 * Pairs not (fully) cross-checked, all because of library bugs (details in platformatic-cases.ts):
 * - ListTransactions v2 response: list-transactions-v2 parseResponse reads an errorMessage field
 *   ListTransactionsResponse v2 does not have. The test asserts the library still misreads it; the
 *   request is checked normally.
 * - Partly: ConsumerGroupDescribe v0 response without members (the parser misreads member fields);
 *   DescribeConfigs v2 response without config entries (the parser reads v3-only fields); nested
 *   tagged fields in responses are left at their defaults (Reader.readTaggedFields misreads a
 *   non-empty tag section).
 * - Requests the library encodes wrongly, checked after removing the stray bytes (the fix asserts
 *   their value): Metadata v11 (a v8-10-only boolean), DescribeConfigs v2 (a v3+ boolean).
 * - Fetch v12 forgotten topics: the library writes them as uuids where v12 has names, so v12 is
 *   checked with an empty list.
 * - OffsetForLeaderEpoch v4 response: the parser reads partition before errorCode; the expectation
 *   is the value the library must read from Kafka's layout (see the case).
 * - Metadata v9-11 responses: the parser ends by reading cluster_authorized_operations (int32, v8-10
 *   only) as a boolean; the unread-bytes check allows for it (see the case).
 * - Not Gregor apis (no schema): see PLATFORMATIC_NOT_OURS in platformatic-cases.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as plt from '@platformatic/kafka';
import { inVersions } from '../../../scripts/protocol-schema.js';
import { decodeRequest } from '../../../src/protocol/codec.js';
import { apiName, checkRequest, ourResponse, ROOT, schemaOf, unframe, type Partial$ } from './helpers.js';
import { platformaticCases, pltApiModule, type PltCase } from './platformatic-cases.js';
import { PlatformaticHarness, type PltApi, type RoundTrip } from './platformatic-harness.js';

const CLIENT_ID = 'gregor-xcheck/platformatic';
const CASES = platformaticCases();
const harness = new PlatformaticHarness(CLIENT_ID);

beforeAll(() => harness.start());
afterAll(() => harness.stop());

const normalized = (c: PltCase, result: unknown): unknown => (c.normalize && result !== undefined ? c.normalize(result) : result);

/** jest's toEqual as a boolean. */
function equals(a: unknown, b: unknown): boolean {
  try {
    expect(a).toEqual(b);
    return true;
  } catch {
    return false;
  }
}

/** The createAPI flags of an api file: whether its request and response headers have a tag section. */
function headerFlags(c: PltCase): { requestTags: boolean; responseTags: boolean } {
  const text = readFileSync(join(ROOT, 'node_modules', '@platformatic', 'kafka', 'dist', 'apis', `${c.file}.js`), 'utf8');
  const m = /createAPI\((\d+),\s*(\d+),\s*createRequest,\s*parseResponse(?:,\s*(true|false))?(?:,\s*(true|false))?\)/.exec(text);
  expect(m).not.toBeNull();
  return { requestTags: m![3] !== 'false', responseTags: m![4] !== 'false' };
}

/** parseResponse on our bytes, as Connection.#onData hands them over; returns what it left unread. */
function parseDirectly(c: PltCase): { result: unknown; remaining: number } {
  const bytes = ourResponse(c.api, c.version, 0x504c54, c.response);
  const skip = 4 + 4 + (headerFlags(c).responseTags ? 1 : 0);
  const reader = plt.Reader.from(bytes.subarray(skip));
  const name = c.file.split('/')[1].replace(/-v\d+$/, '');
  const parse = pltApiModule(name, c.version).parseResponse as (id: number, k: number, v: number, r: unknown) => unknown;
  let result: unknown;
  try {
    result = parse(0x504c54, c.api, c.version, reader);
  } catch (e) {
    expect((e as Partial$).code).toBe('PLT_KFK_RESPONSE');
    result = (e as Partial$).response;
  }
  return { result, remaining: reader.remaining };
}

/** Bytes parseResponse must leave: the top-level tag section of a flexible body, plus unreadTail. */
function expectedUnread(c: PltCase): number {
  const msg = schemaOf(c.api, 'response');
  if (!inVersions(msg.flexibleVersions, c.version)) return c.unreadTail ?? 0;
  const tagged = msg.fields.filter((f) => f.tag !== undefined && inVersions(f.taggedVersions, c.version)).map((f) => f.name);
  const without = Object.fromEntries(Object.entries(c.response).filter(([k]) => !tagged.includes(k)));
  const tagBytes = ourResponse(c.api, c.version, 1, c.response).length - ourResponse(c.api, c.version, 1, without).length;
  return 1 + tagBytes + (c.unreadTail ?? 0);
}

const trips = new Map<PltCase, Promise<RoundTrip>>();

/** One round trip per case, shared by its request and response tests. */
function roundTrip(c: PltCase): Promise<RoundTrip> {
  let trip = trips.get(c);
  if (!trip) {
    const name = c.file.split('/')[1].replace(/-v\d+$/, '');
    const mod = pltApiModule(name, c.version);
    const api = mod.api as PltApi;
    expect(api.key).toBe(c.api);
    expect(api.version).toBe(c.version);
    trip = harness.call(api, c.args, (correlationId) => ourResponse(c.api, c.version, correlationId, c.response));
    trips.set(c, trip);
  }
  return trip;
}

describe('@platformatic/kafka 1.35 cross-check', () => {
  describe.each(CASES.map((c) => [`${apiName(c.api)} v${c.version} (${c.file})`, c] as const))('%s', (_name, c) => {
    it('request: the bytes the library writes decode to the values given to it and re-encode identically', async () => {
      const { bytes: sent } = await roundTrip(c);
      const bytes = c.fixRequest ? c.fixRequest(sent) : sent;
      const correlationId = bytes.readInt32BE(8);
      checkRequest(bytes, { apiKey: c.api, apiVersion: c.version, correlationId, clientId: CLIENT_ID }, c.request);
      c.verifyRequest?.(decodeRequest(unframe(bytes)).body);
    });

    it(
      c.responseNotCheckable
        ? `response: NOT CROSS-CHECKED, library bug still present: ${c.responseNotCheckable}`
        : 'response: our bytes parse in the library to our values',
      async () => {
        const { result, error } = await roundTrip(c);
        const failed = error !== undefined && error !== null;
        if (c.responseNotCheckable) {
          // The library fails to parse, or parses to other values. When this starts failing, the
          // library is fixed: make the case a normal check.
          const parsedRight = !failed || (error as Partial$).code === 'PLT_KFK_RESPONSE' ? equals(normalized(c, result), c.parsed) : false;
          expect(parsedRight).toBe(false);
          return;
        }
        if (failed) {
          // Only a ResponseError (error codes in the body) is expected; anything else is a failed parse.
          expect((error as Partial$).code).toBe('PLT_KFK_RESPONSE');
          expect((error as Partial$).response).toBeDefined();
        }
        expect(normalized(c, result)).toEqual(c.parsed);

        // parseResponse does not check that it read the whole body. Run it once more on a Reader we
        // hold, over the bytes Connection would give it, and check what it left: nothing in a
        // non-flexible version; in a flexible one, the top-level tag section, which it never reads
        // (plus, per case, tag sections of trailing structs it skips: see unreadTail).
        const direct = parseDirectly(c);
        expect(normalized(c, direct.result)).toEqual(c.parsed);
        expect(direct.remaining).toBe(expectedUnread(c));
      },
    );
  });
});
