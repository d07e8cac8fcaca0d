import { describe, expect, it } from '@jest/globals';
import { coordinatorPartitionFor, javaStringHash } from '../../src/util/java-string-hash.js';

describe('javaStringHash', () => {
  it('hashes strings as String.hashCode does', () => {
    expect(javaStringHash('')).toBe(0);
    expect(javaStringHash('a')).toBe(97);
    expect(javaStringHash('retention.ms')).toBe(-1339220362);
    // Values from String.hashCode() on the JVM; overflows wrap in 32 bits.
    expect(javaStringHash('follower.replication.throttled.replicas')).toBe(-1934107423);
  });
});

describe('coordinatorPartitionFor', () => {
  it('takes the absolute hash modulo the partition count, as Kafka places groups and transactional ids', () => {
    expect(coordinatorPartitionFor('a', 50)).toBe(97 % 50);
    // -1339220362 -> 1339220362 % 50
    expect(coordinatorPartitionFor('retention.ms', 50)).toBe(12);
    expect(coordinatorPartitionFor('anything', 1)).toBe(0);
  });

  it('maps Integer.MIN_VALUE to partition 0 (Utils.abs)', () => {
    // "polygenelubricants".hashCode() is Integer.MIN_VALUE.
    expect(javaStringHash('polygenelubricants')).toBe(-0x80000000);
    expect(coordinatorPartitionFor('polygenelubricants', 7)).toBe(0);
  });
});
