/**
 * A TransactionCoordinator on a memory state log, driven by a ManualClock, writing its markers to
 * a fake TxnMarkerWriter that records them and answers as told.
 */
import { TransactionCoordinator, type TxnCoordinatorConfig } from '../../../src/coordinator/transaction/transaction-coordinator.js';
import type { TxnMarker, TxnMarkerPartitionResult, TxnMarkerWriter } from '../../../src/coordinator/transaction/txn-marker-writer.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { MemoryStateLogStore } from '../../../src/storage/state-log.js';
import { ManualClock } from '../../../src/util/clock.js';
import { silentLogger } from '../../../src/util/logger.js';

export const T0 = 1_700_000_000_000;
/** How long the coordinator waits for a completing transaction before CONCURRENT_TRANSACTIONS. */
export const COMPLETION_WAIT_MS = 200;

export const CONFIG: TxnCoordinatorConfig = {
  transactionMaxTimeoutMs: 900_000,
  transactionalIdExpirationMs: 604_800_000,
  transactionAbortTimedOutTransactionCleanupIntervalMs: 10_000,
  transactionRemoveExpiredTransactionCleanupIntervalMs: 3_600_000,
  offsetsTopicNumPartitions: 50,
};

/** Records every marker; answers each partition from its queue of error codes (NONE once empty), or waits while held. */
export class FakeMarkerWriter implements TxnMarkerWriter {
  readonly written: TxnMarker[] = [];
  /** Partitions whose marker succeeded, as "topic-partition:COMMIT|ABORT@epoch". */
  readonly landed: string[] = [];
  private readonly answers = new Map<string, number[]>();
  private held: Promise<void> | null = null;
  private release: (() => void) | null = null;

  answer(topic: string, partition: number, ...errors: number[]): void {
    this.answers.set(`${topic}-${partition}`, errors);
  }

  hold(): void {
    this.held = new Promise((resolve) => (this.release = resolve));
  }

  unhold(): void {
    this.release?.();
    this.held = null;
  }

  async writeMarkers(marker: TxnMarker): Promise<TxnMarkerPartitionResult[]> {
    this.written.push(marker);
    if (this.held) await this.held;
    return marker.partitions.map((p) => {
      const key = `${p.topic}-${p.partition}`;
      const errorCode = this.answers.get(key)?.shift() ?? ErrorCode.None;
      if (errorCode === ErrorCode.None) this.landed.push(`${key}:${marker.committed ? 'COMMIT' : 'ABORT'}@${marker.producerEpoch}`);
      return { ...p, errorCode };
    });
  }
}

export interface TxnFixture {
  clock: ManualClock;
  store: MemoryStateLogStore;
  markers: FakeMarkerWriter;
  coordinator: TransactionCoordinator;
  config: TxnCoordinatorConfig;
  nextProducerId: { value: bigint };
  /** Closes the coordinator and opens another on the same store and clock. */
  restart(markers?: FakeMarkerWriter): Promise<TransactionCoordinator>;
}

export async function openTxnFixture(over: Partial<TxnCoordinatorConfig> = {}, snapshotMinBytes?: number): Promise<TxnFixture> {
  const clock = new ManualClock(T0);
  const store = new MemoryStateLogStore();
  const config = { ...CONFIG, ...over };
  const nextProducerId = { value: 1000n };
  const open = (markers: FakeMarkerWriter) =>
    TransactionCoordinator.open({
      location: store,
      clock,
      logger: silentLogger,
      config: () => config,
      producerIds: { generate: () => Promise.resolve(nextProducerId.value++) },
      markers,
      markerRetryBackoffMs: 100,
      completionWaitMs: COMPLETION_WAIT_MS,
      ...(snapshotMinBytes !== undefined ? { snapshotMinBytes } : {}),
    });
  const markers = new FakeMarkerWriter();
  const f: TxnFixture = {
    clock,
    store,
    markers,
    config,
    nextProducerId,
    coordinator: await open(markers),
    async restart(next = new FakeMarkerWriter()) {
      await f.coordinator.close();
      f.markers = next;
      f.coordinator = await open(next);
      return f.coordinator;
    },
  };
  return f;
}
