/**
 * The log manager: owns every partition log of the broker (Kafka's `LogManager`), on disk or in
 * memory behind one interface.
 *
 * On-disk layout, Kafka's, in each of the data directories (`log.dirs`):
 *
 * ```
 * <log dir>/
 *   .lock                                 holds the pid of the broker using this dir
 *   .kafka_cleanshutdown                  present only between a clean close and the next open
 *   <topic>-<partition>/                  one partition log (see segment-files.ts), with its
 *                                         topic id in partition.metadata
 *   <topic>-<partition>.<uuid>-delete/    a deleted partition, being removed
 *   <topic>-<partition>.<uuid>-stray/     a partition set aside: its data belongs to no known
 *                                         topic; never loaded, never removed by the broker
 * ```
 *
 * - Topic names may contain '.', '_' and '-': the partition number is what follows the last '-'.
 * - A new partition goes to the dir holding the fewest partitions (Kafka's `nextLogDirs`).
 * - Deleting a partition closes its log and renames its folder to the `-delete` form, so it is gone
 *   at once, also for a restart; the folder is then removed in the background. Leftover `-delete`
 *   folders (a crash during removal) are removed on the next open.
 * - `partition.metadata` (Kafka's, see partition-metadata-file.ts) holds the topic id the
 *   partition was created for. It is written before a new partition's log opens, read for every
 *   partition found on open, and written on request for partitions that lack it; the manager only
 *   keeps it, the metadata layer decides what a missing or different id means.
 * - Setting a partition aside (Kafka's stray logs) closes its log and renames its folder to the
 *   `-stray` form: the data stays on disk for an operator, out of the broker's way.
 * - The clean-shutdown marker: `close()` closes every log and then writes `.kafka_cleanshutdown`
 *   into each dir whose logs all closed cleanly; `open` reads and removes it before loading, and
 *   tells each partition log whether its dir was shut down cleanly, so recovery (scanning the
 *   tail of the active segment) runs only after a crash. Removing the marker before loading errs
 *   on the safe side: a crash during start leaves no marker, and the next start recovers.
 * - The lock: `open` creates `.lock` atomically (a hard link from a temporary file that already
 *   holds our pid), so two brokers cannot use the same dir. A lock whose process is gone (a crash)
 *   is taken over. Limits: liveness is judged by pid on this machine, so a dir shared over a network
 *   file system is not protected, and two brokers racing to take over the same stale lock in the
 *   same instant can both win.
 *
 * Concurrency: one event loop. Operations on the same partition are ordered: a create waits for a
 * delete of the same partition to finish its rename, and a delete waits for a create in flight.
 */
import { ConcurrencyLimit } from '../util/bounded.js';
import { randomUUID } from 'node:crypto';
import { copyFileSync } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isValidTopicName, topicNameProblem } from '../protocol/topic-name.js';
import { systemClock, type Clock } from '../util/clock.js';
import { forEachBounded } from '../util/bounded.js';
import { isTooManyOpenFiles, readOpenFileLimit, tooManyOpenFilesAdvice } from '../util/open-file-limit.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { mustGet } from '../util/must-get.js';
import { BatchCache } from './batch-cache.js';
import { blockingOpener, blockingReadText } from './blocking-file.js';
import { openDiskPartitionLog } from './disk-partition-log.js';
import { MemoryPartitionLog } from './memory-partition-log.js';
import { PARTITION_METADATA_FILE, PartitionMetadataError, readPartitionMetadata, writePartitionMetadata } from './partition-metadata-file.js';
import { errorCode, parsePartitionDirName, partitionDirName, syncDir, type OpenFile } from './segment-files.js';
import { SyncWritePolicy } from './sync-write-policy.js';
import { DEFAULT_LOG_CONFIG, StorageError, type LogConfig, type PartitionLog } from './types.js';


