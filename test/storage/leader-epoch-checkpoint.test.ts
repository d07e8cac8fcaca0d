/**
 * `leader-epoch-checkpoint`: Kafka's text format, and the disk log keeping it: written when the
 * epochs change, loaded on open, rebuilt from the batches when missing or damaged (with a warning,
 * no data touched), trimmed to what recovery kept and to the log start.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { readdir, readFile, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { DiskPartitionLog, openDiskPartitionLog } from '../../src/storage/disk-partition-log.js';
import {
  formatLeaderEpochCheckpoint,
  LEADER_EPOCH_CHECKPOINT_FILE,
  parseLeaderEpochCheckpoint,
  readLeaderEpochCheckpoint,
  writeLeaderEpochCheckpoint,
} from '../../src/storage/leader-epoch-checkpoint.js';
import { openStorageFile, segmentFileName, type OpenFile } from '../../src/storage/segment-files.js';
import { StorageError, type LogConfig } from '../../src/storage/types.js';
import type { Logger } from '../../src/util/logger.js';
import { batch, config, decode, tempDir } from './helpers.js';

const dirs: { remove: () => Promise<void> }[] = [];
const logs: DiskPartitionLog[] = [];
afterEach(async () => {
  for (const l of logs.splice(0)) await l.close().catch(() => undefined);
  for (const d of dirs.splice(0)) await d.remove();
});

async function partitionDir(): Promise<string> {
  const d = await tempDir('gregor-epochs-');
  dirs.push(d);
  return join(d.path, 't-0');
}

function capture(): { logger: Logger; lines: { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) });
  return { logger, lines };
}

async function open(dir: string, options: { cleanShutdown?: boolean; logger?: Logger; config?: LogConfig } = {}): Promise<DiskPartitionLog> {
  const log = await openDiskPartitionLog(dir, 't', 0, options.config ?? config(), {
    cleanShutdown: options.cleanShutdown ?? true,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  logs.push(log);
  return log;
}

async function close(log: DiskPartitionLog): Promise<void> {
  await log.close();
  logs.splice(logs.indexOf(log), 1);
}

const fileText = (dir: string): Promise<string> => readFile(join(dir, LEADER_EPOCH_CHECKPOINT_FILE), 'utf8');
const values = async (log: DiskPartitionLog): Promise<(string | null)[]> =>
  decode((await log.read(log.logStartOffset, { maxBytes: 1 << 20 })).records).map((r) => r.value);

/** A log holding a (epoch 0), b c (epoch 2), d (epoch 5): offsets 0, 1-2, 3. */
async function threeEpochs(dir: string): Promise<DiskPartitionLog> {
  const log = await open(dir);
  await log.append(batch(['a']), { leaderEpoch: 0 });
  await log.append(batch(['b', 'c']), { leaderEpoch: 2 });
  await log.append(batch(['d']), { leaderEpoch: 5 });
  return log;
}
const THREE = [
  { epoch: 0, startOffset: 0n },
  { epoch: 2, startOffset: 1n },
  { epoch: 5, startOffset: 3n },
];

describe('the leader-epoch-checkpoint format', () => {
  it('is Kafka\'s: version 0, the count, then one "epoch startOffset" line per entry', () => {
    expect(formatLeaderEpochCheckpoint(THREE)).toBe('0\n3\n0 0\n2 1\n5 3\n');
    expect(formatLeaderEpochCheckpoint([])).toBe('0\n0\n');
    expect(parseLeaderEpochCheckpoint('0\n3\n0 0\n2 1\n5 3\n')).toEqual({ entries: THREE });
    // Kafka splits entry lines on any white space.
    expect(parseLeaderEpochCheckpoint('0\n1\n7\t  9000000000000\n')).toEqual({ entries: [{ epoch: 7, startOffset: 9_000_000_000_000n }] });
  });

  it('names what is wrong with a damaged file', () => {
    const problem = (text: string): string => {
      const r = parseLeaderEpochCheckpoint(text);
      if (!('problem' in r)) throw new Error(`parsed ${text}`);
      return r.problem;
    };
    expect(problem('')).toMatch(/empty/);
    expect(problem('1\n0\n')).toMatch(/version/);
    expect(problem('0\nx\n')).toMatch(/number of entries/);
    expect(problem('0\n2\n0 0\n')).toMatch(/expected 2 entries, found 1/);
    expect(problem('0\n1\n0 0 0\n')).toMatch(/malformed line 3/);
    expect(problem('0\n1\n-1 0\n')).toMatch(/malformed line 3/);
    expect(problem('0\n2\n3 10\n2 20\n')).toMatch(/does not follow/);
    expect(problem('0\n2\n3 10\n4 10\n')).toMatch(/does not follow/);
  });

  it('is replaced whole, leaving no temporary file', async () => {
    const dir = await partitionDir();
    await open(dir); // creates the folder
    await writeLeaderEpochCheckpoint(dir, THREE);
    expect(await readLeaderEpochCheckpoint(dir)).toEqual({ entries: THREE });
    await writeLeaderEpochCheckpoint(dir, THREE.slice(0, 1));
    expect(await fileText(dir)).toBe('0\n1\n0 0\n');
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await unlink(join(dir, LEADER_EPOCH_CHECKPOINT_FILE));
    expect(await readLeaderEpochCheckpoint(dir)).toEqual({ missing: true });
  });
});

