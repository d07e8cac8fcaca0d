import { forEachBounded } from '../../src/util/bounded.js';

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
