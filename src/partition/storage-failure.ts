import { ErrorCode } from '../protocol/generated/errors.js';
import { StorageError } from '../storage/types.js';
import type { Logger } from '../util/logger.js';
import { isTooManyOpenFiles, tooManyOpenFilesAdvice } from '../util/open-file-limit.js';

/** The advice on EMFILE is repeated at most this often: every failed request would repeat it. */
const ADVICE_INTERVAL_MS = 60_000;
let lastAdvice = -Infinity;

/**
 * The error code a failed log operation gives the client: KAFKA_STORAGE_ERROR for a disk error
 * (logged as a warning: the disk, not the broker, is at fault), UNKNOWN_SERVER_ERROR for anything
 * else (a bug, logged as an error); running out of file descriptors is also explained (what the
 * limit is and how to raise it). Callers that answer old versions map the former as Kafka does.
 */
export function storageFailureCode(err: unknown, logger: Logger, fields: Record<string, unknown>, what: string): number {
  if (err instanceof StorageError) {
    logger.warn({ err, ...fields }, what);
    if (isTooManyOpenFiles(err) && performance.now() - lastAdvice >= ADVICE_INTERVAL_MS) {
      lastAdvice = performance.now();
      logger.error({ ...fields }, tooManyOpenFilesAdvice({}));
    }
    return ErrorCode.KafkaStorageError;
  }
  logger.error({ err, ...fields }, what);
  return ErrorCode.UnknownServerError;
}