/** Leader-epoch checkpoint writes at once per broker: each holds two descriptors for a moment. */
const CHECKPOINT_WRITE_CONCURRENCY = 8;
export interface LogManager {
  readonly storage: 'disk' | 'memory';
  /** The data directories, absolute (none for memory storage). */
  readonly dirs: readonly string[];
  /**
   * @internal The cache of recently appended small batches the broker's disk logs share (one per
   * log manager, never per process); null for memory storage.
   */
  readonly batchCache: BatchCache | null;
  /** @internal Which appends of the broker's disk logs are written synchronously; null for memory storage. */
  readonly syncWritePolicy: SyncWritePolicy | null;

  /**
   * Creates the partition's log, or returns it when it exists (then with `config` applied through
   * `updateConfig`), so that replaying metadata on start can call it for every known partition.
   * A new partition gets `topicId` in its partition.metadata before its log opens.
   */
  create(topic: string, partition: number, config: LogConfig, topicId?: string): Promise<PartitionLog>;

  /**
   * The topic id in the partition's partition.metadata, as found on open or written since;
   * undefined when the partition has none (or an unreadable one, which open reports), or is absent.
   */
  topicIdOf(topic: string, partition: number): string | undefined;

  /** Writes the partition's partition.metadata (durably) unless it already holds `topicId`. */
  recordTopicId(topic: string, partition: number, topicId: string): Promise<void>;

  /**
   * Sets a partition aside: gone from `get`/`all`, its files kept under a `-stray` folder name that
   * later opens skip. Resolves the folder's new path (undefined in memory or when absent).
   */
  setAside(topic: string, partition: number): Promise<string | undefined>;

  /** The open log of a partition, or undefined. */
  get(topic: string, partition: number): PartitionLog | undefined;

  /** Every open partition log. */
  all(): PartitionLog[];

  /** The data directory holding a partition (DescribeLogDirs); undefined in memory or when absent. */
  dirOf(topic: string, partition: number): string | undefined;

  /**
   * Deletes a partition: gone from `get`/`all` at once, its files renamed away when this resolves
   * and removed in the background. Resolves false when there was no such partition.
   */
  delete(topic: string, partition: number): Promise<boolean>;

  /** Closes every log, then writes the clean-shutdown markers and releases the dirs. Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens one partition log on disk whose partition directory is `dir` (`<log dir>/<topic>-<partition>`):
 * `openDiskPartitionLog`'s signature.
 */
export type DiskPartitionLogOpener = (
  dir: string,
  topic: string,
  partition: number,
  config: LogConfig,
  options: {
    cleanShutdown: boolean;
    clock?: () => number;
    logger?: Logger;
    loadFile?: OpenFile;
    batchCache?: BatchCache | null;
    syncWritePolicy?: SyncWritePolicy;
    checkpointWrites?: ConcurrencyLimit;
  },
) => Promise<PartitionLog>;

/** Makes one in-memory partition log: `new MemoryPartitionLog(...)`. */
export type MemoryPartitionLogFactory = (topic: string, partition: number, config: LogConfig, clock: () => number) => PartitionLog;

export interface LogManagerOptions {
  storage: 'disk' | 'memory';
  /** log.dirs: one or more data directories (disk storage; created when missing). */
  dirs?: readonly string[];
  clock?: Clock;
  /** The config of a partition found on disk at open (topic overrides over broker defaults). Default: Kafka's defaults. */
  configFor?: (topic: string, partition: number) => LogConfig;
  /** How many partition logs are opened (recovered) at once during open and closed at once during close. Default 8. */
  concurrency?: number;
  logger?: Logger;
  /** Replaces `openDiskPartitionLog` (tests: fault injection, observing recovery). */
  openPartitionLog?: DiskPartitionLogOpener;
  /** Replaces `new MemoryPartitionLog` (tests). */
  newMemoryPartitionLog?: MemoryPartitionLogFactory;
}

/** Another process (or this one) is using the data directory. */
export class LogDirLockedError extends StorageError {
  constructor(
    readonly dir: string,
    readonly holderPid: number | undefined,
  ) {
    super(`log dir ${dir} is in use${holderPid === undefined ? '' : ` by process ${holderPid}`} (${LOCK_FILE})`);
  }
}

const defaultMemoryFactory: MemoryPartitionLogFactory = (topic, partition, config, clock) =>
  new MemoryPartitionLog(topic, partition, config, clock);

/** Opens the log manager: for disk storage, locks the dirs and loads every partition found in them. */
export async function openLogManager(options: LogManagerOptions): Promise<LogManager> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  if (options.storage === 'memory') {
    const factory = options.newMemoryPartitionLog ?? defaultMemoryFactory;
    return new MemoryLogManager(factory, clock);
  }
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- callers in plain JavaScript can pass anything
  if (options.storage !== 'disk') throw new TypeError(`unknown storage ${JSON.stringify(options.storage)}`);
  if (!options.dirs || options.dirs.length === 0) throw new TypeError('disk storage needs at least one log dir');
  const dirs = options.dirs.map((d) => path.resolve(d));
  if (new Set(dirs).size !== dirs.length) throw new TypeError(`a log dir is listed twice: ${dirs.join(', ')}`);
  const opener = options.openPartitionLog ?? openDiskPartitionLog;
  const configFor = options.configFor ?? (() => DEFAULT_LOG_CONFIG);
  return DiskLogManager.open(dirs, { opener, configFor, clock, logger, concurrency });
}

