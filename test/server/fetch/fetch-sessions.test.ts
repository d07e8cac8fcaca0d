import { describe, expect, it } from '@jest/globals';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { ZERO_UUID } from '../../../src/protocol/reader.js';
import {
  FetchSessionCache,
  nextEpoch,
  type NewContextRequest,
  type SessionPartitionOutcome,
} from '../../../src/server/fetch/fetch-sessions.js';
import type { FetchPartitionRequest } from '../../../src/partition/fetch-service.js';
import { ManualClock } from '../../../src/util/clock.js';

function part(topic: string, partition: number, fetchOffset = 0n, topicId = ZERO_UUID): FetchPartitionRequest {
  return {
    topic,
    topicId,
    partition,
    fetchOffset,
    partitionMaxBytes: 1024,
    currentLeaderEpoch: -1,
    logStartOffset: -1n,
    lastFetchedEpoch: -1,
  };
}

function req(sessionId: number, sessionEpoch: number, partitions: FetchPartitionRequest[], extra: Partial<NewContextRequest> = {}): NewContextRequest {
  return { sessionId, sessionEpoch, usesTopicIds: false, partitions, forgotten: [], ...extra };
}

const quiet = (hw: bigint, logStart = 0n): SessionPartitionOutcome => ({ errorCode: ErrorCode.None, highWatermark: hw, logStartOffset: logStart, recordsSize: 0 });
const data = (hw: bigint, size = 100): SessionPartitionOutcome => ({ errorCode: ErrorCode.None, highWatermark: hw, logStartOffset: 0n, recordsSize: size });

/** A cache whose session ids come out as 1, 2, 3, ... */
function cache(options: { maxSlots?: number; evictionMs?: number } = {}): { cache: FetchSessionCache; clock: ManualClock } {
  const clock = new ManualClock(1_000_000);
  let n = 0;
  const ids = [1, 2, 3, 4, 5, 6, 7, 8, 9];
  const random = (): number => (ids[n++] - 1) / 0x7ffffffe;
  return { cache: new FetchSessionCache({ clock, random, ...options }), clock };
}

/** Creates a session over `partitions` with the given outcomes; returns its id. */
function open(c: FetchSessionCache, partitions: FetchPartitionRequest[], outcomes = partitions.map(() => quiet(0n)), extra: Partial<NewContextRequest> = {}): number {
  const ctx = c.newContext(req(0, 0, partitions, extra));
  expect(ctx.kind).toBe('full');
  return ctx.complete(outcomes).sessionId;
}

describe('nextEpoch', () => {
  it('counts up from 1 and wraps from 2^31-1 to 1; negative stays final', () => {
    expect(nextEpoch(0)).toBe(1);
    expect(nextEpoch(41)).toBe(42);
    expect(nextEpoch(0x7fffffff)).toBe(1);
    expect(nextEpoch(-1)).toBe(-1);
  });
});

