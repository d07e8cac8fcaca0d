/**
 * DescribeLogDirs v0-5 (KIP-113): each data directory of the broker with the partitions it holds
 * and their sizes (src/storage/describe-log-dirs.ts).
 * - topics null: every partition; otherwise only the partitions named (unknown ones are left out,
 *   as in Kafka). offsetLag is 0 (the log end offset is the high watermark on a single replica) and
 *   isFutureKey false (no AlterReplicaLogDirs). A directory that cannot be read reports
 *   KAFKA_STORAGE_ERROR.
 * - v1 throttles after answering; v2 flexible; v3 top-level error code (NONE); v4 each directory's
 *   total and usable bytes (statfs of its volume; KIP-827); v5 isCordoned (never: KIP-1066).
 * - Memory storage reports one pseudo directory, "(memory)", with the machine's total and free
 *   memory as its total and usable bytes.
 * Not implemented: authorization (CLUSTER_AUTHORIZATION_FAILED never happens).
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  defaultDescribeLogDirsResponse,
  defaultDescribeLogDirsResponseDescribeLogDirsPartition,
  defaultDescribeLogDirsResponseDescribeLogDirsResult,
  defaultDescribeLogDirsResponseDescribeLogDirsTopic,
} from '../../protocol/generated/messages/describe-log-dirs.js';
import { describeLogDirs as describeDirs } from '../../storage/describe-log-dirs.js';
import { defineHandler } from '../handler.js';

export const describeLogDirs = defineHandler({
  apiKey: ApiKey.DescribeLogDirs,
  minVersion: 0,
  maxVersion: 5,
  async handle(request, ctx) {
    let filter: Map<string, Set<number>> | null = null;
    if (request.topics !== null) {
      filter = new Map();
      for (const t of request.topics) {
        let set = filter.get(t.topic);
        if (!set) filter.set(t.topic, (set = new Set()));
        for (const p of t.partitions) set.add(p);
      }
    }
    const dirs = await describeDirs(ctx.services.logs, filter);
    const response = defaultDescribeLogDirsResponse();
    response.errorCode = ErrorCode.None;
    response.results = dirs.map((d) => ({
      ...defaultDescribeLogDirsResponseDescribeLogDirsResult(),
      errorCode: d.errorCode,
      logDir: d.logDir,
      topics: [...d.topics].map(([name, partitions]) => ({
        ...defaultDescribeLogDirsResponseDescribeLogDirsTopic(),
        name,
        partitions: partitions.map((p) => ({
          ...defaultDescribeLogDirsResponseDescribeLogDirsPartition(),
          partitionIndex: p.partition,
          partitionSize: BigInt(p.size),
          offsetLag: 0n,
          isFutureKey: false,
        })),
      })),
      totalBytes: d.totalBytes,
      usableBytes: d.usableBytes,
      isCordoned: false,
    }));
    return response;
  },
});