// ---------------------------------------------------------------------------------------------
// Names

const LOCK_FILE = '.lock';
const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
const DELETE_DIR_SUFFIX = '-delete';
const STRAY_DIR_SUFFIX = '-stray';
const MAX_FILE_NAME = 255;
/** Files one partition holds open at once while it is opened: its active segment's log and two indexes. */
const DESCRIPTORS_PER_OPEN = 3;

function checkTopicPartition(topic: string, partition: number): void {
  const problem = topicNameProblem(topic);
  if (problem !== null) throw new TypeError(`invalid topic name ${JSON.stringify(topic)}: ${problem}`);
  if (!Number.isInteger(partition) || partition < 0 || partition > 0x7fffffff) {
    throw new TypeError(`invalid partition ${partition}`);
  }
}

/**
 * `<topic>-<partition>.<uuid>-delete` or `-stray`, the topic shortened so the name fits in 255
 * bytes (Kafka's `logDeleteDirName` and `logStrayDirName`).
 */
function asideDirName(topic: string, partition: number, kind: typeof DELETE_DIR_SUFFIX | typeof STRAY_DIR_SUFFIX): string {
  const suffix = `-${partition}.${randomUUID().replaceAll('-', '')}${kind}`;
  return topic.slice(0, Math.min(topic.length, MAX_FILE_NAME - suffix.length)) + suffix;
}

// ---------------------------------------------------------------------------------------------
// Files

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errorCode(err) === 'EPERM'; // exists, owned by someone else
  }
}

/** Dirs locked by this process: a second open of the same dir in-process is refused too. */
const lockedByThisProcess = new Set<string>();

async function lockDir(dir: string, logger: Logger): Promise<void> {
  // Claimed before any await, so that a concurrent open in this process never sees our own pid
  // in the lock file and mistakes it for a stale one.
  if (lockedByThisProcess.has(dir)) throw new LogDirLockedError(dir, process.pid);
  lockedByThisProcess.add(dir);
  try {
    await takeLockFile(dir, logger);
  } catch (err) {
    lockedByThisProcess.delete(dir);
    throw err;
  }
}

