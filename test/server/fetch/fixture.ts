/**
 * Shared set-up of the read-path tests: an in-process memory broker, topics made through the
 * metadata store, and batches appended through their Partition (the produce path's ordered append,
 * producer-state checks, high watermark and fetch wake-ups, without the Produce request around it).
 */
import { Broker } from '../../../src/broker.js';
import { buildRecordBatch, RecordBatchView, splitBatches, type RecordBatchOptions, type RecordInput } from '../../../src/protocol/records/index.js';
import type { AppendResult } from '../../../src/storage/types.js';

export async function startMemoryBroker(config: Record<string, string | number | boolean> = {}): Promise<Broker> {
  return Broker.start({ port: 0, storage: 'memory', config });
}

export async function createTopic(broker: Broker, name: string, partitions = 1, configs: Record<string, string> = {}): Promise<string> {
  const r = await broker.services.metadata.createTopic({
    name,
    numPartitions: partitions,
    replicationFactor: -1,
    configs: new Map(Object.entries(configs)),
    validateOnly: false,
  });
  if (r.errorCode !== 0) throw new Error(`createTopic ${name}: ${r.errorCode} ${r.errorMessage}`);
  return r.topic!.topicId;
}

/** Records "k<i>"/"v<i>" for i in [from, from + n). */
export function records(n: number, from = 0, extra: Partial<RecordInput> = {}): RecordInput[] {
  return Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}`, ...extra }));
}

export async function append(
  broker: Broker,
  topic: string,
  partition: number,
  recs: RecordInput[],
  options: RecordBatchOptions = {},
): Promise<AppendResult> {
  const p = broker.services.partitions.get(topic, partition);
  if (!p) throw new Error(`no partition ${topic}-${partition}`);
  return p.append(buildRecordBatch(recs, options));
}

export interface BatchSummary {
  baseOffset: bigint;
  lastOffset: bigint;
  count: number;
  size: number;
}

/** The v2 batches of a records buffer, summarized. */
export function batchesOf(buf: Buffer | null): BatchSummary[] {
  if (!buf || buf.length === 0) return [];
  return splitBatches(buf, { allowPartialTail: true }).map((e) => {
    const v = new RecordBatchView(buf, e.start, e.end);
    return { baseOffset: v.baseOffset, lastOffset: v.lastOffset, count: v.recordCount, size: e.end - e.start };
  });
}

/** Values of every record in a v2 records buffer, in order. */
export function valuesOf(buf: Buffer | null): string[] {
  if (!buf || buf.length === 0) return [];
  return splitBatches(buf, { allowPartialTail: true }).flatMap((e) =>
    new RecordBatchView(buf, e.start, e.end).readRecords().map((r) => r.value?.toString() ?? 'null'),
  );
}

/** Lets settled promises and one round of I/O run. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Whether `p` has settled, after letting pending work run. */
export async function isSettled(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 5; i++) await tick();
  return settled;
}
