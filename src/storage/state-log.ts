/**
 * The broker's own state log: an append-only log of msgpack records with snapshots, for cluster
 * metadata (topics, topic ids, configs) and the group coordinator's committed offsets. The owner
 * keeps its state in memory, appends a record for every change, writes a snapshot of the whole
 * state now and then, and on start rebuilds the state by replaying the latest snapshot and the
 * records after it (Kafka's `__cluster_metadata` log with its snapshots, in miniature).
 *
 * On-disk format, in `dir`, for a log named N and a generation g written as 20 decimal digits:
 *
 *   N-<g>.snapshot      one frame: the state as of the end of generation g-1
 *   N-<g>.log           the frames appended during generation g
 *   N-<g>.snapshot.tmp  a snapshot being written; removed on open
 *   N-<g>.log.damaged-<p>  bytes cut from N-<g>.log at byte p on open (or the whole log, p = 0),
 *                       kept for inspection; never read again, never removed by the broker
 *   N-<g>.snapshot.damaged-<p>  a snapshot that could not be read whole (p = 0), or the stray
 *                       bytes cut from the end of one at byte p; likewise kept
 *
 *   frame = length: uint32 BE | crc: uint32 BE | payload: `length` bytes of msgpack
 *           crc = CRC32C of the length field followed by the payload
 *
 * The state is the newest snapshot (generation s; none means s = 0 and an empty state) followed by
 * the logs of generations s, s+1, ... in order. A snapshot starts a new generation at once: the
 * log of generation g+1 is created and takes the appends that follow, so appends never wait for
 * the snapshot itself, which is then written to a temporary file, fsynced, renamed into place and
 * the directory fsynced; only then are the files of older generations removed. Whatever instant a
 * crash hits, the newest complete snapshot and the logs from its generation on are the whole
 * state. On open, temporary files and files of generations older than the newest snapshot are
 * removed, and the logs are scanned in order: at the first frame that is incomplete (torn write)
 * or fails its CRC, that log is truncated and any later log set aside (its records followed a
 * write that was lost). Nothing completely written is lost; a frame is complete once `append`
 * resolves. What is cut is never dropped silently: it is reported with its file, byte position and
 * length (WARN for a frame cut short at the end, what a crash leaves; ERROR for a damaged frame or a
 * log set aside) and kept beside the log as a `.damaged-<p>` file.
 *
 * A damaged snapshot (its frame torn, failing its CRC, or followed by stray bytes) does not stop the
 * open either. It is reported at ERROR with its file, the byte position and the length of what is
 * wrong (a CRC cannot say where in the frame the damage lies: then the whole frame, from byte 0),
 * and renamed to `N-<g>.snapshot.damaged-<p>`, never removed; stray bytes after an intact frame
 * are copied out and cut, and the snapshot is used. The state is then rebuilt from what remains:
 * the next older intact snapshot with every log since, which is the whole state when those logs
 * are all there (a crash between writing a snapshot and removing the older generation leaves
 * them); otherwise whatever records exist, in generation order, with the generations that are
 * missing reported as lost. The owner learns of it through `damage` (kind 'snapshot', with
 * `stateLost`) to say what it could not load: the logs of the generations that remain are applied
 * to an older or empty state, so an owner must accept records about things it does not know.
 *
 * Durability: `append` resolves once the bytes are in the OS page cache, as a Kafka produce with
 * the default flush settings; that survives a crash of the process. With `fsync: true` each write
 * is also fdatasynced, which survives a crash of the machine. Appends waiting while a write is in
 * flight are coalesced into one write (and one fsync): group commit.
 *
 * Concurrency: one writer per log. Appends, snapshots, flushes and close run one at a time in call
 * order. Opening the same log twice in one process is refused; across processes, keep the state
 * log inside a log directory that the LogManager has locked.
 *
 * Values are encoded with msgpack and `useBigInt64`, so numbers come back as numbers and bigints
 * (offsets, producer ids) as bigints; byte arrays come back as Uint8Array, undefined as null. Keep
 * records to plain data: objects, arrays, strings, numbers, bigints, booleans, null, bytes.
 */
import { errorCode, readFully, replaceFileDurably, syncDir, writeFully } from './segment-files.js';
import { mkdir, open, readdir, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Decoder, Encoder } from '@msgpack/msgpack';
import { crc32c } from '../protocol/records/crc32c.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { StorageError } from './types.js';

/** One replayed item: the snapshot (at most one, always first), then the records after it. */
export type StateLogEntry = { kind: 'snapshot'; value: unknown } | { kind: 'record'; value: unknown };

/**
 * What open cut or set aside: kind 'log', records cut from a log (not replayed); kind 'snapshot', a
 * snapshot that could not be read whole; kind 'missing', log generations absent between the
 * snapshot replayed and the newest log (their records are not replayed).
 */
