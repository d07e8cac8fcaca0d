/**
 * For every advertised api in every version: the default request (empty strings, zero ids, empty
 * lists: the edge values a handler most easily trips on), then requests that parse but carry random
 * values (negative counts and ids, odd strings, nulls where allowed, bytes that are not record
 * batches, unknown tagged fields), built from the schema. Each must be answered without a handler
 * failing (a handler that throws is logged and answered UNKNOWN_SERVER_ERROR, which the error log
 * check catches), and the broker must keep serving.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseSchemaFile, type MessageDef } from '../../scripts/protocol-schema.js';
import { Broker } from '../../src/broker.js';
import { ApiKey } from '../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../src/protocol/generated/errors.js';
import * as messages from '../../src/protocol/generated/index.js';
import { defaultApiVersionsRequest } from '../../src/protocol/generated/messages/api-versions.js';
import { HANDLERS } from '../../src/server/handlers/index.js';
import { WireClient } from '../helpers/wire-client.js';
import { Random, randomStruct } from '../protocol/schema-values.js';

// import.meta.dirname arrived in Node 20.11; the package runs on any Node 20.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..');
const requests = new Map<number, MessageDef>();
for (const f of readdirSync(join(root, 'protocol', 'messages')).filter((n) => n.endsWith('.msg'))) {
  for (const m of parseSchemaFile(join(root, 'protocol', 'messages', f))) if (m.kind === 'request') requests.set(m.apiKey, m);
}

const PER_VERSION = 4;

let broker: Broker;
/** Error lines the broker logged: a handler that threw logs 'handler failed'. */
const errors: string[] = [];
beforeAll(async () => {
  const logger = pino({ level: 'error' }, { write: (line: string) => void errors.push(line) });
  // No initial rebalance delay: a random JoinGroup that starts a group is answered at once.
  broker = await Broker.start({ port: 0, storage: 'memory', logger, config: { 'group.initial.rebalance.delay.ms': 0 } });
});
afterAll(async () => {
  await broker.stop();
});

/** Values that would make the broker wait rather than answer: kept within what a test can wait for. */
function bounded(apiKey: number, body: Record<string, unknown>, rnd: Random): void {
  if (apiKey === ApiKey.Produce && body.acks === 0) body.acks = -1; // acks=0 is not answered
  if (apiKey === ApiKey.Fetch) body.maxWaitMs = rnd.int(0, 50);
  if (apiKey === ApiKey.JoinGroup) body.rebalanceTimeoutMs = rnd.int(-1, 100);
}

const cases = HANDLERS.flatMap((h) => Array.from({ length: h.maxVersion - h.minVersion + 1 }, (_, i) => [requests.get(h.apiKey)!.name, h.minVersion + i, h.apiKey] as const));

it.each(cases)('%s v%i: the default request and random ones are answered', async (_name, version, apiKey) => {
  const def = requests.get(apiKey)!;
  const client = await WireClient.connect(broker.port);
  try {
    for (let seed = 0; seed <= PER_VERSION; seed++) {
      const rnd = new Random(apiKey * 1000 + version * 10 + seed);
      const body = seed === 0 ? (messages as unknown as Record<string, () => Record<string, unknown>>)[`default${def.name}`]() : randomStruct(rnd, def.fields, def, version);
      bounded(apiKey, body, rnd);
      await expect(client.send(apiKey, version, body as never)).resolves.toBeDefined();
    }
  } finally {
    client.close();
  }
});

it('no handler threw, and afterwards the broker still serves', async () => {
  expect(errors).toEqual([]);
  const client = await WireClient.connect(broker.port);
  expect((await client.send(ApiKey.ApiVersions, 3, defaultApiVersionsRequest())).errorCode).toBe(ErrorCode.None);
  client.close();
});
