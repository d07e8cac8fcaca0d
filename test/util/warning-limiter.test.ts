import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { ManualClock } from '../../src/util/clock.js';
import type { Logger } from '../../src/util/logger.js';
import { WarningLimiter } from '../../src/util/warning-limiter.js';

function capture(): { lines: Record<string, unknown>[]; logger: Logger } {
  const lines: Record<string, unknown>[] = [];
  const logger: Logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { lines, logger };
}

describe('WarningLimiter', () => {
  it('logs at error level when asked, with the same limit (a handler bug a client can trigger in a loop)', () => {
    const { lines, logger } = capture();
    const clock = new ManualClock(1_000);
    const limiter = new WarningLimiter(logger, clock, { perWindow: 2, windowMs: 60_000, maxKeys: 100 });
    for (let i = 0; i < 50; i++) limiter.warn('10.0.0.1', 'handler failed', { api: 'Fetch' }, 'handler failed', 'error');
    expect(lines.map((l) => [l.level, l.kind, l.api])).toEqual([
      [50, 'handler failed', 'Fetch'],
      [50, 'handler failed', 'Fetch'],
    ]);
    clock.advance(60_000);
    expect(lines[2]).toMatchObject({ peer: '10.0.0.1', kind: 'handler failed', suppressed: 48 });
    limiter.close();
  });

  it('logs the first warnings of a window per peer and kind, then one line with the suppressed count', () => {
    const { lines, logger } = capture();
    const clock = new ManualClock(1_000);
    const limiter = new WarningLimiter(logger, clock, { perWindow: 3, windowMs: 60_000, maxKeys: 100 });
    for (let i = 0; i < 1000; i++) limiter.warn('10.0.0.1', 'bad request', { n: i }, 'bad request; closing connection');
    limiter.warn('10.0.0.2', 'bad request', {}, 'bad request; closing connection');
    limiter.warn('10.0.0.1', 'oversized request', {}, 'request size out of bounds');
    expect(lines.map((l) => [l.peer, l.kind, l.n])).toEqual([
      ['10.0.0.1', 'bad request', 0],
      ['10.0.0.1', 'bad request', 1],
      ['10.0.0.1', 'bad request', 2],
      ['10.0.0.2', 'bad request', undefined],
      ['10.0.0.1', 'oversized request', undefined],
    ]);

    // The window ends: the sweep reports what it held back, once.
    clock.advance(60_000);
    expect(lines).toHaveLength(6);
    expect(lines[5]).toMatchObject({ level: 40, peer: '10.0.0.1', kind: 'bad request', suppressed: 997 });
    expect(lines[5].msg).toBe('997 more "bad request" warnings from 10.0.0.1 were suppressed');
    expect(limiter.trackedPairs).toBe(0);

    // A new window logs again.
    limiter.warn('10.0.0.1', 'bad request', { n: 1000 }, 'bad request; closing connection');
    expect(lines[6]).toMatchObject({ peer: '10.0.0.1', n: 1000 });
    limiter.close();
  });

  it('reports the suppressed count before the first line of the next window when that comes first', () => {
    const { lines, logger } = capture();
    const clock = new ManualClock(0);
    const limiter = new WarningLimiter(logger, clock, { perWindow: 1, windowMs: 1_000, maxKeys: 100 });
    limiter.warn('h', 'k', {}, 'first');
    limiter.warn('h', 'k', {}, 'held back');
    limiter.warn('h', 'k', {}, 'held back');
    // Time moves without the sweep having run yet (setNow fires nothing).
    clock.setNow(1_500);
    limiter.warn('h', 'k', {}, 'next window');
    expect(lines.map((l) => l.msg)).toEqual(['first', '2 more "k" warnings from h were suppressed', 'next window']);
    limiter.close();
  });

  it('bounds the pairs it tracks: past maxKeys, new peers share one entry per kind', () => {
    const { lines, logger } = capture();
    const clock = new ManualClock(0);
    const limiter = new WarningLimiter(logger, clock, { perWindow: 2, windowMs: 1_000, maxKeys: 10 });
    for (let i = 0; i < 500; i++) limiter.warn(`10.1.${i >> 8}.${i & 255}`, 'bad request', {}, 'bad request');
    expect(limiter.trackedPairs).toBe(11);
    expect(lines).toHaveLength(12);
    expect(lines.slice(10).map((l) => l.peer)).toEqual(['*', '*']);
    limiter.close();
    expect(lines.at(-1)).toMatchObject({ peer: '*', suppressed: 488 });
    expect(lines.at(-1)!.msg).toBe('488 more "bad request" warnings from other peers were suppressed');
  });
});
