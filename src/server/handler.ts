/**
 * The handler contract. One file per API under handlers/, each declaring the version range it
 * implements; that declaration is the only source of what ApiVersions advertises. Handlers are thin:
 * the request is decoded before them, they call the domain layer and build the response. Kafka
 * errors are returned as error codes in the response; a thrown exception is a bug, which the
 * dispatcher logs and answers with UNKNOWN_SERVER_ERROR.
 */
import type { ApiKey, RequestBodies, ResponseBodies } from '../protocol/generated/api-table.js';
import type { ConnectionInfo } from './connection.js';
import type { BrokerServices } from './services.js';

export interface RequestContext {
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  readonly connection: ConnectionInfo;
  readonly services: BrokerServices;
  /**
   * Has `release` called once the response has been written to the socket (or will never be): for
   * responses holding views of pooled buffers. Absent where no socket writes the response.
   */
  readonly releaseAfterWrite?: (release: () => void) => void;
}

export interface Handler<K extends ApiKey = ApiKey> {
  readonly apiKey: K;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** The response, or null when none is due (a produce with acks=0). */
  handle(request: RequestBodies[K], ctx: RequestContext): ResponseBodies[K] | null | Promise<ResponseBodies[K] | null>;
}

export function defineHandler<K extends ApiKey>(handler: Handler<K>): Handler<K> {
  if (handler.minVersion > handler.maxVersion) throw new Error(`handler for api ${handler.apiKey}: bad version range`);
  return handler;
}