export interface StateLogDamage {
  readonly kind: 'log' | 'snapshot' | 'missing';
  /** The file cut or set aside (for 'missing', the first missing log). */
  readonly file: string;
  /** The file's generation (for 'missing', the first missing one). */
  readonly generation: number;
  /** Where the damage starts (0 for a whole file set aside, or a frame whose CRC fails). */
  readonly position: number;
  /** How many bytes from `position` were cut or set aside. */
  readonly bytes: number;
  /** What stopped the scan there ("a frame failing its CRC", ...). */
  readonly problem: string;
  /** Where the cut bytes were kept ('' for 'missing'). */
  readonly copy: string;
  /**
   * For a snapshot: true when the state it held could not be rebuilt from an older snapshot and the
   * logs since, so what was recorded before its generation and not repeated later is lost.
   * Otherwise false.
   */
  readonly stateLost: boolean;
  /**
   * True for a frame cut short at the end of the newest log: what a crash in the middle of a write
   * leaves, a write that was never complete (so never acknowledged). False for damage.
   */
  readonly torn: boolean;
}

export interface StateLog {
  readonly name: string;
  /** Records appended since the latest snapshot (replayed after it on the next open). */
  readonly recordsSinceSnapshot: number;
  /** Bytes appended since the latest snapshot, framing included. */
  readonly bytesSinceSnapshot: number;
  /** What open had to cut (none normally); the owner may say what it lost because of it. */
  readonly damage: readonly StateLogDamage[];

  /**
   * The latest snapshot, then every record appended after it, in append order. Call it once at
   * start, before the first append or snapshot; it throws afterwards, and appends and snapshots
   * are refused while a replay is in progress.
   */
  replay(): AsyncIterable<StateLogEntry>;

  /** Appends one record; resolves once it is written (and fsynced when the log was opened so). */
  append(record: unknown): Promise<void>;

  /**
   * Replaces everything before it with `state`, which must include the effect of every record
   * whose `append` was called before this call (such appends may still be in flight: they are
   * written first). Appends called afterwards go on at once, without waiting for the snapshot.
   * Resolves once the snapshot is written atomically and fsynced and the old files are removed;
   * if it fails, the state on disk is still complete (the previous snapshot and every log).
   */
  writeSnapshot(state: unknown): Promise<void>;

  /** fsyncs what was appended so far. */
  flush(): Promise<void>;

  /** Waits for queued work, fsyncs and closes. Further calls are refused. Idempotent. */
  close(): Promise<void>;
}

export interface StateLogOptions {
  /** Letters, digits, '.', '_' and '-'; names the files. */
  name: string;
  /** fdatasync after every write (coalesced across concurrent appends). Default false. */
  fsync?: boolean;
  /** Largest accepted record payload in bytes (default 16 MiB). Snapshots are not limited. */
  maxRecordBytes?: number;
  /** Where recovery notes (a truncated tail) go; silent by default. */
  logger?: Logger;
}

/**
 * In-memory state logs: what `openStateLog` keeps when given this store instead of a directory.
 * Logs live as long as the store, so a test can close and reopen a log to simulate a restart.
 */
export class MemoryStateLogStore {
  /** @internal */
  readonly logs = new Map<string, { snapshot: Uint8Array | undefined; records: Uint8Array[]; bytes: number }>();
  /** @internal */
  readonly open = new Set<string>();
}

/** Opens (creating if needed) the state log `options.name` in `location`: a directory or a memory store. */
export async function openStateLog(location: string | MemoryStateLogStore, options: StateLogOptions): Promise<StateLog> {
  validateName(options.name);
  if (location instanceof MemoryStateLogStore) return MemoryStateLog.open(location, options);
  return DiskStateLog.open(location, options);
}

// ---------------------------------------------------------------------------------------------
// Framing and encoding

const FRAME_HEADER_BYTES = 8;
const MAX_FRAME_PAYLOAD = 0xffff_ffff;
const DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024;
const READ_CHUNK_BYTES = 1024 * 1024;
/** Appends coalesced into one write stop growing at this size. */
const MAX_COALESCED_BYTES = 4 * 1024 * 1024;

const encoder = new Encoder({ useBigInt64: true });
const decoder = new Decoder({ useBigInt64: true });

function encodePayload(value: unknown): Uint8Array {
  return encoder.encode(value);
}

function decodePayload(payload: Uint8Array, what: string): unknown {
  try {
    return decoder.decode(payload);
  } catch (err) {
    throw new StorageError(`${what}: a frame with a valid CRC does not decode as msgpack`, err);
  }
}

function frameChecksum(frame: Uint8Array, payloadLength: number): number {
  return crc32c(frame, FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + payloadLength, crc32c(frame, 0, 4));
}

/** length | crc | payload, in one buffer. */
function frameOf(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.set(payload, FRAME_HEADER_BYTES);
  frame.writeUInt32BE(frameChecksum(frame, payload.length), 4);
  return frame;
}

function validateName(name: string): void {
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(name) || name === '.' || name === '..') {
    throw new TypeError(`invalid state log name ${JSON.stringify(name)}: use 1-200 of [A-Za-z0-9._-]`);
  }
}

