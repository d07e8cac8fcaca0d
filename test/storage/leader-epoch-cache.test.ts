/**
 * The leader epoch cache, case by case after Kafka's LeaderEpochFileCacheTest: what assign keeps,
 * what endOffsetFor answers a follower or a consumer, and what truncation from either end leaves.
 * Then the persistence hook: every change reaches it, in order, and a failed write is retried.
 */
import { describe, expect, it } from '@jest/globals';
import { LeaderEpochCache, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET, type EpochEntry } from '../../src/storage/leader-epoch-cache.js';

const UNDEFINED = { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
const at = (leaderEpoch: number, endOffset: bigint): { leaderEpoch: number; endOffset: bigint } => ({ leaderEpoch, endOffset });
const e = (epoch: number, startOffset: bigint): EpochEntry => ({ epoch, startOffset });

async function cacheWith(...entries: [number, bigint][]): Promise<LeaderEpochCache> {
  const cache = new LeaderEpochCache();
  for (const [epoch, offset] of entries) await cache.assign(epoch, offset);
  return cache;
}

describe('LeaderEpochCache.assign', () => {
  it('records an epoch and its start offset', async () => {
    const cache = await cacheWith([2, 10n]);
    expect(cache.latestEpoch()).toBe(2);
    expect(cache.entries()).toEqual([e(2, 10n)]);
    expect(cache.endOffsetFor(2, 11n)).toEqual(at(2, 11n));
  });

  it('never moves an epoch once assigned, later or earlier', async () => {
    const cache = await cacheWith([2, 9n], [2, 10n], [2, 6n]);
    expect(cache.entries()).toEqual([e(2, 9n)]);
  });

  it('ignores an epoch older than the latest', async () => {
    const cache = await cacheWith([1, 5n], [2, 6n], [1, 7n]);
    expect(cache.entries()).toEqual([e(1, 5n), e(2, 6n)]);
    expect(cache.latestEpoch()).toBe(2);
  });

  it('keeps start offsets increasing: a newer epoch at or below an entry\'s start replaces it (Kafka)', async () => {
    expect((await cacheWith([2, 9n], [3, 9n])).entries()).toEqual([e(3, 9n)]);
    expect((await cacheWith([2, 6n], [3, 5n])).entries()).toEqual([e(3, 5n)]);
    expect((await cacheWith([1, 2n], [2, 6n], [3, 8n], [4, 7n])).entries()).toEqual([e(1, 2n), e(2, 6n), e(4, 7n)]);
  });

  it('tracks epochs as leaders change many times, and as a follower receives many batches', async () => {
    const cache = await cacheWith([0, 0n], [1, 0n]);
    expect(cache.latestEpoch()).toBe(1);
    expect(cache.endOffsetFor(1, 0n)).toEqual(at(1, 0n));
    // Epoch 0 was replaced by 1 at the same offset: an older epoch now ends where the first begins.
    expect(cache.endOffsetFor(0, 0n)).toEqual(at(0, 0n));
    expect(cache.endOffsetFor(1, 5n)).toEqual(at(1, 5n));
    await cache.assign(2, 5n);
    expect(cache.endOffsetFor(2, 10n)).toEqual(at(2, 10n));
    expect(cache.endOffsetFor(1, 10n)).toEqual(at(1, 5n));

    const follower = await cacheWith([0, 0n], [0, 1n], [0, 2n], [1, 3n], [1, 4n], [1, 5n], [2, 6n], [2, 7n], [2, 8n]);
    expect(follower.entries()).toEqual([e(0, 0n), e(1, 3n), e(2, 6n)]);
    expect(follower.endOffsetFor(2, 9n)).toEqual(at(2, 9n));
    expect(follower.endOffsetFor(0, 9n)).toEqual(at(0, 3n));
    expect(follower.endOffsetFor(1, 9n)).toEqual(at(1, 6n));
  });

  it('refuses a negative epoch or offset', async () => {
    const cache = new LeaderEpochCache();
    await expect(cache.assign(-1, 0n)).rejects.toThrow(RangeError);
    await expect(cache.assign(0, -1n)).rejects.toThrow(RangeError);
    expect(cache.entries()).toEqual([]);
  });

  it('assignAll applies assign to each entry in turn', async () => {
    const cache = new LeaderEpochCache();
    await cache.assignAll([e(1, 0n), e(1, 4n), e(3, 10n), e(2, 12n), e(5, 12n)]);
    expect(cache.entries()).toEqual([e(1, 0n), e(3, 10n), e(5, 12n)]);
  });
});

describe('LeaderEpochCache.endOffsetFor (Kafka\'s answers)', () => {
  it('answers the log end offset for the latest epoch', async () => {
    expect((await cacheWith([2, 11n], [2, 12n])).endOffsetFor(2, 14n)).toEqual(at(2, 14n));
    expect((await cacheWith([2, 6n])).endOffsetFor(2, 7n)).toEqual(at(2, 7n));
  });

  it('answers UNDEFINED for the undefined epoch, an empty cache, or an epoch above the latest', async () => {
    expect((await cacheWith([2, 11n], [3, 12n])).endOffsetFor(UNDEFINED_EPOCH, 0n)).toEqual(UNDEFINED);
    expect(new LeaderEpochCache().endOffsetFor(UNDEFINED_EPOCH, 73n)).toEqual(UNDEFINED);
    expect(new LeaderEpochCache().endOffsetFor(0, 0n)).toEqual(UNDEFINED);
    expect(new LeaderEpochCache().endOffsetFor(7, 0n)).toEqual(UNDEFINED);
    expect((await cacheWith([2, 100n])).endOffsetFor(3, 100n)).toEqual(UNDEFINED);
  });

  it('answers the requested epoch ending at the first start offset when it is below the first epoch', async () => {
    expect((await cacheWith([5, 11n], [6, 12n], [7, 13n])).endOffsetFor(4, 0n)).toEqual(at(4, 11n));
  });

  it('answers the largest epoch at or below the requested one, ending where the next begins', async () => {
    const cache = await cacheWith([1, 11n], [1, 12n], [2, 13n], [2, 14n], [3, 15n], [3, 16n]);
    expect(cache.endOffsetFor(2, 17n)).toEqual(at(2, 15n));
    const sparse = await cacheWith([0, 10n], [2, 13n], [4, 17n]);
    expect(sparse.endOffsetFor(1, 0n)).toEqual(at(0, 13n));
    expect(sparse.endOffsetFor(2, 0n)).toEqual(at(2, 17n));
    expect(sparse.endOffsetFor(3, 0n)).toEqual(at(2, 17n));
  });
});

describe('LeaderEpochCache truncation', () => {
  const three = (): Promise<LeaderEpochCache> => cacheWith([2, 6n], [3, 8n], [4, 11n]);

  it('from the end: drops every entry starting at or after the offset', async () => {
    const a = await three();
    await a.truncateFromEnd(8n);
    expect(a.entries()).toEqual([e(2, 6n)]);
    const b = await three();
    await b.truncateFromEnd(9n);
    expect(b.latestEpoch()).toBe(3);
    expect(b.entries()).toEqual([e(2, 6n), e(3, 8n)]);
    const c = await three();
    await c.truncateFromEnd(UNDEFINED_EPOCH_OFFSET);
    expect(c.entries()).toHaveLength(3);
  });

  it('from the start: the entry covering the new start now begins there; an entry at it stays', async () => {
    const cases: [bigint, EpochEntry[]][] = [
      [8n, [e(3, 8n), e(4, 11n)]],
      [1n, [e(2, 6n), e(3, 8n), e(4, 11n)]],
      [6n, [e(2, 6n), e(3, 8n), e(4, 11n)]],
      [11n, [e(4, 11n)]],
      [9n, [e(3, 9n), e(4, 11n)]],
      [15n, [e(4, 15n)]],
      [UNDEFINED_EPOCH_OFFSET, [e(2, 6n), e(3, 8n), e(4, 11n)]],
    ];
    for (const [offset, expected] of cases) {
      const cache = await three();
      await cache.truncateFromStart(offset);
      expect(cache.entries()).toEqual(expected);
    }
    const first = await cacheWith([0, 0n], [1, 7n], [2, 10n]);
    await first.truncateFromStart(5n);
    expect(first.entries()).toEqual([e(0, 5n), e(1, 7n), e(2, 10n)]);
  });

  it('does nothing to an empty cache; clear empties it', async () => {
    const cache = new LeaderEpochCache();
    await cache.truncateFromStart(7n);
    await cache.truncateFromEnd(7n);
    expect(cache.entries()).toEqual([]);
    const full = await three();
    await full.clear();
    expect(full.entries()).toEqual([]);
    expect(full.latestEpoch()).toBe(-1);
  });

  it('epochForOffset names the epoch an offset was written in', async () => {
    const cache = await three();
    expect([5n, 6n, 7n, 8n, 10n, 11n, 100n].map((o) => cache.epochForOffset(o))).toEqual([-1, 2, 2, 3, 3, 4, 4]);
  });
});

describe('LeaderEpochCache persistence hook', () => {
  it('hands it every change, one write at a time, the last one holding the final state', async () => {
    const written: EpochEntry[][] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const cache = new LeaderEpochCache([], async (entries) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise<void>((r) => setImmediate(r));
      written.push([...entries]);
      inFlight--;
    });
    await Promise.all([cache.assign(1, 0n), cache.assign(2, 5n), cache.assign(3, 9n), cache.truncateFromEnd(9n)]);
    expect(maxInFlight).toBe(1);
    expect(written.at(-1)).toEqual([e(1, 0n), e(2, 5n)]);
    expect(written.length).toBeLessThanOrEqual(4);
    // Nothing changed: nothing written.
    const before = written.length;
    await cache.assign(2, 7n);
    await cache.truncateFromEnd(100n);
    await cache.truncateFromStart(0n);
    expect(written.length).toBe(before);
  });

  it('whenWritten waits for the write in flight, failed or not', async () => {
    let release: () => void = () => undefined;
    let done = false;
    const cache = new LeaderEpochCache([], () =>
      new Promise<void>((_resolve, reject) => {
        release = () => {
          done = true;
          reject(new Error('EIO'));
        };
      }),
    );
    await new LeaderEpochCache().whenWritten();
    const assigned = cache.assign(1, 0n).catch(() => undefined);
    const waited = cache.whenWritten().then(() => done);
    release();
    expect(await waited).toBe(true);
    await assigned;
  });

  it('does not write the entries it was built with', async () => {
    let writes = 0;
    const cache = new LeaderEpochCache([e(0, 0n), e(3, 40n)], () => {
      writes++;
      return Promise.resolve();
    });
    expect(cache.latestEpoch()).toBe(3);
    expect(writes).toBe(0);
  });

  it('rejects the change whose write failed, and writes it with the next change', async () => {
    const written: EpochEntry[][] = [];
    let fail = true;
    const cache = new LeaderEpochCache([], (entries) => {
      if (fail) return Promise.reject(new Error('EIO'));
      written.push([...entries]);
      return Promise.resolve();
    });
    await expect(cache.assign(1, 0n)).rejects.toThrow('EIO');
    // The entry is in memory even so (as in Kafka, where the failed write takes the log dir offline).
    expect(cache.latestEpoch()).toBe(1);
    fail = false;
    await cache.assign(2, 10n);
    expect(written).toEqual([[e(1, 0n), e(2, 10n)]]);
  });
});