describe('the disk log\'s leader-epoch-checkpoint', () => {
  it('is written as epochs begin and read back on open', async () => {
    const dir = await partitionDir();
    const log = await threeEpochs(dir);
    expect(await fileText(dir)).toBe('0\n3\n0 0\n2 1\n5 3\n');
    await close(log);
    const again = await open(dir);
    expect(again.leaderEpochs.entries()).toEqual(THREE);
    expect(again.leaderEpochs.endOffsetFor(2, again.logEndOffset)).toEqual({ leaderEpoch: 2, endOffset: 3n });
  });

  it('a new, empty log writes none until its first epoch', async () => {
    const dir = await partitionDir();
    const log = await open(dir);
    expect(await readdir(dir)).not.toContain(LEADER_EPOCH_CHECKPOINT_FILE);
    await log.append(batch(['x']), { leaderEpoch: 4 });
    expect(await fileText(dir)).toBe('0\n1\n4 0\n');
  });

  it('is rebuilt from the batches when damaged, with a warning, every record kept', async () => {
    const dir = await partitionDir();
    await close(await threeEpochs(dir));
    await writeFile(join(dir, LEADER_EPOCH_CHECKPOINT_FILE), '0\n3\n0 0\n2 1\n');
    const { logger, lines } = capture();
    const log = await open(dir, { logger });
    expect(log.leaderEpochs.entries()).toEqual(THREE);
    expect(await fileText(dir)).toBe('0\n3\n0 0\n2 1\n5 3\n');
    expect(await values(log)).toEqual(['a', 'b', 'c', 'd']);
    const warnings = lines.filter((l) => l.level === 40).map((l) => l.msg);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(LEADER_EPOCH_CHECKPOINT_FILE);
    expect(warnings[0]).toContain('expected 3 entries, found 2');
    expect(warnings[0]).toContain('rebuilt');
  });

  it('is rebuilt when a crash left it empty, and when it is missing (said at info level)', async () => {
    const dir = await partitionDir();
    await close(await threeEpochs(dir));
    await writeFile(join(dir, LEADER_EPOCH_CHECKPOINT_FILE), '');
    const first = await open(dir, { cleanShutdown: false });
    expect(first.leaderEpochs.entries()).toEqual(THREE);
    await close(first);
    await unlink(join(dir, LEADER_EPOCH_CHECKPOINT_FILE));
    const { logger, lines } = capture();
    const second = await open(dir, { logger });
    expect(second.leaderEpochs.entries()).toEqual(THREE);
    expect(lines.filter((l) => l.level === 30 && l.msg.includes(`no ${LEADER_EPOCH_CHECKPOINT_FILE}`))).toHaveLength(1);
    expect(await fileText(dir)).toBe('0\n3\n0 0\n2 1\n5 3\n');
  });

  it('rebuilds across segments, ignoring batches written without an epoch', async () => {
    const dir = await partitionDir();
    const log = await open(dir);
    await log.append(batch(['a']), { leaderEpoch: -1 });
    await log.roll();
    await log.append(batch(['b']), { leaderEpoch: 1 });
    await log.roll();
    await log.append(batch(['c']), { leaderEpoch: 1 });
    await log.append(batch(['d']), { leaderEpoch: 3 });
    await close(log);
    await unlink(join(dir, LEADER_EPOCH_CHECKPOINT_FILE));
    const again = await open(dir);
    expect(again.leaderEpochs.entries()).toEqual([
      { epoch: 1, startOffset: 1n },
      { epoch: 3, startOffset: 3n },
    ]);
  });

  it('drops the epochs of a torn tail that recovery cut', async () => {
    const dir = await partitionDir();
    const log = await threeEpochs(dir);
    await close(log);
    // The last batch (epoch 5) torn by a crash.
    const active = join(dir, segmentFileName(0n, 'log'));
    await truncate(active, (await stat(active)).size - 5);
    const again = await open(dir, { cleanShutdown: false });
    expect(again.logEndOffset).toBe(3n);
    expect(again.leaderEpochs.entries()).toEqual(THREE.slice(0, 2));
    expect(await fileText(dir)).toBe('0\n2\n0 0\n2 1\n');
    expect(await values(again)).toEqual(['a', 'b', 'c']);
  });

  it('takes the epochs of batches a crash left out of it from the recovered active segment', async () => {
    const dir = await partitionDir();
    await close(await threeEpochs(dir));
    // The checkpoint as it was before epoch 5's append reached it.
    await writeFile(join(dir, LEADER_EPOCH_CHECKPOINT_FILE), '0\n2\n0 0\n2 1\n');
    const again = await open(dir, { cleanShutdown: false });
    expect(again.leaderEpochs.entries()).toEqual(THREE);
    expect(await fileText(dir)).toBe('0\n3\n0 0\n2 1\n5 3\n');
  });

  it('is trimmed to the log start offset on open (a crash lost the trim)', async () => {
    const dir = await partitionDir();
    const log = await threeEpochs(dir);
    await log.deleteRecordsBefore(2n);
    expect(log.leaderEpochs.entries()).toEqual([{ epoch: 2, startOffset: 2n }, THREE[2]]);
    await close(log);
    await writeFile(join(dir, LEADER_EPOCH_CHECKPOINT_FILE), formatLeaderEpochCheckpoint(THREE));
    const again = await open(dir);
    expect(again.logStartOffset).toBe(2n);
    expect(again.leaderEpochs.entries()).toEqual([{ epoch: 2, startOffset: 2n }, THREE[2]]);
  });

  it('an append in a new epoch whose checkpoint cannot be written is refused and never served; the log goes offline', async () => {
    const dir = await partitionDir();
    let failCheckpoint = false;
    const openFile: OpenFile = (path, flags) => {
      if (failCheckpoint && path.endsWith(`${LEADER_EPOCH_CHECKPOINT_FILE}.tmp`)) {
        return Promise.reject(Object.assign(new Error('injected ENOSPC'), { code: 'ENOSPC' }));
      }
      return openStorageFile(path, flags);
    };
    const log = await openDiskPartitionLog(dir, 't', 0, config(), { cleanShutdown: true, openFile });
    logs.push(log);
    await log.append(batch(['a']), { leaderEpoch: 0 });
    failCheckpoint = true;
    // The same epoch needs no write.
    await log.append(batch(['b']), { leaderEpoch: 0 });
    await expect(log.append(batch(['c']), { leaderEpoch: 1 })).rejects.toThrow(StorageError);
    expect(log.logEndOffset).toBe(2n);
    expect(await values(log)).toEqual(['a', 'b']);
    expect(log.offline).toBe(true);
    await expect(log.append(batch(['d']), { leaderEpoch: 0 })).rejects.toThrow(/offline/);
    await log.close().catch(() => undefined);
    logs.splice(logs.indexOf(log), 1);
    // Reopened as after a crash, the log recovers what reached its file (as an unacknowledged
    // write may survive any crash) and the epochs of what it holds.
    failCheckpoint = false;
    const again = await open(dir, { cleanShutdown: false });
    expect(await values(again)).toEqual(['a', 'b', 'c']);
    expect(again.leaderEpochs.entries()).toEqual([
      { epoch: 0, startOffset: 0n },
      { epoch: 1, startOffset: 2n },
    ]);
  });

  it('keeps what truncation, DeleteRecords, retention and a fresh start leave, across a restart', async () => {
    const dir = await partitionDir();
    const log = await open(dir, { config: config({ retentionMs: 1000 }) });
    await log.append(batch(['a'], 100), { leaderEpoch: 0 });
    await log.roll();
    await log.append(batch(['b'], 100), { leaderEpoch: 1 });
    await log.append(batch(['c'], 100), { leaderEpoch: 2 });
    await log.roll();
    await log.append(batch(['d'], Date.now()), { leaderEpoch: 3 });
    await log.truncateTo(3n);
    expect(await fileText(dir)).toBe('0\n3\n0 0\n1 1\n2 2\n');
    // Nothing cut, yet an epoch assigned at the end with nothing in it goes (as Kafka's truncateTo).
    await log.leaderEpochs.assign(7, 3n);
    await log.truncateTo(3n);
    expect(log.leaderEpochs.latestEpoch()).toBe(2);
    await log.append(batch(['e'], Date.now()), { leaderEpoch: 4 });
    // Retention removes the two old segments: the log starts at 3, where epoch 4 begins.
    expect(await log.applyRetention(Date.now())).toBe(2);
    expect(log.logStartOffset).toBe(3n);
    expect(await fileText(dir)).toBe('0\n1\n4 3\n');
    await close(log);
    const again = await open(dir, { config: config({ retentionMs: 1000 }) });
    expect(again.leaderEpochs.entries()).toEqual([{ epoch: 4, startOffset: 3n }]);
    await again.truncateFullyAndStartAt(50n);
    expect([again.logStartOffset, again.logEndOffset]).toEqual([50n, 50n]);
    expect(again.leaderEpochs.entries()).toEqual([]);
    expect(await fileText(dir)).toBe('0\n0\n');
    await close(again);
    const third = await open(dir);
    expect([third.logStartOffset, third.logEndOffset]).toEqual([50n, 50n]);
    expect((await third.append(batch(['f']), { leaderEpoch: 6 })).baseOffset).toBe(50n);
    expect(third.leaderEpochs.entries()).toEqual([{ epoch: 6, startOffset: 50n }]);
  });
});
