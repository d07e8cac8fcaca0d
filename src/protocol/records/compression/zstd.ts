/**
 * zstd (Kafka attribute code 4, KIP-110; only in record batch v2, Produce v7+ and Fetch v10+).
 * Compression writes a single zstd frame at the default level (3, as Kafka's default
 * compression.zstd.level), with the content size in the frame header.
 *
 * Decompression never allocates more than `maxBytes` of output:
 * - when every frame declares its content size (librdkafka, our writer), the total is checked against
 *   `maxBytes` and the output is allocated once at its exact size;
 * - otherwise (the Java client's ZstdOutputStream writes frames without a content size) the frames are
 *   streamed into an output that grows by doubling up to `maxBytes`; one more byte of output than
 *   that throws ProtocolDecodeError.
 * zstd's own window limit (windowLogMax 27, 128 MiB) bounds the decoder's internal window.
 */
import zstdBinding from 'zstd-napi/binding.js';
import { ProtocolDecodeError } from '../../decode-error.js';

/** Kafka's default zstd level. */
export const ZSTD_DEFAULT_LEVEL = 3;

let cctx: InstanceType<typeof zstdBinding.CCtx> | undefined;
let dctx: InstanceType<typeof zstdBinding.DCtx> | undefined;

export function zstdCompress(data: Buffer, level = ZSTD_DEFAULT_LEVEL): Buffer {
  cctx ??= new zstdBinding.CCtx();
  const out = Buffer.allocUnsafe(zstdBinding.compressBound(data.length));
  const n = cctx.compress(out, data, level);
  if (out.length - n > Math.max(4096, n >>> 2)) return Buffer.from(out.subarray(0, n));
  return out.subarray(0, n);
}

/** Decompresses one or more zstd frames; throws ProtocolDecodeError if invalid or past `maxBytes`. */
export function zstdDecompress(data: Buffer, maxBytes: number): Buffer {
  dctx ??= new zstdBinding.DCtx();
  let known: number | null;
  try {
    known = totalContentSize(data, maxBytes);
  } catch (err) {
    if (err instanceof ProtocolDecodeError) throw err;
    throw new ProtocolDecodeError(`invalid zstd data: ${(err as Error).message}`);
  }
  try {
    if (known !== null) {
      const out = Buffer.allocUnsafe(known);
      const n = dctx.decompress(out, data);
      if (n !== known) throw new ProtocolDecodeError(`zstd frames declare ${known} bytes but hold ${n}`);
      return out;
    }
    return streamDecompress(dctx, data, maxBytes);
  } catch (err) {
    dctx.reset(zstdBinding.ResetDirective.sessionOnly);
    if (err instanceof ProtocolDecodeError) throw err;
    throw new ProtocolDecodeError(`invalid zstd data: ${(err as Error).message}`);
  }
}

/**
 * Sum of the declared content sizes of all frames, or null if some frame does not declare it.
 * Throws ProtocolDecodeError as soon as the declared sizes pass maxBytes.
 */
function totalContentSize(data: Buffer, maxBytes: number): number | null {
  if (data.length === 0) throw new ProtocolDecodeError('empty zstd input');
  let total = 0;
  let pos = 0;
  while (pos < data.length) {
    const frame = data.subarray(pos);
    const size = zstdBinding.getFrameContentSize(frame);
    if (size === null) return null;
    total += size;
    if (total > maxBytes) {
      throw new ProtocolDecodeError(`zstd frames declare ${total} bytes, more than the ${maxBytes} allowed`);
    }
    pos += zstdBinding.findFrameCompressedSize(frame);
  }
  return total;
}

const probe = Buffer.alloc(1);

function streamDecompress(ctx: InstanceType<typeof zstdBinding.DCtx>, data: Buffer, maxBytes: number): Buffer {
  ctx.reset(zstdBinding.ResetDirective.sessionOnly);
  let out = Buffer.allocUnsafe(Math.min(maxBytes, Math.max(64 * 1024, data.length * 4)));
  let outPos = 0;
  let inPos = 0;
  let pending = 1; // zstd's return value: 0 once a frame is fully decoded and flushed
  while (inPos < data.length || pending !== 0) {
    if (outPos === out.length) {
      if (out.length >= maxBytes) {
        // Full at the bound: any further output byte means the data inflates past maxBytes.
        const [ret, produced, consumed] = ctx.decompressStream(probe, data.subarray(inPos));
        if (produced > 0) throw new ProtocolDecodeError(`zstd data inflates past ${maxBytes} bytes`);
        inPos += consumed;
        pending = ret;
        if (consumed === 0 && ret !== 0) throw new ProtocolDecodeError('truncated zstd frame');
        continue;
      }
      const next = Buffer.allocUnsafe(Math.min(maxBytes, out.length * 2));
      out.copy(next, 0, 0, outPos);
      out = next;
    }
    const [ret, produced, consumed] = ctx.decompressStream(out.subarray(outPos), data.subarray(inPos));
    outPos += produced;
    inPos += consumed;
    pending = ret;
    if (produced === 0 && consumed === 0 && ret !== 0) {
      // No progress with output room available: the input ends inside a frame.
      if (outPos < out.length) throw new ProtocolDecodeError('truncated zstd frame');
    }
  }
  if (out.length - outPos > Math.max(4096, outPos >>> 2)) return Buffer.from(out.subarray(0, outPos));
  return out.subarray(0, outPos);
}
