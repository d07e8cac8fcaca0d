/**
 * The bytes received on a socket and not yet consumed, as the chunks they arrived in: both ends of
 * a Kafka connection cut `size:int32 | frame` frames out of it. Taking bytes that sit in one chunk
 * returns a view of it; only a frame spanning chunks is copied, once, when it is complete.
 */
export class ChunkQueue {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** Bytes held. */
  get length(): number {
    return this.buffered;
  }

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The big-endian int32 at the front (length must be at least 4), without consuming it. */
  peekInt32(): number {
    const first = this.chunks[0];
    if (first.length >= 4) return first.readInt32BE(0);
    return this.head(4).readInt32BE(0);
  }

  /** The big-endian int16 at the front (length must be at least 2), without consuming it. */
  peekInt16(): number {
    const first = this.chunks[0];
    if (first.length >= 2) return first.readInt16BE(0);
    return this.head(2).readInt16BE(0);
  }

  /** The first n bytes gathered from the chunks (n small: a number split across chunks). */
  private head(n: number): Buffer {
    const head = Buffer.allocUnsafe(n);
    let filled = 0;
    for (const c of this.chunks) {
      filled += c.copy(head, filled, 0, Math.min(c.length, n - filled));
      if (filled === n) break;
    }
    return head;
  }

  /** Whether the next n bytes (n <= length) sit in one chunk, so that take(n) returns a view. */
  isContiguous(n: number): boolean {
    return n === 0 || this.chunks[0].length >= n;
  }

  /** Removes and returns the next n bytes (n <= length): a view when they sit in one chunk. */
  take(n: number): Buffer {
    if (n === 0) return EMPTY;
    this.buffered -= n;
    const first = this.chunks[0];
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0];
      const k = Math.min(n - filled, c.length);
      c.copy(out, filled, 0, k);
      filled += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    return out;
  }

  /** Moves up to n bytes (as many as are held) to the start of `target`; returns how many. */
  moveInto(target: Buffer, n: number): number {
    let filled = 0;
    while (filled < n && this.chunks.length > 0) {
      const c = this.chunks[0];
      const k = Math.min(n - filled, c.length);
      c.copy(target, filled, 0, k);
      filled += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.buffered -= filled;
    return filled;
  }

  clear(): void {
    this.chunks = [];
    this.buffered = 0;
  }
}

const EMPTY = Buffer.alloc(0);