describe('FetchSessionCache contexts', () => {
  it('epoch -1 is a sessionless full fetch: everything answered, session id 0', () => {
    const { cache: c } = cache();
    const ctx = c.newContext(req(0, -1, [part('a', 0), part('a', 1)]));
    expect(ctx.kind).toBe('sessionless');
    expect(ctx.partitions).toHaveLength(2);
    expect(ctx.complete([quiet(5n), quiet(5n)])).toEqual({ errorCode: ErrorCode.None, sessionId: 0, include: [true, true] });
    expect(c.size).toBe(0);
  });

  it('epoch 0 with id 0 creates a session whose next expected epoch is 1', () => {
    const { cache: c } = cache();
    const ctx = c.newContext(req(0, 0, [part('a', 0), part('b', 0)]));
    expect(ctx.kind).toBe('full');
    const done = ctx.complete([quiet(5n), quiet(0n)]);
    expect(done.sessionId).toBe(1);
    expect(done.include).toEqual([true, true]);
    expect(c.expectedEpoch(1)).toBe(1);
    expect(c.totalPartitions).toBe(2);
  });

  it('an incremental fetch reads the whole session but answers only partitions that changed', () => {
    const { cache: c } = cache();
    const id = open(c, [part('a', 0), part('a', 1), part('b', 0), part('b', 1)], [quiet(5n), quiet(5n), quiet(5n), quiet(5n)]);
    const ctx = c.newContext(req(id, 1, []));
    expect(ctx.kind).toBe('incremental');
    expect(ctx.partitions.map((p) => `${p.topic}-${p.partition}`)).toEqual(['a-0', 'a-1', 'b-0', 'b-1']);
    const done = ctx.complete([
      quiet(5n), // nothing new
      data(9n), // new records
      quiet(6n), // high watermark moved
      quiet(5n, 3n), // log start offset moved
    ]);
    expect(done).toEqual({ errorCode: ErrorCode.None, sessionId: id, include: [false, true, true, true] });
    // The next one with nothing changed answers nothing.
    const again = c.newContext(req(id, 2, []));
    expect(again.complete([quiet(5n), quiet(9n), quiet(6n), quiet(5n, 3n)]).include).toEqual([false, false, false, false]);
  });

  it('errors are always answered, and the partition is answered again once the error is gone', () => {
    const { cache: c } = cache();
    const id = open(c, [part('a', 0)], [quiet(5n)]);
    const err: SessionPartitionOutcome = { errorCode: ErrorCode.OffsetOutOfRange, highWatermark: -1n, logStartOffset: -1n, recordsSize: 0 };
    expect(c.newContext(req(id, 1, [])).complete([err]).include).toEqual([true]);
    expect(c.newContext(req(id, 2, [])).complete([err]).include).toEqual([true]);
    // Back to the state before the error: still sent, since the client saw only the error.
    expect(c.newContext(req(id, 3, [])).complete([quiet(5n)]).include).toEqual([true]);
    expect(c.newContext(req(id, 4, [])).complete([quiet(5n)]).include).toEqual([false]);
  });

  it('incremental requests add and update partitions; forgotten topics remove them', () => {
    const { cache: c } = cache();
    const id = open(c, [part('a', 0, 10n), part('a', 1, 20n)]);
    const ctx = c.newContext(
      req(id, 1, [part('a', 1, 25n), part('b', 0, 7n)], { forgotten: [{ topic: 'a', topicId: ZERO_UUID, partitions: [0] }] }),
    );
    expect(ctx.partitions.map((p) => [p.topic, p.partition, p.fetchOffset])).toEqual([
      ['a', 1, 25n],
      ['b', 0, 7n],
    ]);
    // a-1 is as it was (a new fetch offset alone is nothing to answer); b-0 is new: answered.
    expect(ctx.complete([quiet(0n), quiet(0n)]).include).toEqual([false, true]);
  });

  it('forgetting every partition closes the session and answers sessionless', () => {
    const { cache: c } = cache();
    const id = open(c, [part('a', 0)]);
    const ctx = c.newContext(req(id, 1, [], { forgotten: [{ topic: 'a', topicId: ZERO_UUID, partitions: [0] }] }));
    expect(ctx.kind).toBe('sessionless');
    expect(ctx.partitions).toHaveLength(0);
    expect(ctx.complete([]).sessionId).toBe(0);
    expect(c.has(id)).toBe(false);
  });

  it('an unknown session id is FETCH_SESSION_ID_NOT_FOUND; a wrong epoch INVALID_FETCH_SESSION_EPOCH', () => {
    const { cache: c } = cache();
    const id = open(c, [part('a', 0)]);
    const missing = c.newContext(req(id + 100, 1, [part('a', 0)]));
    expect(missing.errorCode).toBe(ErrorCode.FetchSessionIdNotFound);
    expect(missing.partitions).toHaveLength(0);
    expect(missing.complete([])).toEqual({ errorCode: ErrorCode.FetchSessionIdNotFound, sessionId: 0, include: [] });

    const early = c.newContext(req(id, 2, []));
    expect(early.errorCode).toBe(ErrorCode.InvalidFetchSessionEpoch);
    c.newContext(req(id, 1, [])).complete([quiet(0n)]);
    // A retry of epoch 1 after it was used.
    expect(c.newContext(req(id, 1, [])).errorCode).toBe(ErrorCode.InvalidFetchSessionEpoch);
    // The session survives a bad epoch: the right one still works.
    expect(c.newContext(req(id, 2, [])).kind).toBe('incremental');
  });

  it('a session keeps its way of naming topics: FETCH_SESSION_TOPIC_ID_ERROR when it changes', () => {
    const { cache: c } = cache();
    const topicId = '6f1c2b7e-0000-4000-8000-000000000001';
    const byId = open(c, [part('', 0, 0n, topicId)], [quiet(0n)], { usesTopicIds: true });
    expect(c.newContext(req(byId, 1, [], { usesTopicIds: false })).errorCode).toBe(ErrorCode.FetchSessionTopicIdError);
    const byName = open(c, [part('a', 0)]);
    expect(c.newContext(req(byName, 1, [], { usesTopicIds: true })).errorCode).toBe(ErrorCode.FetchSessionTopicIdError);
    // Sessions by id forget by id.
    const ctx = c.newContext(req(byId, 1, [], { usesTopicIds: true, forgotten: [{ topic: '', topicId, partitions: [0] }] }));
    expect(ctx.kind).toBe('sessionless');
  });

  it('a full fetch naming a session closes it; epoch -1 then makes no new one', () => {
    const { cache: c } = cache();
    const id = open(c, [part('a', 0)]);
    const ctx = c.newContext(req(id, -1, [part('a', 0)]));
    expect(ctx.kind).toBe('sessionless');
    expect(c.has(id)).toBe(false);
    const id2 = open(c, [part('a', 0)]);
    const reopen = c.newContext(req(id2, 0, [part('a', 0)]));
    expect(c.has(id2)).toBe(false);
    const id3 = reopen.complete([quiet(0n)]).sessionId;
    expect(id3).not.toBe(id2);
    expect(c.has(id3)).toBe(true);
  });

  it('a request overtaken by another of the same session answers INVALID_FETCH_SESSION_EPOCH', () => {
    const { cache: c } = cache();
    const id = open(c, [part('a', 0)]);
    const first = c.newContext(req(id, 1, []));
    const second = c.newContext(req(id, 2, []));
    expect(second.complete([data(1n)]).include).toEqual([true]);
    expect(first.complete([data(1n)])).toEqual({ errorCode: ErrorCode.InvalidFetchSessionEpoch, sessionId: id, include: [] });
  });

  it('partitions that answered move to the back of the session order', () => {
    const { cache: c } = cache();
    const id = open(c, [part('a', 0), part('a', 1), part('a', 2)]);
    c.newContext(req(id, 1, [])).complete([data(1n), quiet(0n), quiet(0n)]);
    const ctx = c.newContext(req(id, 2, []));
    expect(ctx.partitions.map((p) => p.partition)).toEqual([1, 2, 0]);
  });

  it('with no slots, full fetches get no session', () => {
    const { cache: c } = cache({ maxSlots: 0 });
    expect(open(c, [part('a', 0)])).toBe(0);
    expect(c.size).toBe(0);
  });

  it('a repeated partition in a full fetch is kept once, with its last parameters', () => {
    const { cache: c } = cache();
    const ctx = c.newContext(req(0, 0, [part('a', 0, 1n), part('a', 1), part('a', 0, 9n)]));
    expect(ctx.partitions.map((p) => [p.partition, p.fetchOffset])).toEqual([
      [0, 9n],
      [1, 0n],
    ]);
  });
});

