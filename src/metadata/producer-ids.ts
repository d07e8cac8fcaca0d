/**
 * Producer id allocation for InitProducerId (Kafka's ProducerIdManager and the controller's
 * ProducerIdControlManager, on one broker).
 *
 * Ids are handed out from blocks of 1000 (Kafka's ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE),
 * starting at 0. Before the first id of a block is handed out, the end of the block is written to
 * the broker's `producer-ids` state log as a snapshot (written atomically and fsynced), so after any
 * restart, clean or not, allocation resumes above every id that was ever handed out: an id is never
 * reused, which is what keeps a restarted broker from mistaking a new producer for an old one.
 * Ids left unused in a block when the broker stops are skipped, as in Kafka.
 *
 * With memory storage the state log lives in memory and the ids restart at 0 with the broker, as
 * do all of its partitions (and with them every producer state).
 *
 * Concurrency: one event loop; callers arriving while a block is being reserved wait for it.
 */
import { ErrorCode } from '../protocol/generated/errors.js';
import type { StateLog } from '../storage/state-log.js';
import type { Logger } from '../util/logger.js';

/** Kafka's ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE. */
export const PRODUCER_ID_BLOCK_SIZE = 1000;

interface ProducerIdsState {
  /** The first id of the next block; every id below it may have been handed out. */
  nextBlockStart: bigint;
}

/**
 * Where blocks of ids are reserved, durably, before any id of a block is handed out: the broker's
 * state log on a single broker, the cluster store in cluster mode (so two brokers never hand out
 * the same id).
 */
export interface ProducerIdBlocks {
  /** Reserves the next block of `size` ids; resolves its first id. */
  reserve(size: number): Promise<bigint>;
  close(): Promise<void>;
}

/** A single broker's blocks: the end of each reserved block written to its state log as a snapshot. */
class StateLogBlocks implements ProducerIdBlocks {
  constructor(
    private readonly stateLog: StateLog,
    private nextBlockStart: bigint,
  ) {}

  async reserve(size: number): Promise<bigint> {
    const start = this.nextBlockStart;
    const end = start + BigInt(size);
    await this.stateLog.writeSnapshot({ nextBlockStart: end } satisfies ProducerIdsState);
    this.nextBlockStart = end;
    return start;
  }

  close(): Promise<void> {
    return this.stateLog.close();
  }
}

export class ProducerIdManager {
  private nextId = 0n;
  private blockEnd = 0n;
  private reserving: Promise<void> | undefined;

  constructor(
    private readonly blocks: ProducerIdBlocks,
    private readonly blockSize: number = PRODUCER_ID_BLOCK_SIZE,
  ) {}

  /** Replays the state log: allocation continues after the last block reserved. */
  static async open(stateLog: StateLog, options: { blockSize?: number; logger?: Logger } = {}): Promise<ProducerIdManager> {
    const logger = options.logger;
    let next = 0n;
    for await (const entry of stateLog.replay()) {
      const value = entry.value as Partial<ProducerIdsState> | null;
      if (value && typeof value.nextBlockStart === 'bigint' && value.nextBlockStart > next) next = value.nextBlockStart;
      else if (value && typeof value.nextBlockStart === 'number' && BigInt(value.nextBlockStart) > next) next = BigInt(value.nextBlockStart);
    }
    const blockSize = options.blockSize ?? PRODUCER_ID_BLOCK_SIZE;
    // Every block is reserved by a snapshot that starts a new generation of the state log, so a
    // snapshot of generation g was written after g blocks. When one is damaged, the snapshot that
    // remains is older: allocation resumes above every block the damaged ones may have reserved.
    const damaged = stateLog.damage.filter((d) => d.kind === 'snapshot' || d.kind === 'missing');
    if (damaged.length > 0) {
      const floor = BigInt(Math.max(...damaged.map((d) => d.generation)) + 1) * BigInt(blockSize);
      if (floor > next) {
        logger?.error(
          { files: damaged.map((d) => d.file), from: next.toString(), to: floor.toString() },
          `producer ids: the state log's snapshot was damaged; allocation resumes at ${floor} instead of ${next}, above every id the damaged snapshot may have reserved, so no id is handed out twice`,
        );
        next = floor;
      }
    }
    const manager = new ProducerIdManager(new StateLogBlocks(stateLog, next), blockSize);
    // Recorded at once, so the next start begins from an intact snapshot.
    if (damaged.length > 0) await stateLog.writeSnapshot({ nextBlockStart: next } satisfies ProducerIdsState);
    return manager;
  }

  /** A producer id never handed out before. Rejects when a new block cannot be reserved. */
  async generate(): Promise<bigint> {
    while (this.nextId >= this.blockEnd) {
      this.reserving ??= this.reserveBlock().finally(() => {
        this.reserving = undefined;
      });
      await this.reserving;
    }
    return this.nextId++;
  }

  /** The id the next call will return if no block is needed: for tests and metrics. */
  get peekNext(): bigint {
    return this.nextId;
  }

  private async reserveBlock(): Promise<void> {
    const start = await this.blocks.reserve(this.blockSize);
    this.nextId = start;
    this.blockEnd = start + BigInt(this.blockSize);
  }

  /** Closes where the blocks are kept (the state log). */
  close(): Promise<void> {
    return this.blocks.close();
  }
}

export interface InitProducerIdInput {
  transactionalId: string | null;
  transactionTimeoutMs: number;
  /** v3+: the id and epoch the client holds, or -1 and -1. */
  producerId: bigint;
  producerEpoch: number;
}

export interface InitProducerIdResult {
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

const initError = (errorCode: number): InitProducerIdResult => ({ errorCode, producerId: -1n, producerEpoch: -1 });

/**
 * InitProducerId as Kafka answers it (KafkaApis.handleInitProducerIdRequest, then
 * TransactionCoordinator.handleInitProducerId):
 * - a producerId / producerEpoch pair with exactly one of them -1: INVALID_REQUEST;
 * - transactionalId null: a fresh producer id with epoch 0, always, even when the client sends the
 *   id and epoch it had (KIP-360: Kafka "blindly accepts" and hands out a new id);
 * - any other transactionalId: the transaction coordinator's answer (`transactional`), given the
 *   id and epoch the client holds when it sent them (v3+);
 * - a block of ids that cannot be recorded (disk failure): COORDINATOR_LOAD_IN_PROGRESS, Kafka's
 *   answer when its producer id manager has no block (retriable).
 */
export async function initProducerId(
  ids: ProducerIdManager,
  input: InitProducerIdInput,
  options: {
    /** InitProducerId for a transactional id: the transaction coordinator. */
    transactional: (transactionalId: string, transactionTimeoutMs: number, expected: { producerId: bigint; producerEpoch: number } | undefined) => Promise<InitProducerIdResult>;
    logger?: Logger;
  },
): Promise<InitProducerIdResult> {
  const noId = input.producerId === -1n;
  const noEpoch = input.producerEpoch === -1;
  if (noId !== noEpoch) return initError(ErrorCode.InvalidRequest);
  if (input.transactionalId === null) {
    try {
      return { errorCode: ErrorCode.None, producerId: await ids.generate(), producerEpoch: 0 };
    } catch (err) {
      options.logger?.error({ err }, 'cannot record a new block of producer ids');
      return initError(ErrorCode.CoordinatorLoadInProgress);
    }
  }
  return options.transactional(input.transactionalId, input.transactionTimeoutMs, noId ? undefined : { producerId: input.producerId, producerEpoch: input.producerEpoch });
}
