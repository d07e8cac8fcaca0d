/**
 * Frames: `size:int32 | header | body`. These functions work on one frame at a time and know the
 * header rules: request header v1 (non-flexible apis) or v2 (flexible, with tagged fields);
 * response header v0 or v1, except ApiVersions whose response header is always v0 so that a client
 * that does not yet know our versions can still read it.
 *
 * Decoding takes the frame without its size prefix (the connection strips it); encoding returns it
 * with the prefix, ready for the socket.
 */
import { ProtocolDecodeError } from './decode-error.js';
import { Reader, type TaggedField } from './reader.js';
import { Writer } from './writer.js';
import {
  API_TABLE,
  ApiKey,
  apiInfo,
  requestHeaderVersion,
  responseHeaderVersion,
  type ApiInfo,
  type RequestBodies,
  type ResponseBodies,
} from './generated/api-table.js';
import {
  decodeRequestHeader,
  decodeResponseHeader,
  encodeRequestHeader,
  encodeResponseHeader,
} from './generated/headers.js';
import { defaultApiVersionsResponse } from './generated/messages/api-versions.js';
import { ErrorCode } from './generated/errors.js';

export interface RequestHeader<K extends ApiKey = ApiKey> {
  apiKey: K;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** Tagged fields of a v2 header, kept for a byte-exact re-encode. */
  headerTaggedFields?: TaggedField[] | undefined;
}

export interface DecodedRequest<K extends ApiKey = ApiKey> extends RequestHeader<K> {
  body: RequestBodies[K];
}

export interface ResponseHeader {
  correlationId: number;
  headerTaggedFields?: TaggedField[] | undefined;
}

export interface DecodedResponse<K extends ApiKey = ApiKey> extends ResponseHeader {
  body: ResponseBodies[K];
}

/**
 * A request for an api we know in a version we do not support. Its header was readable, so the
 * caller can answer it: Kafka answers an unsupported ApiVersions with UNSUPPORTED_VERSION and its
 * version ranges in a v0 response, and closes the connection for any other api.
 */
export class UnsupportedVersionError extends ProtocolDecodeError {
  constructor(
    readonly apiKey: number,
    readonly apiVersion: number,
    readonly correlationId: number,
    readonly clientId: string | null,
  ) {
    super(`unsupported version ${apiVersion} of api ${apiKey}`);
  }
}

/** Reads just the request header, with the header version the api key and version call for. */
export function decodeRequestHeaderOnly(frame: Buffer): { header: RequestHeader; info: ApiInfo; reader: Reader } {
  if (frame.length < 8) throw new ProtocolDecodeError(`request frame of ${frame.length} bytes is too short`);
  const apiKey = frame.readInt16BE(0);
  const apiVersion = frame.readInt16BE(2);
  const info = apiInfo(apiKey);
  if (!info) throw new ProtocolDecodeError(`unknown api key ${apiKey}`);
  const reader = new Reader(frame);
  if (apiVersion < info.minVersion || apiVersion > info.maxVersion) {
    // Unsupported versions are read with the oldest header, which every version starts with.
    const h = decodeRequestHeader(reader, 1);
    throw new UnsupportedVersionError(apiKey, apiVersion, h.correlationId, h.clientId);
  }
  const h = decodeRequestHeader(reader, requestHeaderVersion(info, apiVersion));
  const header: RequestHeader = {
    apiKey: apiKey as ApiKey,
    apiVersion,
    correlationId: h.correlationId,
    clientId: h.clientId,
    headerTaggedFields: h._unknownTaggedFields,
  };
  return { header, info, reader };
}

/** Decodes a request frame (the bytes after the size prefix). Throws ProtocolDecodeError. */
export function decodeRequest(frame: Buffer): DecodedRequest {
  const { header, info, reader } = decodeRequestHeaderOnly(frame);
  const body = info.decodeRequest(reader, header.apiVersion);
  return {
    apiKey: header.apiKey,
    apiVersion: header.apiVersion,
    correlationId: header.correlationId,
    clientId: header.clientId,
    headerTaggedFields: header.headerTaggedFields,
    body,
  };
}

/** Encodes a request with its size prefix. */
export function encodeRequest<K extends ApiKey>(header: RequestHeader<K>, body: RequestBodies[K]): Buffer {
  return Buffer.concat(encodeRequestChunks(header, body));
}

export function encodeRequestChunks<K extends ApiKey>(header: RequestHeader<K>, body: RequestBodies[K]): Buffer[] {
  const info = API_TABLE[header.apiKey] as ApiInfo<K> | undefined;
  if (!info) throw new RangeError(`unknown api key ${header.apiKey}`);
  const w = new Writer();
  encodeRequestHeader(w, requestHeaderVersion(info, header.apiVersion), {
    requestApiKey: header.apiKey,
    requestApiVersion: header.apiVersion,
    correlationId: header.correlationId,
    clientId: header.clientId,
    _unknownTaggedFields: header.headerTaggedFields,
  });
  info.encodeRequest(w, header.apiVersion, body);
  return w.finish();
}

/** Decodes a response frame (after the size prefix) of a known api and version. */
export function decodeResponse<K extends ApiKey>(frame: Buffer, apiKey: K, apiVersion: number): DecodedResponse<K> {
  const info = API_TABLE[apiKey] as ApiInfo<K> | undefined;
  if (!info) throw new ProtocolDecodeError(`unknown api key ${apiKey}`);
  const r = new Reader(frame);
  const h = decodeResponseHeader(r, responseHeaderVersion(info, apiVersion));
  const body = info.decodeResponse(r, apiVersion);
  return { correlationId: h.correlationId, headerTaggedFields: h._unknownTaggedFields, body };
}

/** Encodes a response with its size prefix, as one Buffer. */
export function encodeResponse<K extends ApiKey>(
  header: ResponseHeader,
  apiKey: K,
  apiVersion: number,
  body: ResponseBodies[K],
): Buffer {
  const chunks = encodeResponseChunks(header, apiKey, apiVersion, body);
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

/**
 * Encodes a response as a list of buffers: large byte fields (record batches) are the caller's own
 * buffers, not copies, ready for a vectored socket write.
 */
export function encodeResponseChunks<K extends ApiKey>(
  header: ResponseHeader,
  apiKey: K,
  apiVersion: number,
  body: ResponseBodies[K],
): Buffer[] {
  const info = API_TABLE[apiKey] as ApiInfo<K> | undefined;
  if (!info) throw new RangeError(`unknown api key ${apiKey}`);
  const w = new Writer();
  encodeResponseHeader(w, responseHeaderVersion(info, apiVersion), {
    correlationId: header.correlationId,
    _unknownTaggedFields: header.headerTaggedFields,
  });
  info.encodeResponse(w, apiVersion, body);
  return w.finish();
}

/**
 * The answer to an ApiVersions request in a version we do not support (KIP-511): a v0 response,
 * v0 header, error UNSUPPORTED_VERSION and our version ranges, so that the client can retry with a
 * version both sides know. The request body is never parsed.
 */
export function encodeUnsupportedApiVersionsResponse(
  correlationId: number,
  apiKeys: readonly { apiKey: number; minVersion: number; maxVersion: number }[],
): Buffer {
  const body = defaultApiVersionsResponse();
  body.errorCode = ErrorCode.UnsupportedVersion;
  body.apiKeys = apiKeys.map((k) => ({ ...k, _unknownTaggedFields: undefined }));
  return encodeResponse({ correlationId }, ApiKey.ApiVersions, 0, body);
}