describe('FetchSessionCache eviction', () => {
  it('when full, a new session gets none while the others are young and not smaller', () => {
    const { cache: c } = cache({ maxSlots: 2, evictionMs: 1000 });
    open(c, [part('a', 0), part('a', 1)]);
    open(c, [part('b', 0), part('b', 1)]);
    expect(open(c, [part('c', 0), part('c', 1), part('c', 2)])).toBe(0);
    expect(c.size).toBe(2);
  });

  it('a session unused for longer than the eviction time makes room', () => {
    const { cache: c, clock } = cache({ maxSlots: 2, evictionMs: 1000 });
    const first = open(c, [part('a', 0), part('a', 1), part('a', 2)]);
    clock.advance(600);
    const second = open(c, [part('b', 0), part('b', 1), part('b', 2)]);
    clock.advance(600);
    // `second` is in use; `first` has been idle 1200 ms.
    c.newContext(req(second, 1, [])).complete([quiet(0n), quiet(0n), quiet(0n)]);
    const third = open(c, [part('c', 0)]);
    expect(third).not.toBe(0);
    expect(c.has(first)).toBe(false);
    expect(c.has(second)).toBe(true);
    expect(c.evictions).toBe(1);
  });

  it('a larger session evicts the smallest one older than the eviction time', () => {
    const { cache: c, clock } = cache({ maxSlots: 2, evictionMs: 1000 });
    const small = open(c, [part('a', 0)]);
    const big = open(c, [part('b', 0), part('b', 1), part('b', 2)]);
    clock.advance(1500);
    // Both stay in use, so neither is stale.
    c.newContext(req(small, 1, [])).complete([quiet(0n)]);
    c.newContext(req(big, 1, [])).complete([quiet(0n), quiet(0n), quiet(0n)]);
    // Not larger than the smallest: no session.
    expect(open(c, [part('c', 0)])).toBe(0);
    const medium = open(c, [part('c', 0), part('c', 1)]);
    expect(medium).not.toBe(0);
    expect(c.has(small)).toBe(false);
    expect(c.has(big)).toBe(true);
  });

  it('a privileged (follower) session evicts a young consumer session', () => {
    const { cache: c } = cache({ maxSlots: 1, evictionMs: 1000 });
    const consumer = open(c, [part('a', 0), part('a', 1)]);
    const follower = open(c, [part('b', 0)], [quiet(0n)], { privileged: true });
    expect(follower).not.toBe(0);
    expect(c.has(consumer)).toBe(false);
    // A consumer cannot evict the young follower session.
    expect(open(c, [part('c', 0), part('c', 1), part('c', 2)])).toBe(0);
  });
});
