/**
 * `leader-epoch-checkpoint`: a partition's leader epoch cache (leader-epoch-cache.ts) on disk, in
 * the partition folder, in Kafka's LeaderEpochCheckpointFile format so that Kafka's tools and
 * habits apply:
 *
 * ```
 * 0            version
 * 2            number of entries
 * 0 0          epoch, start offset (separated by white space)
 * 3 1200
 * ```
 *
 * Replaced atomically and durably (replaceFileDurably) whenever the entries change. Reading is
 * stricter than Kafka's in one way: Kafka takes an empty file for an empty cache, and loads
 * entries out of order through its assign (dropping the ones in the way). Here either is reported
 * as damage, and the log rebuilds the cache from its batches instead (disk-partition-log.ts): a
 * zero-length file is what a crash leaves of an unsynced write, and a rebuild loses nothing.
 */
import { join } from 'node:path';
import type { EpochEntry } from './leader-epoch-cache.js';
import { openStorageFile, readStateFile, replaceFileDurably, type OpenFile, type ReadText } from './segment-files.js';

export const LEADER_EPOCH_CHECKPOINT_FILE = 'leader-epoch-checkpoint';
const VERSION = '0';
const INT32_MAX = 0x7fffffff;

export function formatLeaderEpochCheckpoint(entries: readonly EpochEntry[]): string {
  return [VERSION, String(entries.length), ...entries.map((e) => `${e.epoch} ${e.startOffset}`)].join('\n') + '\n';
}

/**
 * The entries in the file's text, or what is wrong with it: not version 0, a count that is not
 * the number of entry lines, a line that is not two numbers, epochs or start offsets that do not
 * increase.
 */
export function parseLeaderEpochCheckpoint(text: string): { entries: EpochEntry[] } | { problem: string } {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  if (lines.length === 0) return { problem: 'the file is empty' };
  if (lines[0].trim() !== VERSION) return { problem: `unrecognised version ${JSON.stringify(lines[0])}, expected ${VERSION}` };
  const countText = lines.at(1)?.trim();
  if (countText === undefined || !/^\d+$/.test(countText)) return { problem: `line 2 holds ${JSON.stringify(lines.at(1) ?? null)}, not the number of entries` };
  const count = Number(countText);
  if (lines.length - 2 !== count) return { problem: `expected ${count} entries, found ${lines.length - 2}` };
  const entries: EpochEntry[] = [];
  for (let i = 2; i < lines.length; i++) {
    const parts = lines[i].trim().split(/\s+/);
    if (parts.length !== 2 || !/^\d+$/.test(parts[0]) || !/^\d+$/.test(parts[1]) || Number(parts[0]) > INT32_MAX) {
      return { problem: `malformed line ${i + 1}: ${JSON.stringify(lines[i])}` };
    }
    const entry = { epoch: Number(parts[0]), startOffset: BigInt(parts[1]) };
    const previous = entries.at(-1);
    if (previous !== undefined && (entry.epoch <= previous.epoch || entry.startOffset <= previous.startOffset)) {
      return { problem: `line ${i + 1} (epoch ${entry.epoch} at ${entry.startOffset}) does not follow epoch ${previous.epoch} at ${previous.startOffset}` };
    }
    entries.push(entry);
  }
  return { entries };
}

/**
 * Reads the checkpoint of partition folder `dir`: its entries, `missing`, or what is wrong with
 * it (unreadable or malformed), with the file's path in the message.
 */
export async function readLeaderEpochCheckpoint(
  dir: string,
  readText?: ReadText,
): Promise<{ entries: EpochEntry[] } | { missing: true } | { problem: string }> {
  const file = join(dir, LEADER_EPOCH_CHECKPOINT_FILE);
  const read = await readStateFile(file, readText);
  if (!('text' in read)) return read;
  const parsed = parseLeaderEpochCheckpoint(read.text);
  return 'problem' in parsed ? { problem: `${file}: ${parsed.problem}` } : parsed;
}

/** Replaces the checkpoint of partition folder `dir` with `entries`, atomically and durably. */
export function writeLeaderEpochCheckpoint(dir: string, entries: readonly EpochEntry[], openFile: OpenFile = openStorageFile): Promise<void> {
  return replaceFileDurably(dir, LEADER_EPOCH_CHECKPOINT_FILE, Buffer.from(formatLeaderEpochCheckpoint(entries)), openFile);
}
