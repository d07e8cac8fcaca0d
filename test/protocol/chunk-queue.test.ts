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
