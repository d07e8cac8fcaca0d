/**
 * The transaction coordinator's TxnMarkerWriter on one broker: Kafka's WriteTxnMarkers handling
 * (KafkaApis.handleWriteTxnMarkersRequest), in-process.
 *
 * - A partition of a topic: the COMMIT or ABORT control batch is appended by the partition layer
 *   (`writePartitionMarker`, which resolves the partition's WriteTxnMarkers error code).
 * - A __consumer_offsets partition: the group coordinator completes the producer's pending
 *   transactional offset commits (`completeGroupOffsets`): made visible on commit, dropped on
 *   abort. It completes all of the producer's pending offsets at once, so a marker naming several
 *   __consumer_offsets partitions (several groups) calls it once and answers each with its result.
 *
 * Never rejects: a function that throws is logged and answered UNKNOWN_SERVER_ERROR, which the
 * coordinator retries; it gives up on UNKNOWN_TOPIC_OR_PARTITION (a partition deleted meanwhile).
 */
import { TxnMarkerError } from '../coordinator/offsets/txn-offset-manager.js';
import { OFFSETS_TOPIC } from '../coordinator/transaction/transaction-coordinator.js';
import type { TxnMarker, TxnMarkerPartitionResult, TxnMarkerWriter } from '../coordinator/transaction/txn-marker-writer.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import type { Logger } from '../util/logger.js';

export interface PartitionMarker {
  producerId: bigint;
  producerEpoch: number;
  committed: boolean;
  coordinatorEpoch: number;
}

export interface TxnMarkerRouterOptions {
  /** Appends the marker to a partition's log (the partition layer's writeTxnMarker). */
  writePartitionMarker: (topic: string, partition: number, marker: PartitionMarker) => Promise<number>;
  /** Completes a producer's pending transactional offset commits (the group coordinator's completeTxnOffsets). */
  completeGroupOffsets: (producerId: bigint, producerEpoch: number, committed: boolean) => Promise<void>;
  logger: Logger;
}

export class TxnMarkerRouter implements TxnMarkerWriter {
  constructor(private readonly options: TxnMarkerRouterOptions) {}

  async writeMarkers(marker: TxnMarker): Promise<TxnMarkerPartitionResult[]> {
    const { producerId, producerEpoch, committed, coordinatorEpoch } = marker;
    const offsets = marker.partitions.filter((p) => p.topic === OFFSETS_TOPIC);
    const groupResult = offsets.length === 0 ? Promise.resolve(ErrorCode.None) : this.completeGroups(marker);
    return Promise.all(
      marker.partitions.map(async (p) => {
        if (p.topic === OFFSETS_TOPIC) return { ...p, errorCode: await groupResult };
        try {
          return { ...p, errorCode: await this.options.writePartitionMarker(p.topic, p.partition, { producerId, producerEpoch, committed, coordinatorEpoch }) };
        } catch (err) {
          this.options.logger.error({ err, topic: p.topic, partition: p.partition, producerId: producerId.toString() }, 'writing a transaction marker failed');
          return { ...p, errorCode: ErrorCode.UnknownServerError };
        }
      }),
    );
  }

  private async completeGroups(marker: TxnMarker): Promise<number> {
    try {
      await this.options.completeGroupOffsets(marker.producerId, marker.producerEpoch, marker.committed);
      return ErrorCode.None;
    } catch (err) {
      // The group coordinator's refusals carry Kafka's code (a fenced epoch, a storage failure).
      if (err instanceof TxnMarkerError) return err.errorCode;
      this.options.logger.error({ err, producerId: marker.producerId.toString() }, 'completing transactional offset commits failed');
      return ErrorCode.UnknownServerError;
    }
  }
}
