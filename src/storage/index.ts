/**
 * The storage engine's public API: the contract (types), the partition logs on disk and in memory,
 * the log manager that owns them, the retention scheduler, and the state log for the broker's own
 * metadata. Segment, index and recovery internals stay private to this folder.
 */
export * from './types.js';
export { DiskPartitionLog, openDiskPartitionLog, type DiskPartitionLogOptions } from './disk-partition-log.js';
export { MemoryPartitionLog } from './memory-partition-log.js';
export {
  LogDirLockedError,
  openLogManager,
  type DiskPartitionLogOpener,
  type LogManager,
  type LogManagerOptions,
  type MemoryPartitionLogFactory,
} from './log-manager.js';
export {
  DEFAULT_INITIAL_TASK_DELAY_MS,
  DEFAULT_RETENTION_CHECK_INTERVAL_MS,
  RetentionScheduler,
  type RetentionRun,
  type RetentionSchedulerOptions,
} from './retention-scheduler.js';
export {
  MemoryStateLogStore,
  openStateLog,
  type StateLog,
  type StateLogEntry,
  type StateLogOptions,
} from './state-log.js';
