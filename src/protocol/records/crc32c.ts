/**
 * CRC32C (Castagnoli, polynomial 0x1EDC6F41 reflected 0x82F63B78): the checksum of record batch v2,
 * computed over the bytes from `attributes` to the end of the batch.
 *
 * Native and SIMD-accelerated through @node-rs/crc32 (about 6 GB/s on 1 MiB buffers, against
 * about 1.5 GB/s for a table-driven pure-JS CRC). A slice is checksummed through a `subarray` view,
 * which shares the memory: nothing is copied.
 */
import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/**
 * CRC32C of `buf[start, end)`. Pass a previous result as `initial` to continue a checksum over a
 * following slice (crc32c(a ++ b) === crc32c(b, 0, b.length, crc32c(a))). Returns an unsigned 32-bit
 * integer. Throws RangeError for a range outside the buffer (a caller bug, not bad input).
 */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length, initial = 0): number {
  if (start < 0 || end > buf.length || start > end) {
    throw new RangeError(`crc32c range [${start}, ${end}) is outside a buffer of ${buf.length} bytes`);
  }
  const view = start === 0 && end === buf.length ? buf : buf.subarray(start, end);
  return nativeCrc32c(view, initial) >>> 0;
}
