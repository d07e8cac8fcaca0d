/**
 * gzip (Kafka attribute code 1): a gzip member (RFC 1952) around deflate, as java.util.zip's
 * GZIPOutputStream writes and GZIPInputStream reads. Node's zlib does both; decompression is bounded
 * with zlib's `maxOutputLength`, which stops inflating once the output would pass the bound, so a
 * small hostile input never grows into a large allocation.
 */
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import { ProtocolDecodeError } from '../../decode-error.js';

const gzipAsync = promisify(zlib.gzip);
const gunzipAsync = promisify(zlib.gunzip);

/**
 * Inflate large inputs in 64 KiB steps (fewer native round trips); small ones keep zlib's 16 KiB
 * default, so a small batch does not hold on to a mostly empty 64 KiB chunk.
 */
function chunkSize(data: Buffer): number {
  return data.length >= 16 * 1024 ? 64 * 1024 : zlib.constants.Z_DEFAULT_CHUNK;
}

export function gzipCompress(data: Buffer): Buffer {
  return zlib.gzipSync(data);
}

export function gzipCompressAsync(data: Buffer): Promise<Buffer> {
  return gzipAsync(data);
}

/** Inflates `data`; throws ProtocolDecodeError if it is not valid gzip or inflates past `maxBytes`. */
export function gzipDecompress(data: Buffer, maxBytes: number): Buffer {
  let out: Buffer;
  try {
    out = zlib.gunzipSync(data, { maxOutputLength: Math.max(1, maxBytes), chunkSize: chunkSize(data) });
  } catch (err) {
    throw translate(err, maxBytes);
  }
  return checkBound(out, maxBytes);
}

/** As gzipDecompress, inflating on the libuv thread pool. */
export async function gzipDecompressAsync(data: Buffer, maxBytes: number): Promise<Buffer> {
  let out: Buffer;
  try {
    out = await gunzipAsync(data, { maxOutputLength: Math.max(1, maxBytes), chunkSize: chunkSize(data) });
  } catch (err) {
    throw translate(err, maxBytes);
  }
  return checkBound(out, maxBytes);
}

function checkBound(out: Buffer, maxBytes: number): Buffer {
  // maxOutputLength must be at least 1, so a bound of 0 is checked here.
  if (out.length > maxBytes) throw new ProtocolDecodeError(`gzip data inflates past ${maxBytes} bytes`);
  return out;
}

function translate(err: unknown, maxBytes: number): ProtocolDecodeError {
  const code = (err as { code?: unknown }).code;
  if (code === 'ERR_BUFFER_TOO_LARGE') {
    return new ProtocolDecodeError(`gzip data inflates past ${maxBytes} bytes`);
  }
  return new ProtocolDecodeError(`invalid gzip data: ${(err as Error).message}`);
}
