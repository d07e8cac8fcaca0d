import { afterEach, describe, expect, it } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointFormatError, CLEANER_CHECKPOINT_FILE, parseCheckpoint, readCleanerCheckpoint, writeCleanerCheckpoint } from '../../src/storage/cleaner-checkpoint.js';
import { tempDir } from './helpers.js';

const dirs: { remove: () => Promise<void> }[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await d.remove();
});

describe('cleaner-offset-checkpoint', () => {
  it('is written in Kafka\'s OffsetCheckpointFile format and read back', async () => {
    const d = await tempDir();
    dirs.push(d);
    await writeCleanerCheckpoint(d.path, [
      { topic: 'orders', partition: 0, offset: 120000n },
      { topic: 'my-topic.v2', partition: 11, offset: 7n },
    ]);
    expect(await readFile(join(d.path, CLEANER_CHECKPOINT_FILE), 'utf8')).toBe('0\n2\norders 0 120000\nmy-topic.v2 11 7\n');
    expect(await readCleanerCheckpoint(d.path)).toEqual(new Map([['orders-0', 120000n], ['my-topic.v2-11', 7n]]));
  });

  it('reads a file Kafka wrote, and a missing file as empty', async () => {
    const d = await tempDir();
    dirs.push(d);
    expect(await readCleanerCheckpoint(d.path)).toEqual(new Map());
    await writeFile(join(d.path, CLEANER_CHECKPOINT_FILE), '0\n1\n__consumer_offsets 3 42\n');
    expect(await readCleanerCheckpoint(d.path)).toEqual(new Map([['__consumer_offsets-3', 42n]]));
  });

  it('refuses another version, a wrong count or a malformed line', () => {
    expect(() => parseCheckpoint('1\n0\n')).toThrow(CheckpointFormatError);
    expect(() => parseCheckpoint('0\n2\nt 0 1\n')).toThrow(CheckpointFormatError);
    expect(() => parseCheckpoint('0\n1\nt x 1\n')).toThrow(CheckpointFormatError);
  });
});
