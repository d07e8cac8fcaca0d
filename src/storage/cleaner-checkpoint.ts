/**
 * `cleaner-offset-checkpoint`, one per log dir: where the log cleaner got to in each compacted
 * partition (the first dirty offset), in Kafka's OffsetCheckpointFile format so that Kafka tools
 * and habits apply:
 *
 * ```
 * 0                      version
 * 2                      number of entries
 * orders 0 120000        topic, partition, offset (separated by one space)
 * orders 1 98000
 * ```
 *
 * Replaced atomically and durably (replaceFileDurably). A missing file is an empty checkpoint; a
 * malformed one is reported by the caller and counts as empty (every log is then cleaned from its
 * start, which only costs work).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode, partitionDirName, replaceFileDurably } from './segment-files.js';

export const CLEANER_CHECKPOINT_FILE = 'cleaner-offset-checkpoint';

/** Map key of a partition: `<topic>-<partition>` (the partition's folder name). */
export function checkpointKey(topic: string, partition: number): string {
  return partitionDirName(topic, partition);
}

export interface CheckpointEntry {
  topic: string;
  partition: number;
  offset: bigint;
}

export class CheckpointFormatError extends Error {
  override readonly name = 'CheckpointFormatError';
}

/** Parses the file's text; throws CheckpointFormatError when it is not a version 0 checkpoint. */
export function parseCheckpoint(text: string): CheckpointEntry[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines[0] !== '0') throw new CheckpointFormatError(`unknown checkpoint version ${JSON.stringify(lines[0])}`);
  const count = Number(lines.at(1));
  if (!Number.isSafeInteger(count) || count < 0) throw new CheckpointFormatError(`bad entry count ${JSON.stringify(lines.at(1))}`);
  if (lines.length !== count + 2) throw new CheckpointFormatError(`expected ${count} entries, found ${lines.length - 2}`);
  const out: CheckpointEntry[] = [];
  for (let i = 2; i < lines.length; i++) {
    const parts = lines[i].split(' ');
    if (parts.length !== 3 || !/^\d+$/.test(parts[1]) || !/^-?\d+$/.test(parts[2])) {
      throw new CheckpointFormatError(`line ${i + 1} is not "<topic> <partition> <offset>": ${JSON.stringify(lines[i])}`);
    }
    out.push({ topic: parts[0], partition: Number(parts[1]), offset: BigInt(parts[2]) });
  }
  return out;
}

export function formatCheckpoint(entries: Iterable<CheckpointEntry>): string {
  const list = [...entries];
  return ['0', String(list.length), ...list.map((e) => `${e.topic} ${e.partition} ${e.offset}`)].join('\n') + '\n';
}

/** Reads the checkpoint of a log dir: empty when the file is missing. Throws CheckpointFormatError or an fs error. */
export async function readCleanerCheckpoint(logDir: string): Promise<Map<string, bigint>> {
  let text: string;
  try {
    text = await readFile(join(logDir, CLEANER_CHECKPOINT_FILE), 'utf8');
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return new Map();
    throw e;
  }
  return new Map(parseCheckpoint(text).map((e) => [checkpointKey(e.topic, e.partition), e.offset]));
}

/** Writes the checkpoint of a log dir (atomically, durably). */
export function writeCleanerCheckpoint(logDir: string, entries: Iterable<CheckpointEntry>): Promise<void> {
  return replaceFileDurably(logDir, CLEANER_CHECKPOINT_FILE, Buffer.from(formatCheckpoint(entries)));
}
