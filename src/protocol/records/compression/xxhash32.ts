/**
 * xxHash32 (Yann Collet's 32-bit xxHash, as specified in the xxHash and LZ4 frame format documents),
 * which the LZ4 frame format uses for its header, block and content checksums. Written from the
 * specification: four accumulators over 16-byte stripes, then 4-byte and 1-byte tails, then the
 * avalanche. Little-endian input words; all arithmetic modulo 2^32 via Math.imul.
 */

const PRIME1 = 0x9e3779b1;
const PRIME2 = 0x85ebca77;
const PRIME3 = 0xc2b2ae3d;
const PRIME4 = 0x27d4eb2f;
const PRIME5 = 0x165667b1;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function readU32(buf: Uint8Array, p: number): number {
  return (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24)) >>> 0;
}

function round(acc: number, lane: number): number {
  acc = (acc + Math.imul(lane, PRIME2)) | 0;
  acc = rotl(acc, 13);
  return Math.imul(acc, PRIME1);
}

/** xxHash32 of `buf[start, end)` with `seed`; returns an unsigned 32-bit integer. */
export function xxhash32(buf: Uint8Array, start = 0, end = buf.length, seed = 0): number {
  const len = end - start;
  let p = start;
  let h: number;
  if (len >= 16) {
    let v1 = (seed + PRIME1 + PRIME2) | 0;
    let v2 = (seed + PRIME2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - PRIME1) | 0;
    const limit = end - 16;
    while (p <= limit) {
      v1 = round(v1, readU32(buf, p));
      v2 = round(v2, readU32(buf, p + 4));
      v3 = round(v3, readU32(buf, p + 8));
      v4 = round(v4, readU32(buf, p + 12));
      p += 16;
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = (seed + PRIME5) | 0;
  }
  h = (h + len) | 0;
  while (p + 4 <= end) {
    h = (h + Math.imul(readU32(buf, p), PRIME3)) | 0;
    h = Math.imul(rotl(h, 17), PRIME4);
    p += 4;
  }
  while (p < end) {
    h = (h + Math.imul(buf[p], PRIME5)) | 0;
    h = Math.imul(rotl(h, 11), PRIME1);
    p++;
  }
  h ^= h >>> 15;
  h = Math.imul(h, PRIME2);
  h ^= h >>> 13;
  h = Math.imul(h, PRIME3);
  h ^= h >>> 16;
  return h >>> 0;
}
