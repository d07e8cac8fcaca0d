/**
 * What DescribeLogDirs reports (Kafka's ReplicaManager.describeLogDirs): for every data directory,
 * the partition logs it holds with their sizes, and the total and usable bytes of its volume
 * (statfs; a directory that cannot be read reports KAFKA_STORAGE_ERROR, as an offline dir does).
 *
 * Memory storage has no directory: it reports one pseudo directory, MEMORY_LOG_DIR, holding every
 * partition, with the machine's total and free memory as its total and usable bytes.
 */
import { statfs } from 'node:fs/promises';
import { freemem, totalmem } from 'node:os';
import { ErrorCode } from '../protocol/generated/errors.js';
import type { LogManager } from './log-manager.js';
import { mustGet } from '../util/must-get.js';

/** The log directory name memory storage reports. */
export const MEMORY_LOG_DIR = '(memory)';

export interface LogDirPartition {
  partition: number;
  /** Bytes of all segments. */
  size: number;
}

export interface LogDirDescription {
  errorCode: number;
  /** Absolute path. */
  logDir: string;
  /** Topic name to its partitions in this directory, only topics with a matching partition. */
  topics: Map<string, LogDirPartition[]>;
  totalBytes: bigint;
  usableBytes: bigint;
}

/** Partitions to describe: topic name to partition indexes, or null for every partition. */
export type LogDirFilter = ReadonlyMap<string, ReadonlySet<number>> | null;

const LONG_MAX = 2n ** 63n - 1n;

export async function describeLogDirs(logs: LogManager, filter: LogDirFilter): Promise<LogDirDescription[]> {
  const memory = logs.storage === 'memory';
  const dirs = memory ? [MEMORY_LOG_DIR] : [...logs.dirs];
  const byDir = new Map<string, Map<string, LogDirPartition[]>>(dirs.map((d) => [d, new Map()]));
  for (const log of logs.all()) {
    if (filter !== null && !filter.get(log.topic)?.has(log.partition)) continue;
    const dir = memory ? MEMORY_LOG_DIR : logs.dirOf(log.topic, log.partition);
    const topics = dir === undefined ? undefined : byDir.get(dir);
    if (!topics) continue;
    let partitions = topics.get(log.topic);
    if (!partitions) topics.set(log.topic, (partitions = []));
    partitions.push({ partition: log.partition, size: log.size });
  }
  for (const topics of byDir.values()) for (const partitions of topics.values()) partitions.sort((a, b) => a.partition - b.partition);

  return Promise.all(
    dirs.map(async (logDir): Promise<LogDirDescription> => {
      const topics = mustGet(byDir, logDir);
      if (memory) {
        return { errorCode: ErrorCode.None, logDir, topics, totalBytes: BigInt(totalmem()), usableBytes: BigInt(freemem()) };
      }
      try {
        const fs = await statfs(logDir, { bigint: true });
        const total = fs.blocks * fs.bsize;
        const usable = fs.bavail * fs.bsize;
        // Kafka's adjustForLargeFileSystems: Java reports sizes past Long.MAX_VALUE as negative.
        return { errorCode: ErrorCode.None, logDir, topics, totalBytes: total > LONG_MAX ? LONG_MAX : total, usableBytes: usable > LONG_MAX ? LONG_MAX : usable };
      } catch {
        return { errorCode: ErrorCode.KafkaStorageError, logDir, topics: new Map(), totalBytes: -1n, usableBytes: -1n };
      }
    }),
  );
}