async function takeLockFile(dir: string, logger: Logger): Promise<void> {
  const lockPath = path.join(dir, LOCK_FILE);
  // The lock appears with its content in one step: link() of a complete file fails if one exists.
  const tmp = path.join(dir, `${LOCK_FILE}.${process.pid}.${randomUUID()}.tmp`);
  await writeFile(tmp, `${process.pid}\n`);
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await link(tmp, lockPath);
        return;
      } catch (err) {
        if (errorCode(err) !== 'EEXIST') throw err;
      }
      let holder: number | undefined;
      try {
        const text = await readFile(lockPath, 'utf8');
        holder = /^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined;
      } catch (err) {
        if (errorCode(err) === 'ENOENT') continue; // released meanwhile: try again
        throw err;
      }
      // Our own pid in a lock we do not hold is stale: a restart that got the same pid (a container's pid 1).
      if (holder !== undefined && holder !== process.pid && isProcessAlive(holder)) throw new LogDirLockedError(dir, holder);
      logger.warn({ dir, stalePid: holder }, 'taking over the lock of a broker that is gone');
      await unlink(lockPath).catch((err: unknown) => {
        if (errorCode(err) !== 'ENOENT') throw err;
      });
    }
    throw new LogDirLockedError(dir, undefined);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

async function unlockDir(dir: string): Promise<void> {
  lockedByThisProcess.delete(dir);
  await unlink(path.join(dir, LOCK_FILE)).catch((err: unknown) => {
    if (errorCode(err) !== 'ENOENT') throw err;
  });
}

/** Whether the dir was shut down cleanly; removes the marker (durably) so that a crash from now on is seen as one. */
async function takeCleanShutdownMarker(dir: string): Promise<boolean> {
  try {
    await unlink(path.join(dir, CLEAN_SHUTDOWN_FILE));
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return false;
    throw err;
  }
  await syncDir(dir);
  return true;
}

