import { describe, expect, it } from '@jest/globals';
import { FrameBufferPool } from '../../src/util/frame-buffer-pool.js';

const PRODUCE = 0;
const JOIN_GROUP = 11;

describe('FrameBufferPool', () => {
  it('lends a buffer given back to the next frame of its class, so a steady load stops allocating', () => {
    const pool = new FrameBufferPool({ apiKeys: [PRODUCE] });
    const first = pool.lend(PRODUCE, 1_000_000);
    expect(first.frame).toHaveLength(1_000_000);
    expect(first.backing).not.toBeNull();
    pool.giveBack(first.backing!);
    for (let i = 0; i < 100; i++) {
      const lease = pool.lend(PRODUCE, 900_000 + i);
      expect(lease.backing).toBe(first.backing);
      expect(lease.frame.buffer).toBe(first.backing!.buffer);
      pool.giveBack(lease.backing!);
    }
    expect(pool.allocations).toBe(1);
    expect(pool.lentBuffers).toBe(0);
  });

  it('never lends a buffer that is still lent: frames in flight at once have their own bytes', () => {
    const pool = new FrameBufferPool({ apiKeys: [PRODUCE] });
    pool.giveBack(pool.lend(PRODUCE, 200_000).backing!);
    const leases = [0, 1, 2, 3].map((i) => {
      const lease = pool.lend(PRODUCE, 200_000);
      lease.frame.fill(i);
      return lease;
    });
    expect(new Set(leases.map((l) => l.backing)).size).toBe(4);
    // Each frame still holds what was written into it, after the others were written.
    leases.forEach((l, i) => { expect(l.frame.every((b) => b === i)).toBe(true); });
    expect(pool.lentBuffers).toBe(4);
    // Given back in any order, each is reused only after it came back.
    pool.giveBack(leases[2].backing!);
    const next = pool.lend(PRODUCE, 150_000);
    expect(next.backing).toBe(leases[2].backing);
    next.frame.fill(9);
    expect(leases[0].frame.every((b) => b === 0)).toBe(true);
    expect(leases[3].frame.every((b) => b === 3)).toBe(true);
  });

  it('gives frames of other apis, and frames above the largest class, buffers of their own', () => {
    const pool = new FrameBufferPool({ apiKeys: [PRODUCE], maxBufferBytes: 1 << 20 });
    const join = pool.lend(JOIN_GROUP, 100_000);
    expect(join.backing).toBeNull();
    expect(join.frame).toHaveLength(100_000);
    const huge = pool.lend(PRODUCE, (1 << 20) + 1);
    expect(huge.backing).toBeNull();
    expect(huge.frame).toHaveLength((1 << 20) + 1);
    expect(pool.accepts(PRODUCE, 1 << 20)).toBe(true);
    expect(pool.accepts(JOIN_GROUP, 10)).toBe(false);
    expect(pool.allocations).toBe(0);
    expect(pool.lentBuffers).toBe(0);
  });

  it('serves a frame from a buffer of its power-of-two class, never from a smaller one', () => {
    const pool = new FrameBufferPool({ apiKeys: [PRODUCE], minBufferBytes: 64 * 1024 });
    const small = pool.lend(PRODUCE, 10);
    expect(small.backing).toHaveLength(64 * 1024);
    const mid = pool.lend(PRODUCE, 64 * 1024 + 1);
    expect(mid.backing).toHaveLength(128 * 1024);
    pool.giveBack(small.backing!);
    const bigger = pool.lend(PRODUCE, 100_000);
    expect(bigger.backing).not.toBe(small.backing);
    expect(bigger.backing!.length).toBeGreaterThanOrEqual(100_000);
  });

  it('keeps at most maxIdleBytes of free buffers', () => {
    const pool = new FrameBufferPool({ apiKeys: [PRODUCE], maxIdleBytes: 3 << 20 });
    const leases = Array.from({ length: 5 }, () => pool.lend(PRODUCE, 1 << 20));
    for (const l of leases) pool.giveBack(l.backing!);
    expect(pool.idleBytes).toBe(3 << 20);
    expect(pool.lentBuffers).toBe(0);
    // The two dropped are allocated again when five are needed at once.
    Array.from({ length: 5 }, () => pool.lend(PRODUCE, 1 << 20));
    expect(pool.allocations).toBe(7);
  });

  it('refuses a buffer given back twice, or one it did not lend', () => {
    const pool = new FrameBufferPool({ apiKeys: [PRODUCE] });
    const lease = pool.lend(PRODUCE, 100_000);
    pool.giveBack(lease.backing!);
    expect(() => { pool.giveBack(lease.backing!); }).toThrow(/not lent/);
    expect(() => { pool.giveBack(Buffer.alloc(1 << 17)); }).toThrow(/not lent/);
    // The refused give-back left the free list as it was: one buffer, lent once.
    expect(pool.lend(PRODUCE, 100_000).backing).toBe(lease.backing);
    expect(pool.lend(PRODUCE, 100_000).backing).not.toBe(lease.backing);
  });
});
