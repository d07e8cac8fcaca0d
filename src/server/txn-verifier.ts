/**
 * What the partition layer's transactional produce verification asks (ProduceService's
 * `verifyTransaction`, when transaction.partition.verification.enable): whether the batch's
 * partition is in its producer's ongoing transaction, as the transaction coordinator answers a
 * verify-only AddPartitionsToTxn, turned into the produce error Kafka returns (NONE,
 * INVALID_TXN_STATE, INVALID_PRODUCER_EPOCH, NOT_ENOUGH_REPLICAS while the transaction completes).
 */
import type { TransactionCoordinator } from '../coordinator/transaction/transaction-coordinator.js';

export interface TxnVerification {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  topic: string;
  partition: number;
}

export function txnVerifier(coordinator: Pick<TransactionCoordinator, 'verifyPartitionInTransaction'>): (p: TxnVerification) => Promise<number> {
  return (p) => Promise.resolve(coordinator.verifyPartitionInTransaction(p));
}
