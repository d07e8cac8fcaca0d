/**
 * `partition.metadata`: the topic id kept beside a partition's data, Kafka's PartitionMetadataFile.
 * It lets startup tell whose data a partition directory holds when the metadata log does not say
 * (damaged or lost), and tell an old directory of a deleted topic from the data of a topic that was
 * created again under the same name.
 *
 * Format, Kafka's, text in UTF-8:
 *
 *   version: 0
 *   topic_id: <the topic id as Kafka prints a Uuid: 16 bytes in URL-safe base64 without padding>
 *
 * Kafka accepts any whitespace after each colon and rejects a version below 0 and the zero Uuid;
 * the same here. The metadata layer names topic ids in the hyphenated form (as the protocol code
 * does), so the functions here take and return that form and convert at the file boundary.
 *
 * The file is replaced atomically and durably (replaceFileDurably), so a crash leaves the old file
 * or the new one, never half of one.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode, openStorageFile, replaceFileDurably, type OpenFile, type ReadText } from './segment-files.js';
import { StorageError } from './types.js';

export const PARTITION_METADATA_FILE = 'partition.metadata';
const CURRENT_VERSION = 0;
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
const HYPHENATED_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The file's content could not be understood; the message names the file and the line. */
export class PartitionMetadataError extends StorageError {}

/** Kafka's `Uuid.toString()` of a hyphenated UUID. */
export function uuidToKafkaString(topicId: string): string {
  if (!HYPHENATED_UUID.test(topicId)) throw new TypeError(`not a UUID: ${JSON.stringify(topicId)}`);
  return Buffer.from(topicId.replaceAll('-', ''), 'hex').toString('base64url');
}

/** Kafka's `Uuid.fromString()`, returning the hyphenated form; null when it is not 16 bytes of URL-safe base64. */
export function uuidFromKafkaString(text: string): string | null {
  if (!/^[A-Za-z0-9_-]{22}$/.test(text)) return null;
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.length !== 16 || bytes.toString('base64url') !== text) return null;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function encodePartitionMetadata(topicId: string): Buffer {
  if (topicId.toLowerCase() === ZERO_UUID) throw new TypeError('the zero UUID is not a topic id');
  return Buffer.from(`version: ${CURRENT_VERSION}\ntopic_id: ${uuidToKafkaString(topicId)}\n`, 'utf8');
}

/** The topic id (hyphenated, lower case) in the file's text; throws PartitionMetadataError when malformed. */
export function decodePartitionMetadata(text: string, location: string): string {
  const lines = text.split(/\r?\n/);
  const value = (index: number, key: string): string => {
    const line = lines.at(index);
    const m = line === undefined ? null : /^([^:]*):\s+(.*)$/.exec(line);
    if (!m || m[1] !== key) throw new PartitionMetadataError(`Malformed line in partition metadata file [${location}]: ${line ?? 'null'}`);
    return m[2];
  };
  const versionText = value(0, 'version');
  const version = /^[+-]?\d+$/.test(versionText) ? Number(versionText) : NaN;
  if (Number.isNaN(version)) throw new PartitionMetadataError(`Malformed line in partition metadata file [${location}]: ${lines[0]}`);
  if (version < CURRENT_VERSION) throw new PartitionMetadataError(`Unrecognized version of partition metadata file (${location}): ${version}`);
  const topicId = uuidFromKafkaString(value(1, 'topic_id'));
  if (topicId === null) throw new PartitionMetadataError(`Malformed line in partition metadata file [${location}]: ${lines[1]}`);
  if (topicId === ZERO_UUID) throw new PartitionMetadataError(`Invalid topic ID in partition metadata file (${location})`);
  return topicId;
}

/**
 * The topic id recorded in partition directory `dir`; null when the directory has no
 * partition.metadata (a partition written before the file existed). Throws PartitionMetadataError
 * when the file is malformed, StorageError when it cannot be read.
 */
export async function readPartitionMetadata(dir: string, readText: ReadText = (f) => readFile(f, 'utf8')): Promise<string | null> {
  const file = join(dir, PARTITION_METADATA_FILE);
  let text: string;
  try {
    text = await readText(file);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return null;
    throw new StorageError(`Error while reading partition metadata file ${file}`, err);
  }
  return decodePartitionMetadata(text, file);
}

/** Records `topicId` in partition directory `dir`, atomically and durably. */
export async function writePartitionMetadata(dir: string, topicId: string, openFile: OpenFile = openStorageFile): Promise<void> {
  const bytes = encodePartitionMetadata(topicId);
  try {
    await replaceFileDurably(dir, PARTITION_METADATA_FILE, bytes, openFile);
  } catch (err) {
    throw new StorageError(`Error while writing partition metadata file ${join(dir, PARTITION_METADATA_FILE)}`, err);
  }
}
