/**
 * The one error every decoder throws for bytes that do not form a valid message: truncated input,
 * lengths past the end, negative or impossible counts, bad varints, bad record batches. The server
 * catches it and closes that connection; anything else thrown while decoding is a bug.
 */
export class ProtocolDecodeError extends Error {
  override readonly name = 'ProtocolDecodeError';
}