function checkRecordSize(payload: Uint8Array, maxRecordBytes: number): void {
  if (payload.length > maxRecordBytes) {
    throw new RangeError(`state log record of ${payload.length} bytes exceeds maxRecordBytes (${maxRecordBytes})`);
  }
}

/**
 * Reads consecutive frames from a file up to `end`, in large chunks. `next()` returns each payload
 * (a view valid until the reader is dropped) and null at the end or at the first frame that is
 * incomplete or fails its CRC; `validEnd` is then the end of the last good frame and `problem`
 * says what stopped the scan, if anything did before `end`.
 */
class FrameReader {
  validEnd = 0;
  problem: string | undefined;
  /** Whether the scan stopped at a frame that runs past the end (a write cut short), rather than a bad one. */
  torn = false;
  private buf = Buffer.alloc(0);
  private bufStart = 0;

  constructor(
    private readonly fh: FileHandle,
    private readonly end: number,
  ) {}

  async next(): Promise<Buffer | null> {
    const pos = this.validEnd;
    const remaining = this.end - pos;
    if (remaining === 0) return null;
    if (remaining < FRAME_HEADER_BYTES) return this.stop(`a torn frame header (${remaining} bytes)`, true);
    await this.ensure(pos, FRAME_HEADER_BYTES);
    const at = pos - this.bufStart;
    const length = this.buf.readUInt32BE(at);
    // What a crash leaves when the file grew before its data reached the disk: zeros.
    if (length === 0) return this.stop('a frame of length 0', true);
    if (length > remaining - FRAME_HEADER_BYTES) {
      return this.stop(`a torn frame (${length} bytes announced, ${remaining - FRAME_HEADER_BYTES} present)`, true);
    }
    await this.ensure(pos, FRAME_HEADER_BYTES + length);
    const frame = this.buf.subarray(pos - this.bufStart, pos - this.bufStart + FRAME_HEADER_BYTES + length);
    if (frame.readUInt32BE(4) !== frameChecksum(frame, length)) return this.stop('a frame failing its CRC');
    this.validEnd = pos + FRAME_HEADER_BYTES + length;
    return frame.subarray(FRAME_HEADER_BYTES);
  }

  private stop(problem: string, torn = false): null {
    this.problem = problem;
    this.torn = torn;
    return null;
  }

  /** Makes [pos, pos + n) available in `buf`; the caller checked that it lies before `end`. */
  private async ensure(pos: number, n: number): Promise<void> {
    const have = this.bufStart + this.buf.length - pos;
    if (have >= n) return;
    // A fresh buffer each time: views handed out earlier stay valid.
    const size = Math.min(Math.max(READ_CHUNK_BYTES, n), this.end - pos);
    const next = Buffer.allocUnsafe(size);
    if (have > 0) this.buf.copy(next, 0, pos - this.bufStart);
    if ((await readFully(this.fh, next, have, size - have, pos + have)) < size - have) {
      throw new StorageError('state log file is shorter than expected: changed underneath');
    }
    this.buf = next;
    this.bufStart = pos;
  }
}

/** Tracks writes and replays so the rules "replay first" and "no writes while replaying" hold. */
class UsageGuard {
  writesStarted = false;
  replaying = 0;
  closed = false;

  beginReplay(name: string): void {
    if (this.closed) throw new Error(`state log ${name} is closed`);
    if (this.writesStarted) throw new Error(`state log ${name}: replay() must come before the first append or snapshot`);
  }

  beginWrite(name: string): void {
    if (this.closed) throw new Error(`state log ${name} is closed`);
    if (this.replaying > 0) throw new Error(`state log ${name}: cannot write while a replay is in progress`);
    this.writesStarted = true;
  }
}

// ---------------------------------------------------------------------------------------------
// Disk

type Task =
  | { kind: 'append'; frame: Buffer; resolve: () => void; reject: (err: unknown) => void }
  | { kind: 'other'; run: () => Promise<void>; resolve: () => void; reject: (err: unknown) => void };

/** Files named generation by generation; see the format at the top of this file. */
class DiskStateLog implements StateLog {
  private static readonly openLogs = new Set<string>();

  private readonly guard = new UsageGuard();
  private readonly queue: Task[] = [];
  private working = false;
  /** Set when the files may no longer match what was acknowledged: every write is refused. */
  private failed: StorageError | undefined;
  private closePromise: Promise<void> | undefined;
  /** Snapshots being written behind the queue, one after another. */
  private snapshotsWritten: Promise<void> = Promise.resolve();

  private constructor(
    readonly name: string,
    private readonly dir: string,
    private readonly key: string,
    private readonly options: Required<Omit<StateLogOptions, 'logger'>>,
    /** Generation of the newest snapshot on open, or -1 for none. */
    private readonly snapshotGen: number,
    /** That snapshot's payload, verified on open and kept for the replay that follows. */
    private snapshotPayload: Buffer | undefined,
    /** Logs between that snapshot and the active log, with their verified sizes (for replay). */
    private readonly earlierLogs: readonly { gen: number; size: number }[],
    /** Generation of the active log, which takes the appends. */
    private gen: number,
    private fh: FileHandle,
    /** Verified size of the active log. */
    private size: number,
    private records: number,
    private bytes: number,
    readonly damage: readonly StateLogDamage[],
  ) {}

