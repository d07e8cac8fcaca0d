/**
 * Every advertised api, in every advertised version, sent with its default request (empty strings,
 * zero ids, empty lists, null where nullable): the edge values a handler most easily trips on. Each
 * must be answered with a response that decodes (or, for acks=0 Produce, with none), never crash
 * the broker or close the connection.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Broker } from '../../src/broker.js';
import { API_TABLE, ApiKey } from '../../src/protocol/generated/api-table.js';
import * as messages from '../../src/protocol/generated/index.js';
import { HANDLERS } from '../../src/server/handlers/index.js';
import { WireClient } from '../helpers/wire-client.js';

let broker: Broker;

beforeAll(async () => {
  broker = await Broker.start({ port: 0, storage: 'memory' });
});

afterAll(async () => {
  await broker.stop();
});

const cases = HANDLERS.flatMap((h) => {
  const name = API_TABLE[h.apiKey as ApiKey].name;
  return Array.from({ length: h.maxVersion - h.minVersion + 1 }, (_, i) => [name, h.minVersion + i, h.apiKey] as const);
});

it.each(cases)('%s v%i: a default request is answered', async (name, version, apiKey) => {
  const make = (messages as unknown as Record<string, () => unknown>)[`default${name}Request`];
  expect(make).toBeInstanceOf(Function);
  const body = make!() as never;
  if (apiKey === ApiKey.Produce) (body as { acks: number }).acks = 1; // acks=0 has no answer
  const client = await WireClient.connect(broker.port);
  try {
    const response = await client.send(apiKey as ApiKey, version, body);
    expect(response).toBeDefined();
  } finally {
    client.close();
  }
});
