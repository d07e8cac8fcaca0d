import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  decodePartitionMetadata,
  PARTITION_METADATA_FILE,
  PartitionMetadataError,
  readPartitionMetadata,
  uuidFromKafkaString,
  uuidToKafkaString,
  writePartitionMetadata,
} from '../../src/storage/partition-metadata-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'gregor-partition-metadata-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const topicId = '5f3c2a1e-9b8d-4c7e-a6f5-0123456789ab';

describe('topic ids in Kafka form', () => {
  it('converts between the hyphenated form and Kafka\'s base64 form both ways', () => {
    const kafka = uuidToKafkaString(topicId);
    expect(kafka).toBe(Buffer.from('5f3c2a1e9b8d4c7ea6f50123456789ab', 'hex').toString('base64url'));
    expect(kafka).toHaveLength(22);
    expect(uuidFromKafkaString(kafka)).toBe(topicId);
  });

  it('refuses what is not 16 bytes of URL-safe base64', () => {
    expect(uuidFromKafkaString('short')).toBeNull();
    expect(uuidFromKafkaString('Xzwqhp uNTH6m9QEjRWeJqw')).toBeNull();
    expect(uuidFromKafkaString('Xzwqhp+uNTH6m9QEjRWeJq')).toBeNull();
    expect(() => uuidToKafkaString('not-a-uuid')).toThrow(TypeError);
  });
});

describe('partition.metadata', () => {
  it('writes Kafka\'s format and reads it back', async () => {
    await writePartitionMetadata(dir, topicId);
    const text = await readFile(path.join(dir, PARTITION_METADATA_FILE), 'utf8');
    expect(text).toBe(`version: 0\ntopic_id: ${uuidToKafkaString(topicId)}\n`);
    expect(await readPartitionMetadata(dir)).toBe(topicId);
    // Replaced atomically: no temporary file stays behind.
    expect(await readdir(dir)).toEqual([PARTITION_METADATA_FILE]);
  });

  it('replaces an existing file', async () => {
    await writePartitionMetadata(dir, topicId);
    const other = '00000000-0000-4000-8000-000000000001';
    await writePartitionMetadata(dir, other);
    expect(await readPartitionMetadata(dir)).toBe(other);
  });

  it('reads a file Kafka wrote', async () => {
    // As Kafka 3.x writes it for a topic whose id kafka-topics prints as "vzPwmPIxSXyMJqW8wbaZfA".
    await writeFile(path.join(dir, PARTITION_METADATA_FILE), 'version: 0\ntopic_id: vzPwmPIxSXyMJqW8wbaZfA\n');
    expect(await readPartitionMetadata(dir)).toBe(uuidFromKafkaString('vzPwmPIxSXyMJqW8wbaZfA'));
  });

  it('says there is none when the directory has no file', async () => {
    expect(await readPartitionMetadata(dir)).toBeNull();
  });

  it('rejects a malformed file, naming the file and the line', async () => {
    const location = path.join(dir, PARTITION_METADATA_FILE);
    const cases: [string, RegExp][] = [
      ['', /Malformed line .*partition\.metadata.*: $/],
      ['version: 0\n', /Malformed line/],
      ['version: x\ntopic_id: vzPwmPIxSXyMJqW8wbaZfA\n', /Malformed line.*version: x/],
      ['version: -1\ntopic_id: vzPwmPIxSXyMJqW8wbaZfA\n', /Unrecognized version.*-1/],
      ['version: 0\ntopic: vzPwmPIxSXyMJqW8wbaZfA\n', /Malformed line.*topic: /],
      ['version: 0\ntopic_id: not-an-id\n', /Malformed line.*not-an-id/],
      ['version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAA\n', /Invalid topic ID/],
      ['version:0\ntopic_id: vzPwmPIxSXyMJqW8wbaZfA\n', /Malformed line.*version:0/],
    ];
    for (const [text, message] of cases) {
      expect(() => decodePartitionMetadata(text, location)).toThrow(message);
      await writeFile(location, text);
      await expect(readPartitionMetadata(dir)).rejects.toThrow(PartitionMetadataError);
    }
  });

  it('accepts a later version and any whitespace after the colons, as Kafka does', () => {
    expect(decodePartitionMetadata('version:  1\ntopic_id:\tvzPwmPIxSXyMJqW8wbaZfA', 'x')).toBe(uuidFromKafkaString('vzPwmPIxSXyMJqW8wbaZfA'));
  });
});
