/**
 * Bounded concurrency for work over many items (Kafka's fixed pools of recovery threads per log
 * dir): at most `limit` calls of `fn` are in flight at once.
 *
 * Why bounded: each call of the storage layer opens files, and a broker with thousands of
 * partitions that starts all of them at once runs out of file descriptors (EMFILE) and floods
 * libuv's thread pool, so nothing finishes sooner and everything may fail.
 *
 * Never rejects: every failure is collected and returned, so a caller can never leave a rejected
 * promise unhandled, and the calls already running finish before it returns (none outlives it).
 */

export interface BoundedOptions {
  /** Start no new call after the first failure (opening: one failure fails the whole). Default false: every item gets its call (closing). */
  stopOnError?: boolean;
}

/** Runs `fn` over `items`, at most `limit` at once, in order of start. Resolves with the failures (empty when none). */
export async function forEachBounded<T>(
  items: Iterable<T>,
  limit: number,
  fn: (item: T) => Promise<void>,
  options: BoundedOptions = {},
): Promise<unknown[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const errors: unknown[] = [];
  const iterator = items[Symbol.iterator]();
  let exhausted = false;
  const worker = async (): Promise<void> => {
    while (!exhausted && !(options.stopOnError === true && errors.length > 0)) {
      const next = iterator.next();
      if (next.done === true) {
        exhausted = true;
        return;
      }
      try {
        await fn(next.value);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  const workers: Promise<void>[] = [];
  // A worker runs synchronously up to its first await, so it may have exhausted the items already.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
  for (let i = 0; i < limit && !exhausted; i++) workers.push(worker());
  await Promise.all(workers);
  return errors;
}

/**
 * At most `limit` calls of `run` in flight; later ones wait their turn, in order. For work that
 * arrives one call at a time from many owners (a durable small-file write per partition) rather
 * than as a list.
 */
export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    // A finishing run hands its place straight to the first waiting one: were the place freed and
    // taken again on the waiting run's resumption, a call arriving in between would take it too.
    if (this.running < this.limit) this.running++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