  get recordsSinceSnapshot(): number {
    return this.records;
  }

  get bytesSinceSnapshot(): number {
    return this.bytes;
  }

  static async open(dir: string, options: StateLogOptions): Promise<DiskStateLog> {
    const name = options.name;
    const absDir = path.resolve(dir);
    const key = `${absDir}\0${name}`;
    if (DiskStateLog.openLogs.has(key)) throw new Error(`state log ${name} in ${absDir} is already open`);
    DiskStateLog.openLogs.add(key);
    try {
      return await DiskStateLog.load(absDir, key, options);
    } catch (err) {
      DiskStateLog.openLogs.delete(key);
      throw err;
    }
  }

  private static async load(dir: string, key: string, options: StateLogOptions): Promise<DiskStateLog> {
    const name = options.name;
    const logger = options.logger ?? silentLogger;
    await mkdir(dir, { recursive: true });

    const pattern = generationFilePattern(name);
    const snapshots: number[] = [];
    const logs: number[] = [];
    const garbage: string[] = [];
    for (const file of await readdir(dir)) {
      const m = pattern.exec(file);
      if (!m) continue;
      const gen = Number(m[1]);
      if (m[2] === 'log') logs.push(gen);
      else if (m[2] === 'snapshot') snapshots.push(gen);
      else garbage.push(file);
    }
    const damage: StateLogDamage[] = [];
    // The newest snapshot that reads whole; damaged ones on the way are set aside.
    let snapshotGen = -1;
    let snapshotPayload: Buffer | undefined;
    let newestDamaged = -1;
    for (const g of [...snapshots].sort((a, b) => b - a)) {
      const file = path.join(dir, generationFileName(name, g, 'snapshot'));
      const read = await readSnapshot(file);
      if (read.damage !== undefined) {
        const { position, bytes, problem } = read.damage;
        if (read.payload === undefined) {
          const copy = await setAsideDamaged(file, position);
          damage.push({ kind: 'snapshot', file, generation: g, position, bytes, problem, copy, stateLost: false, torn: false });
          newestDamaged = Math.max(newestDamaged, g);
          continue;
        }
        // An intact frame followed by stray bytes: the snapshot is good once they are cut.
        const copy = await cutStrayBytes(file, position, bytes);
        damage.push({ kind: 'snapshot', file, generation: g, position, bytes, problem, copy, stateLost: false, torn: false });
        logger.error(
          { file, problem, position, bytes, copy },
          `state log ${name}: snapshot ${file} has ${problem} at byte ${position}: cutting ${bytes} bytes there (a copy is in ${copy}); the snapshot before them is intact and is used`,
        );
      }
      snapshotGen = g;
      snapshotPayload = read.payload;
      break;
    }

    // Older generations are fully contained in the snapshot replayed: leftovers of a crash.
    for (const g of snapshots) if (g < snapshotGen) garbage.push(generationFileName(name, g, 'snapshot'));
    for (const g of logs) if (g < snapshotGen) garbage.push(generationFileName(name, g, 'log'));
    for (const f of garbage) await unlink(path.join(dir, f));
    let dirChanged = garbage.length > 0 || newestDamaged >= 0;

    const live = logs.filter((g) => g >= Math.max(snapshotGen, 0)).sort((a, b) => a - b);
    if (live.length === 0) live.push(Math.max(snapshotGen, 0, newestDamaged));
    // Generations between the snapshot replayed and the newest log whose logs are gone: removed
    // after a newer snapshot was in place, which is now damaged (or by hand).
    const missing: number[] = [];
    for (let g = Math.max(snapshotGen, 0), i = 0; g < live[live.length - 1]; g++) {
      if (live[i] === g) i++;
      else missing.push(g);
    }
    let missingDamage: StateLogDamage | undefined;
    if (missing.length > 0) {
      const first = missing[0];
      const file = path.join(dir, generationFileName(name, first, 'log'));
      const which = missing.length === 1 ? `generation ${first}` : `generations ${first} to ${missing[missing.length - 1]}`;
      missingDamage = { kind: 'missing', file, generation: first, position: 0, bytes: 0, problem: `the logs of ${which} are missing`, copy: '', stateLost: true, torn: false };
      damage.push(missingDamage);
    }
    const stateLost = missingDamage !== undefined;
    for (let i = 0; i < damage.length; i++) {
      const d = damage[i];
      // Only the snapshots set aside; one whose stray bytes were cut is the one replayed.
      if (d.kind !== 'snapshot' || d.generation <= snapshotGen) continue;
      damage[i] = { ...d, stateLost };
      const base =
        snapshotGen >= 0
          ? `the older snapshot ${generationFileName(name, snapshotGen, 'snapshot')} and the logs since`
          : 'the logs that remain, from an empty state';
      const outcome = missingDamage
        ? `the state is rebuilt from ${base}; ${missingDamage.problem}, so what they recorded is lost unless a later record repeats it`
        : `the state is rebuilt whole from ${base}`;
      logger.error(
        { file: d.file, problem: d.problem, position: d.position, bytes: d.bytes, copy: d.copy, stateLost, missingGenerations: missing },
        `state log ${name}: snapshot ${d.file} has ${d.problem} (${d.bytes} bytes from byte ${d.position}); it is set aside as ${d.copy}, and ${outcome}`,
      );
    }
    if (missingDamage && !damage.some((d) => d.kind === 'snapshot' && d.generation > snapshotGen)) {
      const d = missingDamage;
      logger.error({ file: d.file, problem: d.problem, missingGenerations: missing }, `state log ${name}: ${d.problem} (from ${d.file} on); the records of the logs that remain are replayed without them`);
    }
    const scanned: { gen: number; size: number; records: number }[] = [];
    let active: FileHandle | undefined;
    for (let i = 0; i < live.length; i++) {
      const g = live[i];
      const logPath = path.join(dir, generationFileName(name, g, 'log'));
      const created = !logs.includes(g);
      dirChanged ||= created;
      const fh = await open(logPath, created ? 'w+' : 'r+');
      try {
        const fileSize = (await fh.stat()).size;
        const reader = new FrameReader(fh, fileSize);
        let records = 0;
        while ((await reader.next()) !== null) records++;
        if (reader.validEnd < fileSize) {
          const cut = fileSize - reader.validEnd;
          const copy = await keepDamagedBytes(fh, logPath, reader.validEnd, cut);
          // A frame cut short at the very end is what a crash in the middle of a write leaves; a
          // frame that is complete but wrong was damaged after it was written.
          const level = reader.torn ? 'warn' : 'error';
          damage.push({ kind: 'log', file: logPath, generation: g, position: reader.validEnd, bytes: cut, problem: reader.problem ?? 'bad bytes', copy, stateLost: false, torn: reader.torn });
          logger[level](
            { file: logPath, problem: reader.problem, position: reader.validEnd, truncatedBytes: cut, records, copy },
            `state log ${name}: ${logPath} has ${reader.problem} at byte ${reader.validEnd}: truncating ${cut} bytes there (a copy is in ${copy}); ${records} records before it are kept`,
          );
          await fh.truncate(reader.validEnd);
          await fh.sync();
          // Later logs continue after a write that was lost: their records cannot be applied, and
          // are set aside, not removed.
          for (const later of live.splice(i + 1)) {
            const laterPath = path.join(dir, generationFileName(name, later, 'log'));
            const laterSize = (await stat(laterPath)).size;
            const aside = await setAsideDamaged(laterPath, 0);
            damage.push({ kind: 'log', file: laterPath, generation: later, position: 0, bytes: laterSize, problem: `it follows a torn log`, copy: aside, stateLost: false, torn: false });
            logger.error({ file: laterPath, copy: aside }, `state log ${name}: ${laterPath} follows a torn one; its records cannot be applied and it is set aside as ${aside}`);
          }
          dirChanged = true;
        }
        scanned.push({ gen: g, size: reader.validEnd, records });
        if (i === live.length - 1) active = fh;
        else await fh.close();
      } catch (err) {
        await fh.close();
        throw err;
      }
    }
    try {
      if (dirChanged) await syncDir(dir);
      const settings = {
        name,
        fsync: options.fsync ?? false,
        maxRecordBytes: options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES,
      };
      const last = scanned[scanned.length - 1];
      let records = 0;
      let bytes = 0;
      for (const l of scanned) {
        records += l.records;
        bytes += l.size;
      }
      const earlier = scanned.slice(0, -1).map(({ gen, size }) => ({ gen, size }));
      // The scan's last pass opened it (live is never empty).
      if (active === undefined) throw new Error(`internal error: state log ${name} has no active log`);
      return new DiskStateLog(name, dir, key, settings, snapshotGen, snapshotPayload, earlier, last.gen, active, last.size, records, bytes, damage);
    } catch (err) {
      await active?.close();
      throw err;
    }
  }

