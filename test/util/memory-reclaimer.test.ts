import { describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../src/util/clock.js';
import { fullCollector, MemoryReclaimer } from '../../src/util/memory-reclaimer.js';

describe('MemoryReclaimer', () => {
  it('runs one collection a delay after the abandoned bytes reach the threshold, coalescing a burst', () => {
    const clock = new ManualClock(0);
    let runs = 0;
    const r = new MemoryReclaimer(clock, { thresholdBytes: 100, delayMs: 1000, collect: () => {
      runs++;
    } });
    r.abandoned(60);
    clock.advance(5000);
    expect(runs).toBe(0);
    r.abandoned(60);
    r.abandoned(500);
    clock.advance(999);
    expect(runs).toBe(0);
    clock.advance(1);
    expect(runs).toBe(1);
    expect(r.pendingBytes).toBe(0);
    clock.advance(10_000);
    expect(runs).toBe(1);
    r.close();
  });

  it('does nothing where no collector is available', () => {
    const clock = new ManualClock(0);
    const r = new MemoryReclaimer(clock, { thresholdBytes: 1, delayMs: 1, collect: null });
    r.abandoned(1000);
    expect(clock.pendingTimers).toBe(0);
  });

  it('reaches V8\'s collector without leaving `gc` in new contexts', async () => {
    const gc = fullCollector();
    expect(typeof gc).toBe('function');
    const { runInNewContext } = await import('node:vm');
    expect(runInNewContext('typeof gc')).toBe('undefined');
  });
});
