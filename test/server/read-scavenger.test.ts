import { describe, expect, it } from '@jest/globals';
import { ReadScavenger } from '../../src/server/read-scavenger.js';
import { youngCollector } from '../../src/util/memory-reclaimer.js';

describe('ReadScavenger', () => {
  it('collects once per intervalBytes read, across reads of any size', () => {
    let runs = 0;
    const s = new ReadScavenger({ intervalBytes: 1000, collect: () => runs++ });
    for (let i = 0; i < 9; i++) s.received(100);
    expect(runs).toBe(0);
    s.received(100);
    expect(runs).toBe(1);
    s.received(5000);
    expect(runs).toBe(2);
    for (let i = 0; i < 10; i++) s.received(100);
    expect(runs).toBe(3);
    expect(s.collections).toBe(3);
  });

  it('does nothing where the runtime offers no collector', () => {
    const s = new ReadScavenger({ intervalBytes: 1, collect: null });
    s.received(1 << 20);
    expect(s.collections).toBe(0);
  });

  it("reaches V8's young-generation collection without flags, and frees a dead buffer with it", async () => {
    const collect = youngCollector();
    expect(collect).not.toBeNull();
    let chunk: Buffer | null = Buffer.allocUnsafeSlow(16 << 20);
    chunk.fill(1);
    const withChunk = process.memoryUsage().arrayBuffers;
    // Dropping the only reference is the point: the collection below must find the buffer dead.
    // eslint-disable-next-line no-useless-assignment
    chunk = null;
    collect!();
    // V8 frees the memory of collected buffers on a helper thread: wait for it.
    while (process.memoryUsage().arrayBuffers > withChunk - (16 << 20)) await new Promise((r) => setTimeout(r, 10));
    expect(process.memoryUsage().arrayBuffers).toBeLessThanOrEqual(withChunk - (16 << 20));
  }, 30_000);
});
