import { afterEach, describe, expect, it } from '@jest/globals';
import { readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { buildRecordBatch, RecordBatchView } from '../../src/protocol/records/index.js';
import { CLEANED_SUFFIX, DiskCleanedSegment, SWAP_SUFFIX } from '../../src/storage/cleaned-segment.js';
import { openDiskPartitionLog, type DiskPartitionLog } from '../../src/storage/disk-partition-log.js';
import { LogCleaner } from '../../src/storage/log-cleaner.js';
import { openStorageFile } from '../../src/storage/segment-files.js';
import { DEFAULT_COMPACTION_CONFIG } from '../../src/storage/types.js';
import { ManualClock } from '../../src/util/clock.js';
import { config, tempDir } from './helpers.js';

const dirs: { remove: () => Promise<void> }[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await d.remove();
});

const cfg = config({ compaction: { ...DEFAULT_COMPACTION_CONFIG, minCleanableDirtyRatio: 0.01 } });

function kv(key: string, value: string, offset: bigint): Buffer {
  return buildRecordBatch([{ key, value, timestamp: 1000 }], { now: 1000, baseOffset: offset });
}

async function values(log: DiskPartitionLog): Promise<string[]> {
  const r = await log.read(log.logStartOffset, { maxBytes: 1 << 20 });
  const out: string[] = [];
  for (const b of r.records) for (const rec of new RecordBatchView(b).records()) out.push(`${rec.offset}:${rec.value?.toString() ?? ''}`);
  return out;
}

/** A log of four segments (0, 1, 2, active 3), one record each, closed cleanly. */
async function fourSegments(): Promise<string> {
  const d = await tempDir('gregor-swap-');
  dirs.push(d);
  const dir = join(d.path, 't-0');
  const log = await openDiskPartitionLog(dir, 't', 0, cfg, { cleanShutdown: true });
  for (const v of ['a', 'b', 'c', 'd']) {
    await log.append(buildRecordBatch([{ key: 'k', value: v, timestamp: 1000 }], { now: 1000 }), { leaderEpoch: 0 });
    if (v !== 'd') await log.roll();
  }
  await log.close();
  return dir;
}

/** A cleaned segment at base 0 holding offset 1's record only (what cleaning segments 0 and 1 leaves). */
async function cleanedOf01(dir: string): Promise<DiskCleanedSegment> {
  const seg = await DiskCleanedSegment.create(dir, 0n, 4096, 1 << 20, openStorageFile);
  await seg.append([kv('k', 'b', 1n)]);
  await seg.finish(Date.now());
  return seg;
}

describe('cleaned segment swap and recovery', () => {
  it('opening removes .cleaned files of a swap that never began', async () => {
    const dir = await fourSegments();
    await cleanedOf01(dir);
    expect((await readdir(dir)).filter((n) => n.endsWith(CLEANED_SUFFIX))).toHaveLength(3);
    const log = await openDiskPartitionLog(dir, 't', 0, cfg, { cleanShutdown: true });
    expect(await values(log)).toEqual(['0:a', '1:b', '2:c', '3:d']);
    expect((await readdir(dir)).filter((n) => n.endsWith(CLEANED_SUFFIX))).toEqual([]);
    await log.close();
  });

  it('opening completes a swap left with its .swap files, old segments still there', async () => {
    const dir = await fourSegments();
    const seg = await cleanedOf01(dir);
    await seg.renameAll(CLEANED_SUFFIX, SWAP_SUFFIX);
    const log = await openDiskPartitionLog(dir, 't', 0, cfg, { cleanShutdown: true });
    expect(log.segmentBaseOffsets()).toEqual([0n, 2n, 3n]);
    expect(await values(log)).toEqual(['1:b', '2:c', '3:d']);
    const names = await readdir(dir);
    expect(names.filter((n) => n.endsWith(SWAP_SUFFIX))).toEqual([]);
    expect(names.filter((n) => n.startsWith('00000000000000000001.'))).toEqual([]);
    await log.close();
  });

  it('opening completes a swap whose log file was renamed but not its indexes, the old segments deleted', async () => {
    const dir = await fourSegments();
    const seg = await cleanedOf01(dir);
    await seg.renameAll(CLEANED_SUFFIX, SWAP_SUFFIX);
    for (const kind of ['log', 'index', 'timeindex']) await unlink(join(dir, `00000000000000000001.${kind}`));
    await rename(seg.path('log', SWAP_SUFFIX), seg.path('log'));
    const log = await openDiskPartitionLog(dir, 't', 0, cfg, { cleanShutdown: true });
    expect(await values(log)).toEqual(['1:b', '2:c', '3:d']);
    expect((await readdir(dir)).filter((n) => n.endsWith(SWAP_SUFFIX))).toEqual([]);
    await log.close();
  });

  it('a cleaned log reopens with the same records and rebuilt indexes answer reads by offset', async () => {
    const dir = await fourSegments();
    const clock = new ManualClock(1_000_000);
    let log = await openDiskPartitionLog(dir, 't', 0, cfg, { cleanShutdown: true, clock: () => clock.now() });
    const cleaner = new LogCleaner({ logs: () => [log], clock, producers: () => Promise.resolve(new Map()) });
    await cleaner.cleanNow();
    expect(await values(log)).toEqual(['2:c', '3:d']);
    await log.close();
    log = await openDiskPartitionLog(dir, 't', 0, cfg, { cleanShutdown: false, clock: () => clock.now() });
    expect(await values(log)).toEqual(['2:c', '3:d']);
    const hole = await log.read(1n, { maxBytes: 1 });
    expect(new RecordBatchView(hole.records[0]).baseOffset).toBe(2n);
    expect(log.logEndOffset).toBe(4n);
    await log.close();
  });
});
