/**
 * Names and small files of a partition directory, Kafka's layout:
 *
 * ```
 * <log dir>/<topic>-<partition>/
 *   00000000000000000000.log          record batches exactly as stored (LogSegment)
 *   00000000000000000000.index        sparse offset index (OffsetIndex)
 *   00000000000000000000.timeindex    sparse time index (TimeIndex)
 *   00000000000000000000.txnindex     aborted transactions whose marker is in the segment
 *                                     (TransactionIndex; only once the segment has one)
 *   00000000000000012345.log ...      the next segment: its name is its base offset, 20 digits
 *   00000000000000000000.log.deleted  a deleted segment waiting out file.delete.delay.ms
 *   log-start-offset                  the log start offset (DeleteRecords), see below
 *   leader-epoch-checkpoint           each leader epoch and the offset it began at
 *                                     (leader-epoch-checkpoint.ts)
 *   transaction-index-recovery-point  only while a rolled segment awaits an abort's index entry
 *                                     (txn-index-recovery.ts)
 * ```
 *
 * `log-start-offset` is a text file in the style of Kafka's checkpoint files: a version line (`0`)
 * and the offset, each followed by a newline. It is replaced atomically and durably
 * (replaceFileDurably). A missing file means "the first segment's base offset".
 *
 * The file handle type used by the storage classes is the narrow `StorageFile`, so tests can inject
 * failures (ENOSPC, EIO) by wrapping a real handle.
 */
