import { describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { buildRecordBatch } from '../../src/protocol/records/batch-builder.js';
import { openLogManager } from '../../src/storage/log-manager.js';
import { RetentionScheduler } from '../../src/storage/retention-scheduler.js';
import { DEFAULT_LOG_CONFIG, OffsetOutOfRangeError, type PartitionLog } from '../../src/storage/types.js';
import { ManualClock } from '../../src/util/clock.js';
import type { Logger } from '../../src/util/logger.js';

/** Just enough of a partition log for retention: records when applyRetention ran and with what time. */
function fakeLog(
  topic: string,
  partition: number,
  applyRetention: (nowMs: number) => Promise<number> = async () => 0,
): PartitionLog & { calls: number[] } {
  const calls: number[] = [];
  return {
    topic,
    partition,
    calls,
    applyRetention: (nowMs: number) => {
      calls.push(nowMs);
      return applyRetention(nowMs);
    },
  } as unknown as PartitionLog & { calls: number[] };
}

/** A real logger whose lines are kept, parsed. */
function capturingLogger(): { logger: Logger; lines: { level: number; msg: string; err?: { message: string } }[] } {
  const lines: { level: number; msg: string }[] = [];
  const logger: Logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

function deferred(): { promise: Promise<number>; resolve: (n: number) => void } {
  let resolve!: (n: number) => void;
  const promise = new Promise<number>((r) => (resolve = r));
  return { promise, resolve };
}

describe('ManualClock', () => {
  it('fires timers in due order, each at its due time, including timers set meanwhile', () => {
    const clock = new ManualClock(1000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => {
      fired.push(`a@${clock.now()}`);
      clock.setTimeout(() => fired.push(`c@${clock.now()}`), 5);
    }, 10);
    const cancelled = clock.setTimeout(() => fired.push('never'), 15);
    clock.setTimeout(() => fired.push(`d@${clock.now()}`), 20);
    clock.clearTimeout(cancelled);
    expect(clock.pendingTimers).toBe(3);
    expect(clock.nextTimerAt()).toBe(1010);

    clock.advance(9);
    expect(fired).toEqual([]);
    clock.advance(100);
    expect(fired).toEqual(['a@1010', 'c@1015', 'b@1020', 'd@1020']);
    expect(clock.now()).toBe(1109);
    expect(clock.pendingTimers).toBe(0);
    expect(() => { clock.advance(-1); }).toThrow(RangeError);
  });
});

describe('RetentionScheduler', () => {
  it("runs after Kafka's initial delay, then every log.retention.check.interval.ms (default 300000)", async () => {
    const clock = new ManualClock(1_000_000);
    const logs = [fakeLog('orders', 0), fakeLog('orders', 1), fakeLog('my.events_v2-x', 7)];
    const scheduler = new RetentionScheduler({ logs: () => logs, clock });
    expect(scheduler.intervalMs).toBe(300_000);
    scheduler.start();

    await clock.advanceAsync(29_999);
    expect(logs[0].calls).toEqual([]);
    await clock.advanceAsync(1);
    for (const log of logs) expect(log.calls).toEqual([1_030_000]);

    await clock.advanceAsync(299_999);
    expect(logs[0].calls).toHaveLength(1);
    await clock.advanceAsync(1);
    await clock.advanceAsync(600_000);
    for (const log of logs) expect(log.calls).toEqual([1_030_000, 1_330_000, 1_630_000, 1_930_000]);
    await scheduler.stop();
  });

  it('checks the partitions that exist at each run', async () => {
    const clock = new ManualClock(0);
    const logs = [fakeLog('a', 0)];
    const scheduler = new RetentionScheduler({ logs: () => logs, clock, intervalMs: 1000, initialDelayMs: 1000 });
    scheduler.start();
    await clock.advanceAsync(1000);
    const added = fakeLog('b', 0);
    logs.push(added);
    await clock.advanceAsync(1000);
    logs.shift();
    await clock.advanceAsync(1000);
    expect(logs[0].calls).toEqual([2000, 3000]);
    await scheduler.stop();
  });

  it('reports what a run did', async () => {
    const clock = new ManualClock(5);
    const logs = [fakeLog('a', 0, async () => 2), fakeLog('a', 1, async () => 0), fakeLog('a', 2, async () => 3)];
    const scheduler = new RetentionScheduler({ logs: () => logs, clock });
    expect(await scheduler.runNow()).toEqual({ startedMs: 5, partitions: 3, segmentsDeleted: 5, failures: 0 });
    expect(scheduler.lastRun?.segmentsDeleted).toBe(5);
  });

  it('never overlaps runs: a slow run delays the next and missed slots are skipped', async () => {
    const clock = new ManualClock(0);
    let inFlight = 0;
    let maxInFlight = 0;
    const slow = deferred();
    let first = true;
    const log = fakeLog('slow', 0, async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      if (first) {
        first = false;
        await slow.promise;
      }
      inFlight--;
      return 0;
    });
    const scheduler = new RetentionScheduler({ logs: () => [log], clock, intervalMs: 1000, initialDelayMs: 1000 });
    scheduler.start();

    await clock.advanceAsync(1000); // the first run starts and hangs
    await clock.advanceAsync(3500); // slots at 2000, 3000, 4000 pass meanwhile
    expect(log.calls).toEqual([1000]);
    // A manual run waits behind the hanging one rather than running alongside it.
    const manual = scheduler.runNow();
    await clock.advanceAsync(0);
    expect(log.calls).toEqual([1000]);

    slow.resolve(0); // ends at 4500
    await manual;
    expect(log.calls).toEqual([1000, 4500]);
    // The schedule resumes at the next slot of the original grid, 5000, without catching up.
    await clock.advanceAsync(499);
    expect(log.calls).toEqual([1000, 4500]);
    await clock.advanceAsync(1);
    expect(log.calls).toEqual([1000, 4500, 5000]);
    expect(maxInFlight).toBe(1);
    await scheduler.stop();
  });

  it('logs failures, goes on with the other partitions, and keeps its schedule', async () => {
    const clock = new ManualClock(0);
    const { logger, lines } = capturingLogger();
    const good = fakeLog('good', 0, async () => 1);
    const rejects = fakeLog('bad', 0, async () => {
      throw new Error('EIO: disk on fire');
    });
    const throws = fakeLog('bad', 1);
    (throws as { applyRetention: unknown }).applyRetention = () => {
      throw new Error('synchronous bug');
    };
    let listFails = false;
    const scheduler = new RetentionScheduler({
      logs: () => {
        if (listFails) throw new Error('cannot list');
        return [rejects, throws, good];
      },
      clock,
      intervalMs: 1000,
      initialDelayMs: 1000,
      logger,
    });
    scheduler.start();

    await clock.advanceAsync(1000);
    expect(scheduler.lastRun).toEqual({ startedMs: 1000, partitions: 3, segmentsDeleted: 1, failures: 2 });
    const errors = lines.filter((l) => l.level === 50);
    expect(errors.map((l) => l.err?.message)).toEqual(['EIO: disk on fire', 'synchronous bug']);

    listFails = true;
    await clock.advanceAsync(1000);
    expect(scheduler.lastRun?.failures).toBe(1);
    listFails = false;
    await clock.advanceAsync(1000);
    expect(good.calls).toEqual([1000, 3000]);
    await scheduler.stop();
  });

  it('stops: no further runs, and a run in progress ends after its current partition', async () => {
    const clock = new ManualClock(0);
    const gate = deferred();
    const a = fakeLog('a', 0, () => gate.promise);
    const b = fakeLog('b', 0);
    const scheduler = new RetentionScheduler({ logs: () => [a, b], clock, intervalMs: 1000, initialDelayMs: 500 });
    scheduler.start();
    scheduler.start(); // no second schedule
    expect(clock.pendingTimers).toBe(1);
    await clock.advanceAsync(500);
    expect(a.calls).toEqual([500]);

    let stopped = false;
    const stopping = scheduler.stop().then(() => (stopped = true));
    await clock.advanceAsync(0);
    expect(stopped).toBe(false); // waits for the run in progress
    gate.resolve(0);
    await stopping;
    expect(b.calls).toEqual([]); // the run ended after partition a
    expect(clock.pendingTimers).toBe(0);
    await clock.advanceAsync(10_000);
    expect(a.calls).toEqual([500]);
    expect(scheduler.isStarted).toBe(false);
  });

  it('rejects a non-positive interval', () => {
    expect(() => new RetentionScheduler({ logs: () => [], intervalMs: 0 })).toThrow(RangeError);
  });

  it.each(['disk', 'memory'] as const)(
    "deletes the expired segments of the log manager's partitions (%s) at the first run after they expire",
    async (storage) => {
      const start = 1_700_000_000_000;
      const clock = new ManualClock(start);
      const dir = await mkdtemp(path.join(tmpdir(), 'gregor-retention-'));
      const manager = await openLogManager({ storage, dirs: [dir], clock });
      try {
        const config = { ...DEFAULT_LOG_CONFIG, segmentBytes: 1024, retentionMs: 3_600_000 };
        const log = await manager.create('events', 0, config);
        const kept = await manager.create('events', 1, { ...config, retentionMs: -1 });
        for (const target of [log, kept]) {
          for (let i = 0; i < 20; i++) {
            await target.append(buildRecordBatch([{ value: 'x'.repeat(200) }], { now: clock.now() }), { leaderEpoch: 0 });
          }
        }
        const scheduler = new RetentionScheduler({ logs: () => manager.all(), clock });
        scheduler.start();
        // Runs at +30 s, then every 300 s; the records expire after +3600 s: the run at +3630 s deletes.
        const tick = async (ms: number) => {
          clock.advance(ms);
          await scheduler.idle();
        };
        await tick(30_000);
        for (let k = 1; k <= 11; k++) await tick(300_000);
        expect(scheduler.lastRun?.startedMs).toBe(start + 3_330_000);
        expect(log.logStartOffset).toBe(0n);
        await tick(300_000);
        expect(scheduler.lastRun?.startedMs).toBe(start + 3_630_000);
        expect(scheduler.lastRun?.segmentsDeleted).toBeGreaterThan(0);
        expect(log.logStartOffset).toBeGreaterThan(0n);
        expect(log.logEndOffset).toBe(20n); // the active segment stays
        await expect(log.read(0n, { maxBytes: 1 << 20 })).rejects.toThrow(OffsetOutOfRangeError);
        expect(kept.logStartOffset).toBe(0n); // retention.ms = -1: kept forever
        await scheduler.stop();
      } finally {
        await manager.close();
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
