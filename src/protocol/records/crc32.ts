/**
 * CRC32 (IEEE 802.3, polynomial 0x04C11DB7 reflected 0xEDB88320): the checksum of legacy messages
 * (magic 0 and 1), computed over the bytes from `magic` to the end of the message.
 *
 * Native through @node-rs/crc32 (faster than both zlib.crc32 and pure-JS tables). A slice is
 * checksummed through a `subarray` view, which shares the memory: nothing is copied.
 */
import { crc32 as nativeCrc32 } from '@node-rs/crc32';

/**
 * CRC32 (IEEE) of `buf[start, end)`. Pass a previous result as `initial` to continue over a
 * following slice. Returns an unsigned 32-bit integer. Throws RangeError for a range outside the
 * buffer (a caller bug, not bad input).
 */
export function crc32(buf: Uint8Array, start = 0, end = buf.length, initial = 0): number {
  if (start < 0 || end > buf.length || start > end) {
    throw new RangeError(`crc32 range [${start}, ${end}) is outside a buffer of ${buf.length} bytes`);
  }
  const view = start === 0 && end === buf.length ? buf : buf.subarray(start, end);
  return nativeCrc32(view, initial) >>> 0;
}
