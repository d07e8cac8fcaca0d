import { ConcurrencyLimit, forEachBounded } from '../../src/util/bounded.js';

/** A call that finishes when the test says so. */
function gate(): { promise: Promise<void>; open: () => void; fail: (e: unknown) => void } {
  let open!: () => void;
  let fail!: (e: unknown) => void;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('forEachBounded', () => {
  test('never has more than the limit in flight, and calls every item once', async () => {
    const gates = new Map<number, ReturnType<typeof gate>>();
    let inFlight = 0;
    let most = 0;
    const seen: number[] = [];
    const items = Array.from({ length: 20 }, (_, i) => i);
    const done = forEachBounded(items, 3, async (i) => {
      seen.push(i);
      inFlight++;
      most = Math.max(most, inFlight);
      const g = gate();
      gates.set(i, g);
      await g.promise;
      inFlight--;
    });
    for (let round = 0; round < 20; round++) {
      await tick();
      expect(inFlight).toBeLessThanOrEqual(3);
      // Release the oldest call in flight.
      const oldest = [...gates.keys()][0];
      gates.get(oldest)!.open();
      gates.delete(oldest);
    }
    expect(await done).toEqual([]);
    expect(most).toBe(3);
    expect(seen).toEqual(items);
  });

  test('collects failures instead of rejecting, and still calls every item by default', async () => {
    const called: number[] = [];
    const errors = await forEachBounded([1, 2, 3, 4, 5], 2, async (i) => {
      called.push(i);
      if (i % 2 === 0) throw new Error(`item ${i}`);
    });
    expect(called).toEqual([1, 2, 3, 4, 5]);
    expect(errors.map((e) => (e as Error).message)).toEqual(['item 2', 'item 4']);
  });

  test('a synchronous throw is collected like a rejection', async () => {
    const errors = await forEachBounded([1], 1, (() => {
      throw new Error('sync');
    }));
    expect(errors.map((e) => (e as Error).message)).toEqual(['sync']);
  });

  test('with stopOnError no call starts after a failure, and the ones running finish first', async () => {
    const called: number[] = [];
    const slow = gate();
    let slowFinished = false;
    const done = forEachBounded(
      [1, 2, 3, 4, 5, 6],
      2,
      async (i) => {
        called.push(i);
        if (i === 1) {
          await slow.promise;
          slowFinished = true;
        }
        if (i === 2) throw new Error('two');
      },
      { stopOnError: true },
    );
    await tick();
    slow.open();
    const errors = await done;
    expect(slowFinished).toBe(true);
    expect(called).toEqual([1, 2]);
    expect(errors).toHaveLength(1);
  });

  test('takes any iterable, including an empty one', async () => {
    const got: string[] = [];
    expect(await forEachBounded(new Set(['a', 'b']), 8, async (s) => void got.push(s))).toEqual([]);
    expect(got).toEqual(['a', 'b']);
    expect(await forEachBounded([], 4, async () => undefined)).toEqual([]);
  });

  test('refuses a limit below one', async () => {
    await expect(forEachBounded([1], 0, async () => undefined)).rejects.toThrow(RangeError);
  });
});

describe('ConcurrencyLimit', () => {
  /** Runs counted in flight, for the largest number seen at once. */
  function counter(): { most: () => number; task: (wait: Promise<void>) => () => Promise<void> } {
    let inFlight = 0;
    let most = 0;
    return {
      most: () => most,
      task: (wait) => async () => {
        inFlight++;
        most = Math.max(most, inFlight);
        await wait;
        inFlight--;
      },
    };
  }

  test('runs at most the limit at once, the waiting ones in call order', async () => {
    const limit = new ConcurrencyLimit(2);
    const c = counter();
    const gates = [gate(), gate(), gate(), gate()];
    const started: number[] = [];
    const runs = gates.map((g, i) => limit.run(() => { started.push(i); return c.task(g.promise)(); }));
    await tick();
    expect(started).toEqual([0, 1]);
    gates[1].open();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.open();
    await Promise.all(runs);
    expect(started).toEqual([0, 1, 2, 3]);
    expect(c.most()).toBe(2);
  });

  test('hands a finished run\'s place to the one waiting: a call arriving meanwhile does not take it', async () => {
    const limit = new ConcurrencyLimit(1);
    const c = counter();
    const first = gate();
    const late: Promise<void>[] = [];
    const runs = [
      limit.run(async () => {
        await c.task(first.promise)();
        // Calls arriving a few microtasks later: one lands after this run gave its place up, before the waiting run resumed.
        for (let depth = 0; depth < 6; depth++) {
          let at: () => void = () => { late.push(limit.run(c.task(Promise.resolve()))); };
          for (let d = 0; d < depth; d++) { const next = at; at = () => { queueMicrotask(next); }; }
          queueMicrotask(at);
        }
      }),
      limit.run(c.task(Promise.resolve())),
    ];
    first.open();
    await Promise.all(runs);
    await tick();
    await Promise.all(late);
    expect(late).toHaveLength(6);
    expect(c.most()).toBe(1);
  });
});
