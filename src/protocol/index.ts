/**
 * gregor/protocol: Gregor's Kafka wire-protocol codec, usable on its own by client authors and tools.
 * Frames, every request and response type in every version, the api and error tables, the
 * primitives, and the record batch helpers.
 */
export {
  decodeRequest,
  decodeRequestHeaderOnly,
  decodeResponse,
  encodeRequest,
  encodeRequestChunks,
  encodeResponse,
  encodeResponseChunks,
  encodeUnsupportedApiVersionsResponse,
  UnsupportedVersionError,
  type DecodedRequest,
  type DecodedResponse,
  type RequestHeader,
  type ResponseHeader,
} from './codec.js';
export { ProtocolDecodeError } from './decode-error.js';
export { Reader, ZERO_UUID, type TaggedField } from './reader.js';
export { Writer } from './writer.js';
// Varints are read through Reader; these size and write them into a caller's buffer.
export {
  sizeOfUnsignedVarint,
  sizeOfVarint,
  sizeOfVarlong,
  writeUnsignedVarint,
  writeVarint,
  writeVarlong,
} from './varint.js';
export * from './generated/index.js';
export * from './records/index.js';
