import { describe, expect, it } from '@jest/globals';
import { Throttler } from '../../src/storage/throttler.js';
import { ManualClock } from '../../src/util/clock.js';

/** Whether the promise has settled once pending promise callbacks ran. */
async function settled(p: Promise<void>): Promise<boolean> {
  let done = false;
  void p.then(() => { done = true; });
  await new Promise((r) => setImmediate(r));
  return done;
}

describe('Throttler (log.cleaner.io.max.bytes.per.second)', () => {
  it('waits until the bytes of a check period fall to the desired rate', async () => {
    const clock = new ManualClock(0);
    const throttler = new Throttler(() => 1000, clock);
    await throttler.maybeThrottle(100); // within the first 300 ms: no check
    clock.advance(300);
    // 700 bytes in 300 ms is 2,333 B/s: the period must last 700 ms at 1,000 B/s, 400 ms more.
    const waiting = throttler.maybeThrottle(600);
    expect(await settled(waiting)).toBe(false);
    clock.advance(399);
    expect(await settled(waiting)).toBe(false);
    clock.advance(1);
    expect(await settled(waiting)).toBe(true);
  });

  it('does not wait below the rate, nor when the rate is unlimited (the default)', async () => {
    const clock = new ManualClock(0);
    const slow = new Throttler(() => 1000, clock);
    clock.advance(1000);
    expect(await settled(slow.maybeThrottle(900))).toBe(true);
    const unlimited = new Throttler(() => Number.MAX_VALUE, clock);
    clock.advance(300);
    expect(await settled(unlimited.maybeThrottle(1e12))).toBe(true);
  });

  it('reads the desired rate at each check, so a changed config applies at the next period', async () => {
    const clock = new ManualClock(0);
    let rate = Number.MAX_VALUE;
    const throttler = new Throttler(() => rate, clock);
    clock.advance(300);
    expect(await settled(throttler.maybeThrottle(3000))).toBe(true);
    rate = 1000;
    clock.advance(300);
    const waiting = throttler.maybeThrottle(3000);
    expect(await settled(waiting)).toBe(false);
    clock.advance(2700);
    expect(await settled(waiting)).toBe(true);
  });
});
