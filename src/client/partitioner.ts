/**
 * Kafka's default partitioning, as the Java producer does it: a record with a key goes to
 * toPositive(murmur2(key)) % partitions, so that the same key lands on the same partition whichever
 * client wrote it; a record without a key goes to a "sticky" partition that changes once a batch's
 * worth of bytes has gone to it (KIP-480/KIP-794), which keeps batches full.
 */

/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2): a signed 32-bit hash. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const m = 0x5bd1e995;
  const r = 24;
  let h = (0x9747b28c ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4] & 0xff) | ((data[i4 + 1] & 0xff) << 8) | ((data[i4 + 2] & 0xff) << 16) | ((data[i4 + 3] & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = length & ~3;
  const rest = length % 4;
  if (rest >= 3) h ^= (data[tail + 2] & 0xff) << 16;
  if (rest >= 2) h ^= (data[tail + 1] & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[tail] & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition of a keyed record (Java's BuiltInPartitioner.partitionForKey). */
export function partitionForKey(key: Uint8Array, numPartitions: number): number {
  return (murmur2(key) & 0x7fffffff) % numPartitions;
}

/** Sticky choice for records without a key: one partition per topic until `batchSize` bytes went to it. */
export class StickyPartitioner {
  private readonly current = new Map<string, { partition: number; bytes: number }>();

  constructor(private readonly batchSize: number) {}

  partition(topic: string, available: readonly number[], recordBytes: number): number {
    let entry = this.current.get(topic);
    if (!entry || entry.bytes >= this.batchSize || !available.includes(entry.partition)) {
      const avoid = entry?.partition;
      const choices = avoid !== undefined && available.length > 1 ? available.filter((p) => p !== avoid) : available;
      entry = { partition: choices[Math.floor(Math.random() * choices.length)], bytes: 0 };
      this.current.set(topic, entry);
    }
    entry.bytes += recordBytes;
    return entry.partition;
  }
}