import { writevSync } from 'node:fs';
import { open as fsOpen, rename, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

const LOG_SUFFIX = '.log';
const INDEX_SUFFIX = '.index';
const TIME_INDEX_SUFFIX = '.timeindex';
const TXN_INDEX_SUFFIX = '.txnindex';
/** Appended to a segment's file names when it is deleted; the files are removed after file.delete.delay.ms. */
export const DELETED_SUFFIX = '.deleted';
export const LOG_START_OFFSET_FILE = 'log-start-offset';

export type SegmentFileKind = 'log' | 'index' | 'timeindex' | 'txnindex';

const KIND_SUFFIX: Record<SegmentFileKind, string> = {
  log: LOG_SUFFIX,
  index: INDEX_SUFFIX,
  timeindex: TIME_INDEX_SUFFIX,
  txnindex: TXN_INDEX_SUFFIX,
};

/** The 20-digit, zero-padded decimal form of a base offset (Kafka's `filenamePrefixFromOffset`). */
export function offsetPrefix(baseOffset: bigint): string {
  if (baseOffset < 0n) throw new RangeError(`negative base offset ${baseOffset}`);
  return baseOffset.toString().padStart(20, '0');
}

/** `00000000000000000042.log` and friends. */
export function segmentFileName(baseOffset: bigint, kind: SegmentFileKind): string {
  return offsetPrefix(baseOffset) + KIND_SUFFIX[kind];
}

export interface ParsedSegmentFileName {
  baseOffset: bigint;
  kind: SegmentFileKind;
  /** True for a `.deleted` file (a segment deleted before a restart, to be removed). */
  deleted: boolean;
}

const NAME_RE = /^(\d{20})\.(log|index|timeindex|txnindex)(\.deleted)?$/;

/** Parses a segment file name; null for anything else (the log start offset file, temp files, ...). */
export function parseSegmentFileName(name: string): ParsedSegmentFileName | null {
  const m = NAME_RE.exec(name);
  if (m === null) return null;
  return { baseOffset: BigInt(m[1]), kind: m[2] as SegmentFileKind, deleted: m.at(3) !== undefined };
}

/** `<topic>-<partition>`: the directory of one partition under a log dir. */
export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** Parses `<topic>-<partition>` (the topic may itself contain dashes); null when it is not one. */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | null {
  const dash = name.lastIndexOf('-');
  if (dash <= 0) return null;
  const digits = name.slice(dash + 1);
  if (!/^\d+$/.test(digits)) return null;
  const partition = Number(digits);
  if (!Number.isSafeInteger(partition) || partition > 0x7fffffff) return null;
  return { topic: name.slice(0, dash), partition };
}

/**
 * The subset of `fs/promises` FileHandle the storage engine uses. Positional reads and writes only:
 * the engine keeps every file's logical size itself.
 */
export interface StorageFile {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  write(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  writev(buffers: Buffer[], position: number): Promise<{ bytesWritten: number }>;
  /**
   * The same write done on the calling thread, returning the bytes written. Optional: a file
   * without it is always written through the thread pool (see SyncWritePolicy).
   */
  writevSync?(buffers: Buffer[], position: number): number;
  truncate(length: number): Promise<void>;
  sync(): Promise<void>;
  stat(): Promise<{ size: number; mtimeMs: number }>;
  close(): Promise<void>;
}

/** Opens a file (`flags` as for fs.open). Tests replace it to inject disk errors. */
export type OpenFile = (path: string, flags: string) => Promise<StorageFile>;

/** A FileHandle with the synchronous vectored write added. */
class NodeStorageFile implements StorageFile {
  constructor(private readonly fh: FileHandle) {}
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    return this.fh.read(buffer, offset, length, position);
  }
  write(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }> {
    return this.fh.write(buffer, offset, length, position);
  }
  writev(buffers: Buffer[], position: number): Promise<{ bytesWritten: number }> {
    return this.fh.writev(buffers, position);
  }
  writevSync(buffers: Buffer[], position: number): number {
    return writevSync(this.fh.fd, buffers, position);
  }
  truncate(length: number): Promise<void> {
    return this.fh.truncate(length);
  }
  sync(): Promise<void> {
    return this.fh.sync();
  }
  stat(): Promise<{ size: number; mtimeMs: number }> {
    return this.fh.stat();
  }
  close(): Promise<void> {
    return this.fh.close();
  }
}

export const openStorageFile: OpenFile = async (path, flags) => new NodeStorageFile(await fsOpen(path, flags));

/** Reads `length` bytes at `position` (fewer only at end of file), looping over short reads. */
export async function readFully(file: Pick<StorageFile, 'read'>, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(buffer, offset + done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/** Writes all of `buffers` at `position`, looping over short writes. */
export async function writeFully(file: Pick<StorageFile, 'write' | 'writev'>, buffers: Buffer[], position: number): Promise<void> {
  let total = byteLength(buffers);
  let { bytesWritten } = buffers.length === 1 ? await file.write(buffers[0], 0, buffers[0].length, position) : await file.writev(buffers, position);
  while (bytesWritten < total) {
    // Rare: a short write. Continue with what remains.
    buffers = remainingAfter(buffers, bytesWritten);
    position += bytesWritten;
    total -= bytesWritten;
    ({ bytesWritten } = await file.writev(buffers, position));
  }
}

/** writeFully on the calling thread, for a file that has writevSync. */
export function writeFullySync(file: { writevSync(buffers: Buffer[], position: number): number }, buffers: Buffer[], position: number): void {
  let total = byteLength(buffers);
  let bytesWritten = file.writevSync(buffers, position);
  while (bytesWritten < total) {
    buffers = remainingAfter(buffers, bytesWritten);
    position += bytesWritten;
    total -= bytesWritten;
    bytesWritten = file.writevSync(buffers, position);
  }
}

function byteLength(buffers: Buffer[]): number {
  let total = 0;
  for (const b of buffers) total += b.length;
  return total;
}

/** What is left of `buffers` after a write of `written` bytes (which must have made progress). */
function remainingAfter(buffers: Buffer[], written: number): Buffer[] {
  if (written <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
  let skip = written;
  const rest: Buffer[] = [];
  for (const b of buffers) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    rest.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return rest;
}

/** Reads a whole small text file; loading at start passes a synchronous one (blocking-file.ts). */
export type ReadText = (file: string) => Promise<string>;

const readTextAsync: ReadText = (file) => readFile(file, 'utf8');

/**
 * A partition's small state file (log-start-offset, leader-epoch-checkpoint) read whole: its text,
 * `missing`, or why it cannot be read (with its path).
 */
export async function readStateFile(file: string, readText: ReadText = readTextAsync): Promise<{ text: string } | { missing: true } | { problem: string }> {
  try {
    return { text: await readText(file) };
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return { missing: true };
    return { problem: `${file} cannot be read: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/**
 * The log start offset file of a partition directory, read: its offset, `missing`, or what is
 * wrong with it (the file, the line and the byte where it goes wrong, and what is there), for the
 * warning Kafka gives when it cannot read its log-start-offset-checkpoint.
 */
export async function inspectLogStartOffset(
  dir: string,
  readText: ReadText = readTextAsync,
): Promise<{ offset: bigint } | { missing: true } | { problem: string }> {
  const file = join(dir, LOG_START_OFFSET_FILE);
  const read = await readStateFile(file, readText);
  if (!('text' in read)) return read;
  const lines = read.text.split('\n');
  const show = (line: string | undefined): string => (line === undefined ? 'nothing' : JSON.stringify(line.length > 40 ? `${line.slice(0, 40)}...` : line));
  if (lines[0] !== '0') return { problem: `${file} line 1 (byte 0) holds ${show(lines[0])}, not the version 0` };
  const second = lines.at(1);
  if (second === undefined || !/^\d+$/.test(second)) return { problem: `${file} line 2 (byte ${lines[0].length + 1}) holds ${show(second)}, not an offset` };
  return { offset: BigInt(second) };
}

/** Replaces the log start offset file atomically and durably. */
export function writeLogStartOffset(dir: string, offset: bigint, openFile: OpenFile = openStorageFile): Promise<void> {
  return replaceFileDurably(dir, LOG_START_OFFSET_FILE, Buffer.from(`0\n${offset}\n`), openFile);
}

/**
 * Replaces `dir/name` with `bytes` so that a crash at any instant leaves either the old or the new
 * file whole: the bytes go to `name.tmp`, which is fsynced and renamed over `name`. The directory
 * is fsynced last, because until then a machine crash can undo the rename. On failure the
 * temporary file is removed (best effort) and the error rethrown.
 */
export async function replaceFileDurably(dir: string, name: string, bytes: Buffer, openFile: OpenFile = openStorageFile): Promise<void> {
  const tmp = join(dir, name + '.tmp');
  let fh: StorageFile | undefined;
  try {
    fh = await openFile(tmp, 'w');
    await writeFully(fh, [bytes], 0);
    await fh.sync();
    const written = fh;
    fh = undefined;
    await written.close();
    await rename(tmp, join(dir, name));
  } catch (err) {
    await fh?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await syncDir(dir);
}

/** The errno code of a file system error (ENOENT, EEXIST, ...), if it has one. */
export function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * fsyncs a directory so that entries created, renamed or removed in it survive a machine crash.
 * Windows cannot open or fsync a directory (the files' own fsyncs still hold there); elsewhere a
 * failure is real and is thrown.
 */
export async function syncDir(dir: string): Promise<void> {
  let fh: Awaited<ReturnType<typeof fsOpen>> | undefined;
  try {
    fh = await fsOpen(dir, 'r');
    await fh.sync();
  } catch (err) {
    if (process.platform !== 'win32') throw err;
  } finally {
    await fh?.close().catch(() => undefined);
  }
}
