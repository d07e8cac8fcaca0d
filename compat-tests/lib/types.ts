/**
 * What every client driver offers the scenarios. A driver is a thin, honest wrapper: it does what a
 * user of that client would write and reports what the client reports, nothing more. Where a
 * client cannot do something, `unsupported()` says why, and the scenario records "n/a" with that
 * reason (never a silent skip).
 */

export type Codec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
export const CODECS: readonly Codec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

export type ClientName = 'kcat' | 'kafka-python' | 'confluent-kafka' | 'kafkajs' | 'platformatic';

/** Things a client may be unable to do; asked before a scenario runs it. */
export type Feature =
  | { kind: 'codec'; codec: Codec }
  /** Reading batches compressed with the codec (a client may write a codec it cannot read back). */
  | { kind: 'consume-codec'; codec: Codec }
  | { kind: 'admin' }
  | { kind: 'idempotence' }
  | { kind: 'offsets-for-times' }
  | { kind: 'list-offsets' }
  | { kind: 'assign' }
  | { kind: 'group' }
  | { kind: 'per-message-headers' }
  | { kind: 'explicit-timestamps' }
  /** A transactional producer: begin, produce, commit or abort. */
  | { kind: 'transactions' }
  /** Offsets committed through a transaction (consume-transform-produce). */
  | { kind: 'transactional-offsets' }
  /** A consumer that reads with isolation.level=read_committed (or read_uncommitted). */
  | { kind: 'isolation-level' };

export interface Header {
  key: string;
  value: Buffer;
}

/** A message to produce. */
export interface OutMessage {
  key: Buffer | null;
  value: Buffer;
  headers: Header[];
  /** Explicit partition; otherwise the client's partitioner decides. */
  partition?: number;
  /** Explicit CreateTime in ms; otherwise the client stamps it. */
  timestamp?: number;
}

/** A message as a consumer saw it. */
export interface InMessage {
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Header[];
  timestamp: number;
}

export interface ProduceOptions {
  codec?: Codec;
  idempotent?: boolean;
  /** -1 (all, the default here), 1 or 0. */
  acks?: -1 | 0 | 1;
  /** Raise the client's own size limit so that the broker, not the client, judges a large message. */
  maxMessageBytes?: number;
  timeoutMs?: number;
}

export interface ProduceResult {
  /** Messages the client reported as acknowledged. */
  acked: number;
  /** Offsets by partition where the client reports them (kcat does not). */
  offsets?: { partition: number; offset: number }[];
}

export interface ConsumeOptions {
  /** Stop once this many messages arrived. */
  count: number;
  /** Give up (returning what arrived) after this long. */
  timeoutMs?: number;
  /** Consume through a consumer group with this id (subscribe), committing what was read. */
  group?: string;
  /** Read at most this many bytes per partition fetch where the client has such a knob. */
  maxBytes?: number;
  /** isolation.level; the client's own default when absent. */
  isolation?: Isolation;
}

export type Isolation = 'read_committed' | 'read_uncommitted';

/** One transaction of a transactional producer: its messages (with partitions), then its end. */
export interface TransactionStep {
  messages: OutMessage[];
  end: 'commit' | 'abort';
}

/**
 * One round of consume-transform-produce: a consumer in `group` reads `count` records of `input`
 * (read_committed, from the group's committed offsets, else the beginning); one transaction writes
 * each record's value prefixed with `prefix` to `output`, on the record's partition, adds the
 * group's next offsets (send_offsets_to_transaction), and commits or aborts.
 */
export interface TransformRequest {
  input: string;
  output: string;
  group: string;
  transactionalId: string;
  count: number;
  prefix: string;
  end: 'commit' | 'abort';
}

/** What a transform round sent: the offsets (partition -> next offset) it put in the transaction. */
export interface TransformResult {
  offsets: Map<number, number>;
}

export interface TopicMetadata {
  name: string;
  /** Kafka's error name or number for this topic as the client reports it, when there is one. */
  error?: string;
  partitions: { partition: number; leader: number }[];
}

export interface ClusterMetadata {
  brokers: { nodeId: number; host: string; port: number }[];
  clusterId?: string | null;
  controllerId?: number;
  topics: TopicMetadata[];
}

export interface NewTopic {
  name: string;
  partitions: number;
  configs?: Record<string, string>;
}

/** earliest, latest, or the first offset whose timestamp is at or after `timestamp`. */
export type OffsetSpec = 'earliest' | 'latest' | { timestamp: number };

export interface ClientDriver {
  readonly name: ClientName;
  /** A one-line description with the client's version, for the report. */
  describe(): Promise<string>;
  /** null when the client can do it; otherwise the reason it cannot. */
  unsupported(feature: Feature): Promise<string | null>;
  metadata(bootstrap: string, topics: string[]): Promise<ClusterMetadata>;
  createTopic(bootstrap: string, topic: NewTopic): Promise<void>;
  deleteTopic(bootstrap: string, name: string): Promise<void>;
  produce(bootstrap: string, topic: string, messages: OutMessage[], options?: ProduceOptions): Promise<ProduceResult>;
  consume(bootstrap: string, topic: string, options: ConsumeOptions): Promise<InMessage[]>;
  /** Offsets per partition (partition index -> offset; -1 where the client reports none). */
  listOffsets(bootstrap: string, topic: string, partitions: number[], spec: OffsetSpec): Promise<Map<number, number>>;
  /** One transactional producer (`transactionalId`) running `steps` in order. Where 'transactions' is supported. */
  produceTransactions?(bootstrap: string, topic: string, transactionalId: string, steps: TransactionStep[]): Promise<void>;
  /** What a user of this client must do beyond the obvious for transactions to work, noted in the table. */
  readonly transactionCaveat?: string;
  /** One consume-transform-produce round. Where 'transactional-offsets' is supported. */
  transform?(bootstrap: string, request: TransformRequest): Promise<TransformResult>;
}

/**
 * A failure the client reported: `code` is the Kafka error code when the client exposes one,
 * `name` the client's own name for it (MSG_SIZE_TOO_LARGE, MessageSizeTooLargeError, ...),
 * `where` whether the client raised it locally or relayed the broker's answer.
 */
export class ClientError extends Error {
  constructor(
    readonly client: ClientName,
    message: string,
    readonly code: number | null,
    readonly errorName: string,
    readonly where: 'broker' | 'local' | 'unknown',
  ) {
    super(`${client}: ${errorName}${code !== null ? ` (${code})` : ''}: ${message}`);
  }
}
