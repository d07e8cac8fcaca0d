import { describe, expect, it } from '@jest/globals';
import { RequestMemoryPool, type MemoryWaiter } from '../../src/server/request-memory-pool.js';

/** A waiter that takes `bytes` when woken, as a connection reserves its frame. */
function waiter(pool: RequestMemoryPool, bytes: number, log: string[], name: string): MemoryWaiter {
  const w: MemoryWaiter = {
    onMemoryAvailable() {
      if (pool.tryReserve(bytes)) log.push(name);
      else pool.wait(w);
    },
  };
  return w;
}

describe('RequestMemoryPool', () => {
  it('grants while below capacity, however large the request (Kafka non-strict), and refuses at capacity', () => {
    const pool = new RequestMemoryPool(100);
    expect(pool.tryReserve(60)).toBe(true);
    expect(pool.tryReserve(60)).toBe(true); // 60 < 100: granted, the pool goes over
    expect(pool.used).toBe(120);
    expect(pool.tryReserve(1)).toBe(false);
    pool.release(120);
    // A request larger than the whole pool is served when the pool has room.
    expect(pool.tryReserve(250)).toBe(true);
    pool.release(250);
    expect(pool.used).toBe(0);
  });

  it('wakes waiters in arrival order while there is room, and skips cancelled ones', () => {
    const pool = new RequestMemoryPool(100);
    const log: string[] = [];
    pool.force(150);
    const a = waiter(pool, 50, log, 'a');
    const b = waiter(pool, 50, log, 'b');
    const c = waiter(pool, 50, log, 'c');
    const d = waiter(pool, 50, log, 'd');
    for (const w of [a, b, c, d]) pool.wait(w);
    pool.cancel(b);
    expect(pool.waiting).toBe(3);
    pool.release(100); // 50 in use: a gets room (100), c must wait
    expect(log).toEqual(['a']);
    pool.release(60); // 40: c (90), then d (140)
    expect(log).toEqual(['a', 'c', 'd']);
    expect(pool.waiting).toBe(0);
    expect(pool.used).toBe(140);
  });

  it('with no capacity counts bytes but never refuses', () => {
    const pool = new RequestMemoryPool(-1);
    expect(pool.tryReserve(1e9)).toBe(true);
    expect(pool.tryReserve(1e9)).toBe(true);
    pool.release(2e9);
    expect(pool.used).toBe(0);
  });

  it('refuses to release more than was reserved', () => {
    const pool = new RequestMemoryPool(10);
    pool.force(5);
    expect(() => { pool.release(6); }).toThrow(/released twice/);
  });
});
