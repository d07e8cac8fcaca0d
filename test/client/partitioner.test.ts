/**
 * Kafka's partitioning: murmur2 and the keyed partition choice must equal the Java producer's, so
 * that a key lands on the same partition whichever client wrote it. KafkaJS's DefaultPartitioner is
 * Java-compatible and serves as the reference; the fixed vectors are Kafka's own (UtilsTest).
 */
import { describe, expect, it } from '@jest/globals';
import { createRequire } from 'node:module';
import { Partitioners } from 'kafkajs';
import { StickyPartitioner, murmur2, partitionForKey } from '../../src/client/partitioner.js';

const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer) => number;

describe('murmur2', () => {
  it("gives Kafka's values for its test vectors", () => {
    // org.apache.kafka.common.utils.UtilsTest#testMurmur2
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [s, h] of cases) expect(murmur2(Buffer.from(s))).toBe(h);
  });

  it('agrees with the Java-compatible KafkaJS hash on every tail length', () => {
    let seed = 1;
    for (let len = 0; len < 64; len++) {
      const key = Buffer.alloc(len);
      for (let i = 0; i < len; i++) key[i] = (seed = (seed * 48271) % 2147483647) & 0xff;
      expect(murmur2(key)).toBe(kafkajsMurmur2(key) | 0);
    }
  });

  it('picks the partition the Java producer picks for a key', () => {
    const kafkajs = Partitioners.DefaultPartitioner();
    for (const key of ['user-1', 'user-2', 'order-77', '', 'ключ']) {
      for (const n of [1, 3, 7, 12]) {
        const partitionMetadata = Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));
        expect(partitionForKey(Buffer.from(key), n)).toBe(kafkajs({ topic: 't', partitionMetadata, message: { key: Buffer.from(key), value: null } }));
      }
    }
  });
});

describe('StickyPartitioner', () => {
  it('keeps one partition until a batch worth of bytes went to it, then moves on', () => {
    const sticky = new StickyPartitioner(100);
    const first = sticky.partition('t', [0, 1, 2], 40);
    expect(sticky.partition('t', [0, 1, 2], 40)).toBe(first);
    expect(sticky.partition('t', [0, 1, 2], 40)).toBe(first);
    expect(sticky.partition('t', [0, 1, 2], 40)).not.toBe(first);
  });

  it('stays within the available partitions', () => {
    const sticky = new StickyPartitioner(1);
    for (let i = 0; i < 50; i++) expect([4, 5]).toContain(sticky.partition('t', [4, 5], 10));
    expect(sticky.partition('u', [9], 10)).toBe(9);
  });
});
