/** Java's String.hashCode(): s[0]*31^(n-1) + ... + s[n-1] over UTF-16 code units, in 32-bit arithmetic. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * The partition of an internal topic (__consumer_offsets, __transaction_state) that owns a group
 * id or transactional id: Kafka's `Utils.abs(key.hashCode()) % partitionCount`, where Utils.abs
 * maps Integer.MIN_VALUE to 0.
 */
export function coordinatorPartitionFor(key: string, partitionCount: number): number {
  const h = javaStringHash(key);
  return (h === -0x80000000 ? 0 : Math.abs(h)) % partitionCount;
}