async function writeCleanShutdownMarker(dir: string): Promise<void> {
  const file = path.join(dir, CLEAN_SHUTDOWN_FILE);
  const fh = await open(file, 'w');
  try {
    // The content of Kafka's CleanShutdownFileHandler; only the file's presence matters here.
    await fh.writeFile(JSON.stringify({ version: 0, brokerEpoch: -1 }));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await syncDir(dir);
}

// ---------------------------------------------------------------------------------------------
// Disk

/** Size of the ring of recently appended small batches a disk log manager keeps (allocated on first use). */
const BATCH_CACHE_BYTES = 32 * 1024 * 1024;

interface DiskEntry {
  readonly topic: string;
  readonly partition: number;
  readonly log: PartitionLog;
  /** The data directory holding it. */
  readonly dir: string;
  /** What its partition.metadata holds; undefined when it has none. */
  topicId: string | undefined;
}

interface DiskSettings {
  opener: DiskPartitionLogOpener;
  configFor: (topic: string, partition: number) => LogConfig;
  clock: Clock;
  logger: Logger;
  concurrency: number;
}

class DiskLogManager implements LogManager {
  readonly storage = 'disk' as const;
  // One of each per broker: brokers sharing a process must not evict each other's cached batches
  // or put each other's writes on the thread pool.
  readonly batchCache = new BatchCache(BATCH_CACHE_BYTES);
  readonly syncWritePolicy = new SyncWritePolicy();
  /** Leader-epoch checkpoint writes in flight across this broker's partitions (see disk-partition-log.ts). */
  private readonly checkpointWrites = new ConcurrencyLimit(CHECKPOINT_WRITE_CONCURRENCY);
  private readonly logs = new Map<string, DiskEntry>();
  private readonly creating = new Map<string, Promise<PartitionLog>>();
  private readonly deleting = new Map<string, Promise<void>>();
  /** Partitions being created, per dir: counted by placement so concurrent creates spread out. */
  private readonly reserved = new Map<string, number>();
  private readonly removals = new Set<Promise<void>>();
  private readonly clockFn: () => number;
  private closing: Promise<void> | undefined;

  private constructor(
    readonly dirs: readonly string[],
    private readonly settings: DiskSettings,
  ) {
    const clock = settings.clock;
    this.clockFn = () => clock.now();
  }

  /** `dirs`: absolute, distinct. */
  static async open(dirs: readonly string[], settings: DiskSettings): Promise<DiskLogManager> {
    const locked: string[] = [];
    const manager = new DiskLogManager(dirs, settings);
    try {
      for (const dir of dirs) {
        await mkdir(dir, { recursive: true });
        await lockDir(dir, settings.logger);
        locked.push(dir);
      }
      // Read now, while descriptors are to be had: an EMFILE later is explained with it.
      const limit = readOpenFileLimit();
      if (limit !== undefined) settings.logger.debug({ soft: limit.soft, hard: limit.hard }, 'open files limit');
      await manager.loadAll();
      return manager;
    } catch (err) {
      await manager.abandon(locked);
      throw err;
    }
  }

  /** Finds the partitions in every dir, removes leftover deletions, and opens the logs. */
  private async loadAll(): Promise<void> {
    const { logger, configFor, concurrency, opener } = this.settings;
    const found: { topic: string; partition: number; dir: string; cleanShutdown: boolean }[] = [];
    const where = new Map<string, string>();
    for (const dir of this.dirs) {
      const cleanShutdown = await takeCleanShutdownMarker(dir);
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const name = entry.name;
        if (!entry.isDirectory()) {
          // A lock file another start was writing when it died.
          const pid = /^\.lock\.(\d+)\..+\.tmp$/.exec(name)?.[1];
          if (pid !== undefined && (Number(pid) === process.pid || !isProcessAlive(Number(pid)))) {
            await unlink(path.join(dir, name)).catch(() => undefined);
          }
          continue;
        }
        if (name.endsWith(DELETE_DIR_SUFFIX)) {
          this.removeInBackground(path.join(dir, name));
          continue;
        }
        if (name.endsWith(STRAY_DIR_SUFFIX)) {
          // Said at every start, so that set-aside data is not forgotten.
          logger.warn({ dir: path.join(dir, name) }, `partition folder ${path.join(dir, name)} was set aside earlier (its data belongs to no known topic): not loaded; inspect it and remove it by hand`);
          continue;
        }
        const tp = parsePartitionDirName(name);
        if (tp === null || partitionDirName(tp.topic, tp.partition) !== name || !isValidTopicName(tp.topic)) {
          logger.debug({ dir, name }, 'ignoring a folder that is not a partition');
          continue;
        }
        const other = where.get(name);
        if (other !== undefined) {
          throw new StorageError(`partition ${name} is in two log dirs: ${other} and ${dir}`);
        }
        where.set(name, dir);
        found.push({ ...tp, dir, cleanShutdown });
      }
      // A new or empty dir has no marker and nothing to recover: only partitions are worth a word.
      const partitionsHere = found.filter((f) => f.dir === dir).length;
      if (partitionsHere > 0) {
        logger.info({ dir, cleanShutdown, partitions: partitionsHere }, cleanShutdown ? 'log dir was shut down cleanly' : 'log dir was not shut down cleanly: recovering');
      }
    }

    // Read with synchronous calls, yielding every few milliseconds: before the broker listens, a
    // call on the event loop's thread costs a fifth of one through the thread pool (blocking-file.ts).
    const loadFile = blockingOpener();
    const errors = await forEachBounded(
      found,
      concurrency,
      async ({ topic, partition, dir, cleanShutdown }) => {
        const name = partitionDirName(topic, partition);
        const topicId = await this.readTopicId(path.join(dir, name));
        let log: PartitionLog;
        try {
          log = await opener(path.join(dir, name), topic, partition, configFor(topic, partition), {
            cleanShutdown,
            clock: this.clockFn,
            logger,
            loadFile,
            batchCache: this.batchCache,
            syncWritePolicy: this.syncWritePolicy,
            checkpointWrites: this.checkpointWrites,
          });
        } catch (err) {
          const why = isTooManyOpenFiles(err) ? `: ${tooManyOpenFilesAdvice({ partitions: found.length, loading: concurrency * DESCRIPTORS_PER_OPEN })}` : '';
          throw new StorageError(`cannot open partition ${name} in ${dir}${why}`, err);
        }
        this.logs.set(name, { topic, partition, log, dir, topicId });
      },
      { stopOnError: true },
    );
    if (errors.length > 0) throw errors[0];
    logger.info({ partitions: this.logs.size, dirs: this.dirs }, 'loaded partition logs');
  }

  /** A partition's partition.metadata; a malformed one is reported and counts as none (the metadata layer may rewrite it). */
  private async readTopicId(partitionDir: string): Promise<string | undefined> {
    try {
      return (await readPartitionMetadata(partitionDir, blockingReadText)) ?? undefined;
    } catch (err) {
      if (!(err instanceof PartitionMetadataError)) throw err;
      // The metadata layer writes the file again when it knows the topic: keep what was there first.
      const file = path.join(partitionDir, PARTITION_METADATA_FILE);
      const keptAs = `${file}.damaged`;
      try {
        copyFileSync(file, keptAs);
      } catch (copyErr) {
        this.settings.logger.warn({ err: copyErr, file }, 'could not keep a copy of a malformed partition.metadata');
      }
      this.settings.logger.warn({ err, dir: partitionDir, keptAs }, `${err.message}: the partition's topic id is unknown`);
      return undefined;
    }
  }

  /** Undoes a failed open: closes what was opened (without marking a clean shutdown) and unlocks. */
  private async abandon(locked: readonly string[]): Promise<void> {
    const entries = [...this.logs.values()];
    this.logs.clear();
    await forEachBounded(entries, this.settings.concurrency, (e) => e.log.close());
    await Promise.allSettled([...this.removals]);
    for (const dir of locked) await unlockDir(dir).catch(() => undefined);
  }

  create(topic: string, partition: number, config: LogConfig, topicId?: string): Promise<PartitionLog> {
    try {
      this.checkOpen();
      checkTopicPartition(topic, partition);
    } catch (err) {
      return Promise.reject(err);
    }
    const key = partitionDirName(topic, partition);
    const existing = this.logs.get(key);
    if (existing) {
      existing.log.updateConfig(config);
      return Promise.resolve(existing.log);
    }
    const inFlight = this.creating.get(key);
    if (inFlight) {
      return inFlight.then((log) => {
        log.updateConfig(config);
        return log;
      });
    }
    const created = this.createNew(topic, partition, key, config, topicId).finally(() => this.creating.delete(key));
    this.creating.set(key, created);
    return created;
  }

  private async createNew(topic: string, partition: number, key: string, config: LogConfig, topicId: string | undefined): Promise<PartitionLog> {
    await this.deleting.get(key)?.catch(() => undefined);
    const dir = this.chooseDir();
    this.reserved.set(dir, (this.reserved.get(dir) ?? 0) + 1);
    const partitionDir = path.join(dir, key);
    let made: string | undefined;
    try {
      made = await mkdir(partitionDir, { recursive: true });
      if (made !== undefined) await syncDir(dir);
      // Before any record: data on disk always says whose it is.
      if (topicId !== undefined) await writePartitionMetadata(partitionDir, topicId);
      // A folder made just now holds nothing to recover.
      const log = await this.settings.opener(partitionDir, topic, partition, config, {
        cleanShutdown: made !== undefined,
        clock: this.clockFn,
        batchCache: this.batchCache,
        syncWritePolicy: this.syncWritePolicy,
        checkpointWrites: this.checkpointWrites,
      });
      this.logs.set(key, { topic, partition, log, dir, topicId });
      return log;
    } catch (err) {
      // Leave no empty folder behind that a restart would load as a partition nobody created.
      if (made !== undefined) await rm(partitionDir, { recursive: true, force: true }).catch(() => undefined);
      throw err instanceof StorageError ? err : new StorageError(`cannot create partition ${key} in ${dir}`, err);
    } finally {
      this.reserved.set(dir, mustGet(this.reserved, dir) - 1);
    }
  }

  /** The dir with the fewest partitions (the first listed on a tie). */
  private chooseDir(): string {
    const counts = new Map<string, number>(this.dirs.map((d) => [d, this.reserved.get(d) ?? 0]));
    for (const e of this.logs.values()) counts.set(e.dir, mustGet(counts, e.dir) + 1);
    let best = this.dirs[0];
    for (const d of this.dirs) if (mustGet(counts, d) < mustGet(counts, best)) best = d;
    return best;
  }

  get(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(partitionDirName(topic, partition))?.log;
  }

  all(): PartitionLog[] {
    return [...this.logs.values()].map((e) => e.log);
  }

  dirOf(topic: string, partition: number): string | undefined {
    return this.logs.get(partitionDirName(topic, partition))?.dir;
  }

  topicIdOf(topic: string, partition: number): string | undefined {
    return this.logs.get(partitionDirName(topic, partition))?.topicId;
  }

  async recordTopicId(topic: string, partition: number, topicId: string): Promise<void> {
    this.checkOpen();
    const entry = this.logs.get(partitionDirName(topic, partition));
    if (!entry) throw new StorageError(`cannot record the topic id of partition ${partitionDirName(topic, partition)}: no such partition`);
    if (entry.topicId === topicId) return;
    await writePartitionMetadata(path.join(entry.dir, partitionDirName(topic, partition)), topicId);
    entry.topicId = topicId;
  }

  async setAside(topic: string, partition: number): Promise<string | undefined> {
    let target: string | undefined;
    await this.moveAway(topic, partition, async (entry) => {
      target = await this.renameAway(entry, STRAY_DIR_SUFFIX);
    });
    return target;
  }

  delete(topic: string, partition: number): Promise<boolean> {
    return this.moveAway(topic, partition, async (entry) => {
      this.removeInBackground(await this.renameAway(entry, DELETE_DIR_SUFFIX));
    });
  }

  /** Takes a partition out of the manager and runs `move` on it, ordered with creates of the same partition. */
  private async moveAway(topic: string, partition: number, move: (entry: DiskEntry) => Promise<void>): Promise<boolean> {
    this.checkOpen();
    checkTopicPartition(topic, partition);
    const key = partitionDirName(topic, partition);
    const creating = this.creating.get(key);
    if (creating) await creating.catch(() => undefined);
    const entry = this.logs.get(key);
    if (!entry) {
      // A concurrent delete of the same partition: report once it has renamed the folder.
      await this.deleting.get(key);
      return false;
    }
    this.logs.delete(key);
    const removal = move(entry).finally(() => this.deleting.delete(key));
    this.deleting.set(key, removal);
    await removal;
    return true;
  }

  /** Closes the partition's log and renames its folder to the `-delete` or `-stray` form; returns the new path. */
  private async renameAway(entry: DiskEntry, kind: typeof DELETE_DIR_SUFFIX | typeof STRAY_DIR_SUFFIX): Promise<string> {
    const { logger } = this.settings;
    const key = partitionDirName(entry.topic, entry.partition);
    const what = kind === DELETE_DIR_SUFFIX ? 'delete' : 'set aside';
    try {
      await entry.log.close();
    } catch (err) {
      logger.warn({ err, partition: key }, `closing a partition to ${what} failed; going on`);
    }
    const target = path.join(entry.dir, asideDirName(entry.topic, entry.partition, kind));
    try {
      await rename(path.join(entry.dir, key), target);
      await syncDir(entry.dir);
    } catch (err) {
      throw new StorageError(`cannot ${what} partition ${key} in ${entry.dir}`, err);
    }
    return target;
  }

  private removeInBackground(dir: string): void {
    const removal: Promise<void> = rm(dir, { recursive: true, force: true, maxRetries: 3 })
      .catch((err: unknown) => { this.settings.logger.warn({ err, dir }, 'removing a deleted partition failed; retrying on the next start'); })
      .finally(() => this.removals.delete(removal));
    this.removals.add(removal);
  }

  close(): Promise<void> {
    this.closing ??= this.closeAll();
    return this.closing;
  }

  private async closeAll(): Promise<void> {
    const { logger, concurrency } = this.settings;
    await Promise.allSettled([...this.creating.values(), ...this.deleting.values()]);
    const entries = [...this.logs.values()];
    this.logs.clear();
    const failedDirs = new Set<string>();
    const errors = await forEachBounded(entries, concurrency, async (e) => {
      try {
        await e.log.close();
      } catch (err) {
        failedDirs.add(e.dir);
        logger.error({ err, partition: partitionDirName(e.topic, e.partition) }, 'closing a partition log failed');
        throw err;
      }
    });
    for (const dir of this.dirs) {
      if (failedDirs.has(dir)) continue; // no marker: the next start recovers this dir
      try {
        await writeCleanShutdownMarker(dir);
      } catch (err) {
        errors.push(err);
      }
    }
    await Promise.allSettled([...this.removals]);
    for (const dir of this.dirs) await unlockDir(dir).catch((err: unknown) => errors.push(err));
    if (errors.length > 0) {
      throw new StorageError(`closing the log manager: ${errors.length} failure(s)`, errors.length === 1 ? errors[0] : new AggregateError(errors));
    }
  }

  private checkOpen(): void {
    if (this.closing) throw new Error('the log manager is closed');
  }
}

