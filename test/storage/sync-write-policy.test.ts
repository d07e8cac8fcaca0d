import { describe, expect, it } from '@jest/globals';
import { SyncWritePolicy, THREAD_POOL_ONLY } from '../../src/storage/sync-write-policy.js';

describe('SyncWritePolicy', () => {
  function clocked(options: { maxBytes?: number; slowMs?: number; backoffMs?: number } = {}) {
    let t = 1000;
    const policy = new SyncWritePolicy({ ...options, now: () => t });
    return { policy, advance: (ms: number) => (t += ms) };
  }

  it('allows synchronous writes up to maxBytes', () => {
    const { policy } = clocked({ maxBytes: 4096 });
    expect(policy.allows(1)).toBe(true);
    expect(policy.allows(4096)).toBe(true);
    expect(policy.allows(4097)).toBe(false);
  });

  it('after a slow write, sends every write through the pool for the back-off, then tries again', () => {
    const { policy, advance } = clocked({ slowMs: 10, backoffMs: 5000 });
    expect(policy.run(() => (advance(9), 'fast'))).toBe('fast');
    expect(policy.allows(100)).toBe(true);
    policy.run(() => advance(11));
    expect(policy.slowWrites).toBe(1);
    expect(policy.allows(100)).toBe(false);
    advance(4999);
    expect(policy.allows(100)).toBe(false);
    advance(1);
    expect(policy.allows(100)).toBe(true);
  });

  it('counts a slow write that fails, and passes its error on', () => {
    const { policy, advance } = clocked({ slowMs: 10 });
    expect(() =>
      policy.run(() => {
        advance(50);
        throw Object.assign(new Error('injected'), { code: 'EIO' });
      }),
    ).toThrow('injected');
    expect(policy.allows(1)).toBe(false);
  });

  it('THREAD_POOL_ONLY never writes synchronously', () => {
    expect(THREAD_POOL_ONLY.allows(0)).toBe(false);
    expect(THREAD_POOL_ONLY.allows(1)).toBe(false);
  });
});
