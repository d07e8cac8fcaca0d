/**
 * Helpers for the storage tests: real v2 batches (built by the protocol layer, so CRCs are real),
 * temporary directories, a controllable clock, and decoding what a read returned.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRecordBatch, type RecordBatchOptions, type RecordInput } from '../../src/protocol/records/batch-builder.js';
import { RecordBatchView } from '../../src/protocol/records/record-batch.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../src/storage/types.js';

/** A batch of `values` (strings), timestamps `ts` (one for all, or per record). */
export function batch(values: string[], ts: number | number[] = 1000, options: RecordBatchOptions = {}): Buffer {
  const records: RecordInput[] = values.map((value, i) => ({ value, timestamp: Array.isArray(ts) ? ts[i] : ts }));
  return buildRecordBatch(records, { now: Array.isArray(ts) ? ts[0] : ts, ...options });
}

/** A batch of one record whose value is `size` bytes (approximately the batch size minus 70). */
export function sizedBatch(size: number, ts = 1000, fill = 0x61): Buffer {
  return buildRecordBatch([{ value: Buffer.alloc(size, fill), timestamp: ts }], { now: ts });
}

export function config(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, ...overrides };
}

export async function tempDir(prefix = 'gregor-storage-'): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export class TestClock {
  constructor(public ms = 1_700_000_000_000) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface DecodedRecord {
  offset: bigint;
  timestamp: bigint;
  value: string | null;
}

/** Views over stored batches (each must be exactly one batch with a valid CRC). */
export function views(records: Buffer[]): RecordBatchView[] {
  return records.map((b) => {
    const v = new RecordBatchView(b);
    if (!v.verifyCrc()) throw new Error(`batch at ${v.baseOffset} fails its CRC`);
    return v;
  });
}

/** Every record of the returned batches, in order. */
export function decode(records: Buffer[]): DecodedRecord[] {
  const out: DecodedRecord[] = [];
  for (const v of views(records)) {
    for (const r of v.records()) out.push({ offset: r.offset, timestamp: r.timestamp, value: r.value === null ? null : r.value.toString() });
  }
  return out;
}

/** Base offsets of the returned batches. */
export function bases(records: Buffer[]): bigint[] {
  return views(records).map((v) => v.baseOffset);
}
