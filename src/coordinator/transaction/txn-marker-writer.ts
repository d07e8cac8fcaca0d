/**
 * How the transaction coordinator completes a transaction in its partitions: Kafka's
 * WriteTxnMarkers, in domain terms. On one broker the markers are written in-process (partitions
 * get a COMMIT or ABORT control batch; __consumer_offsets partitions complete the producer's
 * pending transactional offset commits); in a cluster the same call becomes WriteTxnMarkers
 * requests to each partition's leader. The coordinator depends on this interface only.
 */
export interface TxnMarkerPartition {
  topic: string;
  partition: number;
}

/** One WritableTxnMarker of a WriteTxnMarkers request. */
export interface TxnMarker {
  producerId: bigint;
  /** The epoch the marker is written with (a bumped epoch when the coordinator fences). */
  producerEpoch: number;
  /** true: COMMIT, false: ABORT (WriteTxnMarkers' transactionResult). */
  committed: boolean;
  /** The coordinator's epoch for the transactional id's partition (0 on one broker). */
  coordinatorEpoch: number;
  /** KIP-890 transaction version the marker is written for (0 before KIP-890 part 2). */
  transactionVersion: number;
  partitions: readonly TxnMarkerPartition[];
}

export interface TxnMarkerPartitionResult extends TxnMarkerPartition {
  /** NONE once the marker is in the partition's log; otherwise Kafka's WriteTxnMarkers error. */
  errorCode: number;
}

export interface TxnMarkerWriter {
  /**
   * Writes the marker to every partition it names and resolves with each partition's result; never
   * rejects. The coordinator retries partitions whose error is retriable, and gives up on
   * UNKNOWN_TOPIC_OR_PARTITION (a deleted partition), as Kafka's TransactionMarkerChannelManager.
   */
  writeMarkers(marker: TxnMarker): Promise<TxnMarkerPartitionResult[]>;
}
