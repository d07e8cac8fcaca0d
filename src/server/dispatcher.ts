/**
 * Routes a request frame to its handler by api key, checks the version against the handler's
 * declared range, and encodes the response with the header version the api calls for.
 *
 * - Bytes that do not parse, an api we do not implement, or a version outside the handler's range:
 *   throw, and the connection closes (what Kafka does).
 * - An ApiVersions request in a version we do not know: a v0 response with UNSUPPORTED_VERSION and
 *   our ranges, so the client can retry (KIP-511).
 * - A handler that throws: logged as a bug, answered with UNKNOWN_SERVER_ERROR for the whole request.
 */
import {
  decodeRequestHeaderOnly,
  encodeResponseChunks,
  encodeUnsupportedApiVersionsResponse,
  UnsupportedVersionError,
} from '../protocol/codec.js';
import { ProtocolDecodeError } from '../protocol/decode-error.js';
import { ApiKey } from '../protocol/generated/api-table.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import type { ConnectionInfo } from './connection.js';
import type { Handler, RequestContext } from './handler.js';
import type { ApiVersionRange, BrokerServices } from './services.js';
import { releaseAfterWrite, runReleases } from './release-after-write.js';

/** The version ranges ApiVersions advertises for a handler list, by api key. */
export function advertisedVersions(handlers: readonly Handler[]): ApiVersionRange[] {
  return [...handlers]
    .sort((a, b) => a.apiKey - b.apiKey)
    .map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }));
}

export class Dispatcher {
  private readonly byKey = new Map<number, Handler>();
  /** What ApiVersions advertises: exactly the registered handlers' ranges, by api key. */
  readonly apiVersions: readonly ApiVersionRange[];

  constructor(
    handlers: readonly Handler[],
    private readonly services: BrokerServices,
  ) {
    for (const h of handlers) {
      if (this.byKey.has(h.apiKey)) throw new Error(`two handlers for api ${h.apiKey}`);
      this.byKey.set(h.apiKey, h);
    }
    this.apiVersions = advertisedVersions(handlers);
  }

  readonly handleFrame = (frame: Buffer, connection: ConnectionInfo): Buffer[] | null | Promise<Buffer[] | null> => {
    let decoded: ReturnType<typeof decodeRequestHeaderOnly>;
    try {
      decoded = decodeRequestHeaderOnly(frame);
    } catch (err) {
      if (err instanceof UnsupportedVersionError && err.apiKey === ApiKey.ApiVersions) {
        return [encodeUnsupportedApiVersionsResponse(err.correlationId, this.apiVersions)];
      }
      throw err;
    }
    const { header, info, reader } = decoded;
    const handler = this.byKey.get(header.apiKey);
    if (!handler) throw new ProtocolDecodeError(`api ${info.name} (${header.apiKey}) is not implemented`);
    if (header.apiVersion < handler.minVersion || header.apiVersion > handler.maxVersion) {
      throw new UnsupportedVersionError(header.apiKey, header.apiVersion, header.correlationId, header.clientId);
    }
    const request = info.decodeRequest(reader, header.apiVersion);
    const releases: (() => void)[] = [];
    const ctx: RequestContext = {
      apiVersion: header.apiVersion,
      correlationId: header.correlationId,
      clientId: header.clientId,
      connection,
      services: this.services,
      releaseAfterWrite: (release) => releases.push(release),
    };
    const encode = (response: unknown): Buffer[] | null => {
      if (response === null) {
        runReleases(releases);
        return null;
      }
      const chunks = encodeResponseChunks({ correlationId: header.correlationId }, header.apiKey, header.apiVersion, response as never);
      for (const release of releases) releaseAfterWrite(chunks, release);
      return chunks;
    };
    const fail = (err: unknown): Buffer[] => {
      // A bug, but one a client can trigger in a loop: rate-limited per peer like the warnings it causes.
      connection.warn('handler failed', { err, api: info.name, version: header.apiVersion }, 'handler failed', 'error');
      return encode((info).errorResponse(request, ErrorCode.UnknownServerError)) as Buffer[];
    };
    let result: unknown;
    try {
      result = handler.handle(request, ctx);
    } catch (err) {
      return fail(err);
    }
    if (result instanceof Promise) return result.then(encode, fail);
    return encode(result);
  };
}
