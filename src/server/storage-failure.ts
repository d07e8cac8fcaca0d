import { ErrorCode } from '../protocol/generated/errors.js';
import { StorageError } from '../storage/types.js';
import type { Logger } from '../util/logger.js';

/**
 * The error code a failed log operation gives the client: KAFKA_STORAGE_ERROR for a disk error
 * (logged as a warning: the disk, not the broker, is at fault), UNKNOWN_SERVER_ERROR for anything
 * else (a bug, logged as an error). Callers that answer old versions map the former as Kafka does.
 */
export function storageFailureCode(err: unknown, logger: Logger, fields: Record<string, unknown>, what: string): number {
  if (err instanceof StorageError) {
    logger.warn({ err, ...fields }, what);
    return ErrorCode.KafkaStorageError;
  }
  logger.error({ err, ...fields }, what);
  return ErrorCode.UnknownServerError;
}
