/**
 * The suite's own checks, checked: the verifier must notice every kind of damage a broker could do
 * (a lost, duplicated, reordered or altered message, a changed header, a key split across
 * partitions), and the kcat output parser must read binary keys and values exactly.
 */
import { parseConsumed } from '../clients/kcat.js';
import { makeMessages, verifyConsumed } from './messages.js';
import type { InMessage, OutMessage } from './types.js';

const expected = makeMessages({ count: 300, seed: 'self-check', headers: 'per-message' });

/** What a correct broker gives back: keys hashed to 3 partitions, offsets in production order. */
function faithful(messages: OutMessage[]): InMessage[] {
  const next = [0, 0, 0];
  return messages.map((m) => {
    const partition = m.key!.reduce((a, b) => a + b, 0) % 3;
    return { partition, offset: next[partition]++, key: m.key, value: m.value, headers: m.headers, timestamp: 1 };
  });
}

describe('verifyConsumed', () => {
  test('accepts a faithful read-back, in any interleaving of partitions', () => {
    const got = faithful(expected);
    expect(verifyConsumed(expected, got, { partitions: 3 })).toEqual([]);
    expect(verifyConsumed(expected, [...got].sort((a, b) => a.partition - b.partition), { partitions: 3 })).toEqual([]);
  });

  test.each([
    ['a lost message', (g: InMessage[]) => g.splice(17, 1), /never consumed|expected 300/],
    ['a duplicate', (g: InMessage[]) => g.push({ ...g[5], offset: 999 }), /twice|expected 300/],
    ['two messages of a partition swapped', (g: InMessage[]) => { swapWithinPartition(g); }, /order lost/],
    ['a flipped value byte', (g: InMessage[]) => (g[40] = { ...g[40], value: flip(g[40].value!, 10) }), /unexpected message/],
    ['a changed header', (g: InMessage[]) => (g[41] = { ...g[41], headers: [{ key: 'idx', value: Buffer.from('x') }] }), /headers/],
    ['a key in two partitions', (g: InMessage[]) => { moveToOtherPartition(g); }, /partitions/],
    ['a repeated offset', (g: InMessage[]) => (g[60] = { ...g[60], offset: g.find((m) => m.partition === g[60].partition)!.offset }), /twice|order/],
  ] as const)('notices %s', (_what, damage, pattern) => {
    const got = faithful(expected);
    damage(got);
    const problems = verifyConsumed(expected, got, { partitions: 3 });
    expect(problems.join('\n')).toMatch(pattern);
  });
});

function flip(b: Buffer, at: number): Buffer {
  const c = Buffer.from(b);
  c[at] = c[at] ^ 0xff;
  return c;
}

function swapWithinPartition(g: InMessage[]): void {
  const p0 = g.map((m, i) => [m, i] as const).filter(([m]) => m.partition === 0);
  const [a, b] = [p0[3], p0[4]];
  g[a[1]] = { ...b[0], offset: a[0].offset };
  g[b[1]] = { ...a[0], offset: b[0].offset };
}

function moveToOtherPartition(g: InMessage[]): void {
  const i = g.findIndex((m) => m.partition === 0);
  g[i] = { ...g[i], partition: 1, offset: 10_000 };
}

describe('kcat output', () => {
  test('binary keys and values, null key, empty value, headers', () => {
    const value = Buffer.from([0x40, 0x0a, 0x00, 0xff, 0x2c, 0x3d, 0x40]); // '@', '\n', ',', '=' inside
    const out = Buffer.concat([
      Buffer.from(`@2,17,1700000000000,3,${value.length}@`),
      Buffer.from('k@\n'),
      value,
      Buffer.from('@idx=5,seed=a.b:c\n'),
      Buffer.from('@0,0,5,-1,0@@\n'),
    ]);
    const [a, b] = parseConsumed(out);
    expect(a).toEqual({
      partition: 2,
      offset: 17,
      timestamp: 1700000000000,
      key: Buffer.from('k@\n'),
      value,
      headers: [
        { key: 'idx', value: Buffer.from('5') },
        { key: 'seed', value: Buffer.from('a.b:c') },
      ],
    });
    expect(b).toEqual({ partition: 0, offset: 0, timestamp: 5, key: null, value: Buffer.alloc(0), headers: [] });
  });
});
