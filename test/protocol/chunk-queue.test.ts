import { describe, expect, it } from '@jest/globals';
import { ChunkQueue } from '../../src/protocol/chunk-queue.js';

describe('ChunkQueue', () => {
  it('reads a size prefix split across chunks and takes frames across and within chunks', () => {
    const q = new ChunkQueue();
    const bytes = Buffer.from([0, 0, 0, 5, 1, 2, 3, 4, 5, 0, 0, 0, 1, 9]);
    q.push(bytes.subarray(0, 2));
    q.push(bytes.subarray(2, 7));
    q.push(bytes.subarray(7));
    expect(q.length).toBe(14);
    expect(q.peekInt32()).toBe(5);
    expect(q.take(4)).toEqual(Buffer.from([0, 0, 0, 5]));
    expect(q.take(5)).toEqual(Buffer.from([1, 2, 3, 4, 5]));
    expect(q.peekInt32()).toBe(1);
    q.take(4);
    expect(q.take(1)).toEqual(Buffer.from([9]));
    expect(q.length).toBe(0);
  });

  it('gives views of a chunk holding the whole frame, and an empty buffer for a frame of size 0 with nothing held', () => {
    const q = new ChunkQueue();
    const chunk = Buffer.from([7, 8, 9]);
    q.push(chunk);
    expect(q.take(2).buffer).toBe(chunk.buffer);
    q.take(1);
    expect(q.take(0)).toHaveLength(0);
    q.push(Buffer.from([1]));
    q.clear();
    expect(q.length).toBe(0);
  });
});

describe('ChunkQueue for frame gathering', () => {
  it('peeks an int16 split across chunks, tells whether bytes sit in one chunk, and moves bytes out across chunks', () => {
    const q = new ChunkQueue();
    q.push(Buffer.from([0x01]));
    q.push(Buffer.from([0x02, 3, 4]));
    q.push(Buffer.from([5, 6, 7]));
    expect(q.peekInt16()).toBe(0x0102);
    expect(q.isContiguous(1)).toBe(true);
    expect(q.isContiguous(2)).toBe(false);
    const target = Buffer.alloc(5);
    expect(q.moveInto(target, 5)).toBe(5);
    expect([...target]).toEqual([1, 2, 3, 4, 5]);
    expect(q.length).toBe(2);
    expect(q.isContiguous(2)).toBe(true);
    // Asking for more than is held moves what is held.
    const rest = Buffer.alloc(10);
    expect(q.moveInto(rest, 10)).toBe(2);
    expect([...rest.subarray(0, 2)]).toEqual([6, 7]);
    expect(q.length).toBe(0);
  });
});