  async *replay(): AsyncGenerator<StateLogEntry> {
    this.guard.beginReplay(this.name);
    this.guard.replaying++;
    try {
      if (this.snapshotGen >= 0) {
        // Verified on open; only a second replay has to read it again.
        const payload = this.snapshotPayload ?? (await verifySnapshot(path.join(this.dir, generationFileName(this.name, this.snapshotGen, 'snapshot'))));
        // A snapshot can be large: not kept for the life of the log.
        this.snapshotPayload = undefined;
        yield { kind: 'snapshot', value: decodePayload(payload, `state log ${this.name} snapshot`) };
      }
      for (const { gen, size } of this.earlierLogs) {
        const fh = await open(path.join(this.dir, generationFileName(this.name, gen, 'log')), 'r');
        try {
          yield* this.recordsOf(fh, size);
        } finally {
          await fh.close();
        }
      }
      yield* this.recordsOf(this.fh, this.size);
    } finally {
      this.guard.replaying--;
    }
  }

  private async *recordsOf(fh: FileHandle, size: number): AsyncGenerator<StateLogEntry> {
    const reader = new FrameReader(fh, size);
    for (let payload = await reader.next(); payload !== null; payload = await reader.next()) {
      yield { kind: 'record', value: decodePayload(payload, `state log ${this.name}`) };
    }
    if (reader.validEnd !== size) {
      throw new StorageError(`state log ${this.name}: ${reader.problem} at ${reader.validEnd}, in bytes verified on open`);
    }
  }

