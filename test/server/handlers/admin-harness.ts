/**
 * Drives the broker's dispatcher in-process for handler tests: a request built with our codec at
 * a chosen version goes through the real request decoding, the handler and the response encoding,
 * and comes back decoded as a client would read it, with no socket. A handler that throws would be
 * masked by the dispatcher as UNKNOWN_SERVER_ERROR, so the broker's error log is captured and
 * `call` fails the test when anything was logged at error level.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Broker, type BrokerOptions } from '../../../src/broker.js';
import { decodeResponse, encodeRequest } from '../../../src/protocol/codec.js';
import type { ApiKey, RequestBodies, ResponseBodies } from '../../../src/protocol/generated/api-table.js';
import { Dispatcher } from '../../../src/server/dispatcher.js';
import { HANDLERS } from '../../../src/server/handlers/index.js';
import type { BrokerServices } from '../../../src/server/services.js';

export interface AdminHarness {
  broker: Broker;
  call<K extends ApiKey>(apiKey: K, version: number, body: RequestBodies[K]): Promise<ResponseBodies[K]>;
  stop(): Promise<void>;
}

/** `services`: replaces some of the broker's services for the handlers (fakes of what a test watches). */
export async function startHarness(options: BrokerOptions = {}, services: Partial<BrokerServices> = {}): Promise<AdminHarness> {
  const errors: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      errors.push(chunk.toString());
      done();
    },
  });
  const broker = await Broker.start({ port: 0, logger: pino({ level: 'error' }, sink), ...options });
  const dispatcher = new Dispatcher(HANDLERS, Object.keys(services).length === 0 ? broker.services : { ...broker.services, ...services });
  let correlationId = 1;
  return {
    broker,
    async call(apiKey, version, body) {
      const id = correlationId++;
      const frame = encodeRequest({ apiKey, apiVersion: version, correlationId: id, clientId: 'harness' }, body).subarray(4);
      const out = await dispatcher.handleFrame(frame, { id: 1, remoteAddress: 'test:1', closeAfterPendingResponses: () => {}, warn: () => {} });
      if (errors.length > 0) throw new Error(`the broker logged an error: ${errors.join('\n')}`);
      if (out === null) throw new Error('no response');
      const response = decodeResponse(Buffer.concat(out).subarray(4), apiKey, version);
      if (response.correlationId !== id) throw new Error('correlation id mismatch');
      return response.body;
    },
    stop: () => broker.stop(),
  };
}