// ---------------------------------------------------------------------------------------------
// Memory

/** The same contract with MemoryPartitionLogs: nothing survives close. */
class MemoryLogManager implements LogManager {
  readonly storage = 'memory' as const;
  readonly dirs: readonly string[] = [];
  readonly batchCache = null;
  readonly syncWritePolicy = null;
  private readonly logs = new Map<string, PartitionLog>();
  private readonly topicIds = new Map<string, string>();
  private readonly clockFn: () => number;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly factory: MemoryPartitionLogFactory,
    clock: Clock,
  ) {
    this.clockFn = () => clock.now();
  }

  async create(topic: string, partition: number, config: LogConfig, topicId?: string): Promise<PartitionLog> {
    this.checkOpen();
    checkTopicPartition(topic, partition);
    const key = partitionDirName(topic, partition);
    const existing = this.logs.get(key);
    if (existing) {
      existing.updateConfig(config);
      return existing;
    }
    const log = this.factory(topic, partition, config, this.clockFn);
    this.logs.set(key, log);
    if (topicId !== undefined) this.topicIds.set(key, topicId);
    return log;
  }

  topicIdOf(topic: string, partition: number): string | undefined {
    return this.topicIds.get(partitionDirName(topic, partition));
  }

  async recordTopicId(topic: string, partition: number, topicId: string): Promise<void> {
    this.checkOpen();
    const key = partitionDirName(topic, partition);
    if (!this.logs.has(key)) throw new StorageError(`cannot record the topic id of partition ${key}: no such partition`);
    this.topicIds.set(key, topicId);
  }

  async setAside(topic: string, partition: number): Promise<string | undefined> {
    // Nothing outlives the process in memory: setting aside is removing.
    await this.delete(topic, partition);
    return undefined;
  }

  get(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(partitionDirName(topic, partition));
  }

  all(): PartitionLog[] {
    return [...this.logs.values()];
  }

  dirOf(): string | undefined {
    return undefined;
  }

  async delete(topic: string, partition: number): Promise<boolean> {
    this.checkOpen();
    checkTopicPartition(topic, partition);
    const key = partitionDirName(topic, partition);
    const log = this.logs.get(key);
    if (!log) return false;
    this.logs.delete(key);
    this.topicIds.delete(key);
    await log.close();
    return true;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const logs = [...this.logs.values()];
      this.logs.clear();
      const results = await Promise.allSettled(logs.map((log) => log.close()));
      const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      if (errors.length > 0) throw new StorageError(`closing the log manager: ${errors.length} failure(s)`, errors[0]);
    })();
    return this.closing;
  }

  private checkOpen(): void {
    if (this.closing) throw new Error('the log manager is closed');
  }
}