  append(record: unknown): Promise<void> {
    try {
      this.guard.beginWrite(this.name);
      const payload = encodePayload(record);
      checkRecordSize(payload, this.options.maxRecordBytes);
      const frame = frameOf(payload);
      return new Promise((resolve, reject) => { this.enqueue({ kind: 'append', frame, resolve, reject }); });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  writeSnapshot(state: unknown): Promise<void> {
    try {
      this.guard.beginWrite(this.name);
      const payload = encodePayload(state);
      if (payload.length > MAX_FRAME_PAYLOAD) throw new RangeError(`snapshot of ${payload.length} bytes is too large`);
      return new Promise((resolve, reject) => {
        // In the queue, only the switch to a new generation; the snapshot is written behind it.
        const run = async (): Promise<void> => {
          const gen = await this.startGeneration();
          const written = this.snapshotsWritten.then(() => this.commitSnapshot(gen, payload));
          this.snapshotsWritten = written.catch(() => undefined);
          written.then(resolve, reject);
        };
        this.enqueue({ kind: 'other', run, resolve: () => undefined, reject });
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  flush(): Promise<void> {
    if (this.guard.closed) return Promise.reject(new Error(`state log ${this.name} is closed`));
    return this.enqueueOther(async () => {
      this.throwIfFailed();
      await this.fh.datasync();
    });
  }

  close(): Promise<void> {
    if (this.closePromise) return this.closePromise;
    this.guard.closed = true;
    this.closePromise = this.enqueueOther(async () => {
      try {
        await this.snapshotsWritten;
        if (!this.failed) await this.fh.datasync();
      } finally {
        await this.fh.close();
        DiskStateLog.openLogs.delete(this.key);
      }
    });
    return this.closePromise;
  }

  private enqueueOther(run: () => Promise<void>): Promise<void> {
    return new Promise((resolve, reject) => { this.enqueue({ kind: 'other', run, resolve, reject }); });
  }

  private enqueue(task: Task): void {
    this.queue.push(task);
    if (!this.working) void this.work();
  }

  /** The single writer: takes tasks in order, coalescing consecutive appends into one write. */
  private async work(): Promise<void> {
    this.working = true;
    while (this.queue.length > 0) {
      const first = this.queue[0];
      if (first.kind === 'other') {
        this.queue.shift();
        try {
          await first.run();
          first.resolve();
        } catch (err) {
          first.reject(err);
        }
        continue;
      }
      const batch: Extract<Task, { kind: 'append' }>[] = [];
      let bytes = 0;
      while (this.queue.length > 0) {
        const t = this.queue[0];
        if (t.kind !== 'append' || (batch.length > 0 && bytes + t.frame.length > MAX_COALESCED_BYTES)) break;
        this.queue.shift();
        batch.push(t);
        bytes += t.frame.length;
      }
      try {
        await this.writeFrames(batch.length === 1 ? batch[0].frame : Buffer.concat(batch.map((t) => t.frame), bytes));
        this.records += batch.length;
        for (const t of batch) t.resolve();
      } catch (err) {
        for (const t of batch) t.reject(err);
      }
    }
    this.working = false;
  }

  private throwIfFailed(): void {
    if (this.failed) throw this.failed;
  }

  private async writeFrames(buf: Buffer): Promise<void> {
    this.throwIfFailed();
    try {
      await writeFully(this.fh, [buf], this.size);
      if (this.options.fsync) await this.fh.datasync();
    } catch (err) {
      // Take back a partial write so that later appends do not land after garbage.
      try {
        await this.fh.truncate(this.size);
      } catch (truncateErr) {
        this.failed = new StorageError(`state log ${this.name}: cannot undo a failed write`, truncateErr);
      }
      throw new StorageError(`state log ${this.name}: append failed`, err);
    }
    this.size += buf.length;
    this.bytes += buf.length;
  }

  /**
   * Moves the appends to the log of a new generation (everything queued before is written) and
   * returns that generation. The old log stays until the new generation's snapshot is in place.
   */
  private async startGeneration(): Promise<number> {
    this.throwIfFailed();
    const next = this.gen + 1;
    let fh: FileHandle | undefined;
    try {
      fh = await open(path.join(this.dir, generationFileName(this.name, next, 'log')), 'w+');
      // With fsync the records are meant to survive a machine crash, so must the new file's name.
      if (this.options.fsync) await syncDir(this.dir);
    } catch (err) {
      await fh?.close().catch(() => undefined);
      throw new StorageError(`state log ${this.name}: starting a new generation failed`, err);
    }
    const old = this.fh;
    this.fh = fh;
    this.gen = next;
    this.size = 0;
    this.records = 0;
    this.bytes = 0;
    await old.close().catch(() => undefined);
    return next;
  }

  /**
   * Writes the snapshot that starts generation `gen`, then removes the older generations. A
   * failure leaves the previous snapshot and all the logs since in place: the state on disk is
   * still whole, and the next snapshot tries again.
   */
  private async commitSnapshot(gen: number, payload: Uint8Array): Promise<void> {
    try {
      // Writes N-<g>.snapshot.tmp first, which open() removes should a crash leave it behind.
      await replaceFileDurably(this.dir, generationFileName(this.name, gen, 'snapshot'), frameOf(payload));
    } catch (err) {
      throw new StorageError(`state log ${this.name}: writing a snapshot failed`, err);
    }
    // Best effort: leftovers are removed on the next open.
    const pattern = generationFilePattern(this.name);
    try {
      for (const f of await readdir(this.dir)) {
        const m = pattern.exec(f);
        if (m && m[2] !== 'snapshot.tmp' && Number(m[1]) < gen) await unlink(path.join(this.dir, f)).catch(() => undefined);
      }
      await syncDir(this.dir);
    } catch {
      // ignored: see above
    }
  }
}

/** `<name>-<gen>.<ext>`, the generation as 20 digits so that names sort by generation. */
function generationFileName(name: string, gen: number, ext: string): string {
  return `${name}-${String(gen).padStart(20, '0')}.${ext}`;
}

/** Matches the files of log `name`: [, generation, 'log' | 'snapshot' | 'snapshot.tmp']. */
function generationFilePattern(name: string): RegExp {
  return new RegExp(`^${name.replace(/[.]/g, '\\.')}-(\\d{20})\\.(log|snapshot|snapshot\\.tmp)$`);
}

/**
 * `<file>.damaged-<position>`, or with `.1`, `.2`, ... added when an earlier start already left
 * one of that name: the name a cut-off part of a log is kept under.
 */
async function freeDamagedName(file: string, position: number): Promise<string> {
  const base = `${file}.damaged-${position}`;
  for (let n = 0; ; n++) {
    const candidate = n === 0 ? base : `${base}.${n}`;
    try {
      await stat(candidate);
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return candidate;
      throw err;
    }
  }
}

/**
 * Copies the `length` bytes at `position` of a log about to be truncated there into a file of
 * their own beside it, fsynced, so that whatever recovery cuts can still be inspected. Returns
 * the copy's path. The caller fsyncs the directory.
 */
async function keepDamagedBytes(fh: FileHandle, file: string, position: number, length: number): Promise<string> {
  const copyPath = await freeDamagedName(file, position);
  const copy = await open(copyPath, 'wx');
  try {
    const chunk = Buffer.allocUnsafe(Math.min(length, READ_CHUNK_BYTES));
    for (let done = 0; done < length; ) {
      const n = await readFully(fh, chunk, 0, Math.min(chunk.length, length - done), position + done);
      if (n === 0) break;
      await writeFully(copy, [chunk.subarray(0, n)], done);
      done += n;
    }
    await copy.sync();
  } finally {
    await copy.close();
  }
  return copyPath;
}

/** Renames a whole log that cannot be applied to its `.damaged-<position>` name; returns the new path. */
async function setAsideDamaged(file: string, position: number): Promise<string> {
  const target = await freeDamagedName(file, position);
  await rename(file, target);
  return target;
}

/**
 * Reads a snapshot file, which should hold exactly one intact frame. Returns the payload when the
 * frame is intact, and what is wrong otherwise: for a frame that is torn or fails its CRC, no
 * payload; for stray bytes after an intact frame, the payload and where they start.
 */
async function readSnapshot(file: string): Promise<{ payload?: Buffer; damage?: { position: number; bytes: number; problem: string } }> {
  const size = (await stat(file)).size;
  const fh = await open(file, 'r');
  try {
    const reader = new FrameReader(fh, size);
    const payload = await reader.next();
    if (payload === null) {
      if (size === 0) return { damage: { position: 0, bytes: 0, problem: 'no frame (the file is empty)' } };
      // A CRC cannot say where in the frame the damage lies, nor a torn frame where its end went.
      const problem = reader.torn ? `${reader.problem}, cut short at byte ${size}` : `${reader.problem} (somewhere in its ${size} bytes)`;
      return { damage: { position: 0, bytes: size, problem } };
    }
    if (reader.validEnd !== size) {
      return { payload, damage: { position: reader.validEnd, bytes: size - reader.validEnd, problem: `${size - reader.validEnd} stray bytes after its frame` } };
    }
    return { payload };
  } finally {
    await fh.close();
  }
}

/** Copies the bytes from `position` on of a snapshot beside it and cuts them off; returns the copy's path. */
async function cutStrayBytes(file: string, position: number, bytes: number): Promise<string> {
  const fh = await open(file, 'r+');
  try {
    const copy = await keepDamagedBytes(fh, file, position, bytes);
    await fh.truncate(position);
    await fh.sync();
    return copy;
  } finally {
    await fh.close();
  }
}

/**
 * The payload of a damaged snapshot kept aside by open (`StateLogDamage.copy` of kind 'snapshot'),
 * unchecked: as many of the announced bytes as the file holds, for an owner to salvage what it can
 * name (what it lost). Undefined when the file is too short to hold a frame header.
 */
export async function readDamagedSnapshotPayload(copy: string): Promise<Buffer | undefined> {
  const bytes = await readFile(copy);
  if (bytes.length < FRAME_HEADER_BYTES) return undefined;
  const length = bytes.readUInt32BE(0);
  return bytes.subarray(FRAME_HEADER_BYTES, Math.min(bytes.length, FRAME_HEADER_BYTES + length));
}

/**
 * The payloads of the frames in bytes cut from a log (`StateLogDamage.copy` of kind 'log'),
 * unchecked, one after another as long as their announced lengths are plausible (the last one as
 * far as the file holds): for an owner to name what it lost. Never state to apply.
 */
export async function readDamagedLogPayloads(copy: string): Promise<Buffer[]> {
  const bytes = await readFile(copy);
  const out: Buffer[] = [];
  for (let pos = 0; pos + FRAME_HEADER_BYTES <= bytes.length; ) {
    const length = bytes.readUInt32BE(pos);
    if (length === 0) break;
    const start = pos + FRAME_HEADER_BYTES;
    out.push(bytes.subarray(start, Math.min(bytes.length, start + length)));
    pos = start + length;
  }
  return out;
}

/** Reads a snapshot file, which must hold exactly one intact frame, and returns its payload. */
async function verifySnapshot(file: string): Promise<Buffer> {
  const size = (await stat(file)).size;
  const fh = await open(file, 'r');
  try {
    const reader = new FrameReader(fh, size);
    const payload = await reader.next();
    if (payload === null || reader.validEnd !== size) {
      throw new StorageError(`state log snapshot ${file} is corrupt (${reader.problem ?? 'trailing bytes'})`);
    }
    return payload;
  } finally {
    await fh.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Memory

/** The same contract without files; records are stored encoded, so replay returns fresh copies. */
class MemoryStateLog implements StateLog {
  private readonly guard = new UsageGuard();
  readonly damage: readonly StateLogDamage[] = [];

  private constructor(
    readonly name: string,
    private readonly store: MemoryStateLogStore,
    private readonly maxRecordBytes: number,
    private readonly data: { snapshot: Uint8Array | undefined; records: Uint8Array[]; bytes: number },
  ) {}

  static open(store: MemoryStateLogStore, options: StateLogOptions): MemoryStateLog {
    const name = options.name;
    if (store.open.has(name)) throw new Error(`state log ${name} is already open`);
    let data = store.logs.get(name);
    if (!data) {
      data = { snapshot: undefined, records: [], bytes: 0 };
      store.logs.set(name, data);
    }
    store.open.add(name);
    return new MemoryStateLog(name, store, options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES, data);
  }

  get recordsSinceSnapshot(): number {
    return this.data.records.length;
  }

  get bytesSinceSnapshot(): number {
    return this.data.bytes;
  }

  async *replay(): AsyncGenerator<StateLogEntry> {
    this.guard.beginReplay(this.name);
    this.guard.replaying++;
    try {
      const { snapshot, records } = this.data;
      if (snapshot) yield { kind: 'snapshot', value: decodePayload(snapshot, `state log ${this.name} snapshot`) };
      for (let i = 0; i < records.length; i++) {
        yield { kind: 'record', value: decodePayload(records[i], `state log ${this.name}`) };
      }
    } finally {
      this.guard.replaying--;
    }
  }

  async append(record: unknown): Promise<void> {
    this.guard.beginWrite(this.name);
    const payload = encodePayload(record);
    checkRecordSize(payload, this.maxRecordBytes);
    this.data.records.push(payload);
    this.data.bytes += FRAME_HEADER_BYTES + payload.length;
  }

  async writeSnapshot(state: unknown): Promise<void> {
    this.guard.beginWrite(this.name);
    this.data.snapshot = encodePayload(state);
    this.data.records = [];
    this.data.bytes = 0;
  }

  async flush(): Promise<void> {
    if (this.guard.closed) throw new Error(`state log ${this.name} is closed`);
  }

  async close(): Promise<void> {
    if (this.guard.closed) return;
    this.guard.closed = true;
    this.store.open.delete(this.name);
  }
}
