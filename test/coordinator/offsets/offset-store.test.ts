import { describe, expect, it } from '@jest/globals';
import { OffsetStore } from '../../../src/coordinator/offsets/offset-store.js';

const o = (commitTimestamp: number, expireTimestamp = -1) => ({ offset: 1n, leaderEpoch: -1, metadata: '', commitTimestamp, expireTimestamp });

describe('OffsetStore', () => {
  it('keeps offsets by group, topic and partition, and forgets empty groups', () => {
    const s = new OffsetStore();
    s.put('g', 't', 0, o(1));
    s.put('g', 'u', 1, o(2));
    expect([...s.offsetsOf('g')].map(([t, p]) => `${t}-${p}`)).toEqual(['t-0', 'u-1']);
    expect([...s.partitionsOfTopic('u')]).toEqual([['g', 1]]);
    s.delete('g', 't', 0);
    s.delete('g', 'u', 1);
    expect(s.hasOffsets('g')).toBe(false);
    s.delete('none', 't', 0);
  });

  it('expired: by the expire timestamp when set, else retention after the base time; kept topics and pending commits never', () => {
    const s = new OffsetStore();
    s.put('g', 'old', 0, o(0));
    s.put('g', 'new', 0, o(900));
    s.put('g', 'explicit', 0, o(990, 1000));
    s.put('g', 'kept', 0, o(0));
    s.put('g', 'pending', 0, o(0));
    const pending = [{ topic: 'pending', partition: 0 }];
    s.beginPending('g', pending);
    const expired = s.expired('g', 1000, 500, (x) => x.commitTimestamp, new Set(['kept']));
    expect(expired.map((e) => e.topic).sort()).toEqual(['explicit', 'old']);
    s.endPending('g', pending);
    expect(s.hasPending('g')).toBe(false);
    expect(s.expired('g', 1000, 500, () => 0).map((e) => e.topic).sort()).toEqual(['explicit', 'kept', 'new', 'old', 'pending']);
  });

  it('counts pending commits per partition', () => {
    const s = new OffsetStore();
    const tp = [{ topic: 't', partition: 0 }];
    s.beginPending('g', tp);
    s.beginPending('g', tp);
    s.endPending('g', tp);
    expect(s.hasPending('g', 't', 0)).toBe(true);
    expect(s.hasPending('g', 't', 1)).toBe(false);
    s.endPending('g', tp);
    expect(s.hasPending('g', 't', 0)).toBe(false);
  });
});
