/**
 * KafkaJS 2.2.4 cases, one per (api, version) KafkaJS can encode: the arguments we give
 * node_modules/kafkajs/src/protocol/requests/<dir>/v<N>/request.js, the body our decoder must read
 * from its bytes (our field names; fields left out must be at our schema default), the response body
 * we encode, and what KafkaJS's v<N>/response.js `decode` must make of it (KafkaJS's own names: the
 * mapping from ours to theirs is spelled out per api below).
 *
 * KafkaJS conventions worth knowing when reading the expectations:
 * - int64 values are written from numbers or strings and read back as strings (`readInt64().toString()`);
 * - from some version on, `decode` reports the broker's throttle time as `clientSideThrottleTime` and
 *   sets `throttleTime: 0` (KIP-219);
 * - `writeNullableArray([])` writes a null array (-1): KafkaJS does not distinguish empty from null;
 * - some decoders sort topics by name (CreateTopics, DeleteTopics, DeleteRecords, CreatePartitions).
 */
import { expect } from '@jest/globals';
import type { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { readRecords, requireCjs, type Partial$ } from './helpers.js';

export interface KjsCase {
  /** Directory under kafkajs/src/protocol/requests. */
  dir: string;
  api: ApiKey;
  version: number;
  /** The argument of v<N>/request.js. */
  args: unknown;
  /** Our request body, as decodeRequest must return it (missing fields: schema defaults). */
  request: Partial$;
  /** Extra checks on the decoded request body (record batches). */
  verifyRequest?: (body: Partial$) => void;
  /** Our response body (missing fields: schema defaults). */
  response: Partial$;
  /** v<N>/response.js exports a function of the request's arguments (DeleteRecords). */
  responseFactoryArgs?: unknown;
  /** What KafkaJS's `decode` returns, after `normalize`. */
  decoded: unknown;
  normalize?: (decoded: unknown) => unknown;
}

export interface KjsApi {
  dir: string;
  api: ApiKey;
  versions: number[];
  make: (v: number) => Omit<KjsCase, 'dir' | 'api' | 'version'>;
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

/** KIP-219 throttle reporting: the versions from which `decode` moves the throttle time. */
function throttle(v: number, clientSideFrom: number, ms: number, present = true): Record<string, number> {
  if (!present) return {};
  return v >= clientSideFrom ? { throttleTime: 0, clientSideThrottleTime: ms } : { throttleTime: ms };
}

const Long = requireCjs('kafkajs/src/utils/long');
const Encoder = requireCjs('kafkajs/src/protocol/encoder');
const { RecordBatch } = requireCjs('kafkajs/src/protocol/recordBatch/v0');
const Record = requireCjs('kafkajs/src/protocol/recordBatch/record/v0');
const MessageSet = requireCjs('kafkajs/src/protocol/messageSet');

const T0 = 1_700_000_000_000;

// ------------------------------------------------------------------------------------------------
// Produce (0): v0-7

const produceMessages = {
  orders0: [
    { key: 'order-1', value: '{"total":12.5}', timestamp: T0, headers: { 'trace-id': 'abc', source: 'web' } },
    { key: null, value: 'no key here', timestamp: T0 + 7 },
  ],
  orders3: [{ key: 'order-9', value: 'ünïcødé ✓', timestamp: T0 + 20, headers: { h: 'v' } }],
  payments1: [{ key: 'pay-1', value: 'paid', timestamp: T0 + 3 }],
};

const produce: KjsApi = {
  dir: 'produce',
  api: 0,
  versions: range(0, 7),
  make: (v) => {
    const transactional = v >= 3 && v !== 4;
    const compression = v === 5 ? 1 : 0; // gzip for one version: KafkaJS's only built-in codec
    const args = {
      acks: -1,
      timeout: 30000,
      compression,
      transactionalId: transactional ? 'tx-orders' : null,
      producerId: v >= 3 ? '4000000001' : undefined,
      producerEpoch: v >= 3 ? 3 : undefined,
      topicData: [
        {
          topic: 'orders',
          partitions: [
            { partition: 0, messages: produceMessages.orders0 },
            { partition: 3, messages: produceMessages.orders3 },
          ],
        },
        { topic: 'payments', partitions: [{ partition: 1, messages: produceMessages.payments1 }] },
      ],
    };
    const anyBuf = expectAnyBuffer();
    return {
      args,
      request: {
        transactionalId: transactional ? 'tx-orders' : null,
        acks: -1,
        timeoutMs: 30000,
        topicData: [
          { name: 'orders', partitionData: [{ index: 0, records: anyBuf }, { index: 3, records: anyBuf }] },
          { name: 'payments', partitionData: [{ index: 1, records: anyBuf }] },
        ],
      },
      verifyRequest: (body) => {
        const sent = [produceMessages.orders0, produceMessages.orders3, produceMessages.payments1];
        const parts = body.topicData.flatMap((t: Partial$) => t.partitionData) as Partial$[];
        expect(parts.length).toBe(3);
        parts.forEach((p, i) => {
          const got = readRecords(p.records as Buffer);
          const msgs = sent[i];
          if (v <= 1) {
            expect(got.magic).toBe(0);
            expect(got.records).toEqual(msgs.map((m) => ({ key: m.key, value: m.value })));
          } else if (v === 2) {
            expect(got.magic).toBe(1);
            expect(got.records).toEqual(msgs.map((m) => ({ key: m.key, value: m.value, timestamp: BigInt(m.timestamp) })));
          } else {
            expect(got.magic).toBe(2);
            expect(got.batches).toEqual([
              { producerId: 4000000001n, producerEpoch: 3, baseSequence: 0, transactional, compression },
            ]);
            expect(got.records).toEqual(
              msgs.map((m) => ({
                key: m.key,
                value: m.value,
                timestamp: BigInt(m.timestamp),
                headers: 'headers' in m ? m.headers : {},
              })),
            );
          }
        });
      },
      response: {
        responses: [
          {
            name: 'orders',
            partitionResponses: [
              { index: 0, errorCode: 0, baseOffset: 1234567890123n, logAppendTimeMs: 1700000000999n, logStartOffset: 17n },
              { index: 3, errorCode: 6, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n },
            ],
          },
          { name: 'payments', partitionResponses: [{ index: 1, errorCode: 0, baseOffset: 42n, logAppendTimeMs: -1n, logStartOffset: 0n }] },
        ],
        throttleTimeMs: 250,
      },
      decoded: {
        topics: [
          {
            topicName: 'orders',
            partitions: [
              produceKjsPartition(v, 0, 0, '1234567890123', '1700000000999', '17'),
              produceKjsPartition(v, 3, 6, '-1', '-1', '-1'),
            ],
          },
          { topicName: 'payments', partitions: [produceKjsPartition(v, 1, 0, '42', '-1', '0')] },
        ],
        ...throttle(v, 6, 250, v >= 1),
      },
    };
  },
};

function produceKjsPartition(v: number, partition: number, errorCode: number, offset: string, appendTime: string, start: string): Partial$ {
  if (v <= 1) return { partition, errorCode, offset };
  if (v === 2) return { partition, errorCode, offset, timestamp: appendTime };
  if (v <= 4) return { partition, errorCode, baseOffset: offset, logAppendTime: appendTime };
  return { partition, errorCode, baseOffset: offset, logAppendTime: appendTime, logStartOffset: start };
}

// ------------------------------------------------------------------------------------------------
// Fetch (1): v0-11

const fetchRecords = [
  { key: 'k-100', value: 'first', headers: { a: '1' } },
  { key: null, value: 'second' },
  { key: 'k-102', value: 'third' },
];

/** Records as a v1 message set (Fetch v0-3) or a v2 batch (v4+), encoded with KafkaJS's own code. */
async function fetchRecordBytes(v: number): Promise<Buffer> {
  if (v <= 3) {
    const set = MessageSet({
      messageVersion: 1,
      compression: 0,
      entries: fetchRecords.map((r, i) => ({ key: r.key, value: r.value, timestamp: T0 + i })),
    });
    // MessageSet writes offset -1 for uncompressed producer messages; a broker returns real ones.
    const buf = Buffer.from(set.buffer);
    let p = 0;
    for (let i = 0; p < buf.length; i++) {
      buf.writeBigInt64BE(100n + BigInt(i), p);
      p += 12 + buf.readInt32BE(p + 8);
    }
    return buf;
  }
  const batch = await RecordBatch({
    firstOffset: Long.fromValue(100),
    firstTimestamp: T0,
    maxTimestamp: T0 + 2,
    lastOffsetDelta: 2,
    records: fetchRecords.map((r, i) => Record({ offsetDelta: i, timestampDelta: i, key: r.key, value: r.value, headers: r.headers })),
  });
  return Buffer.from(batch.buffer);
}

/** KafkaJS message objects differ by magic; keep what every format has. */
function normalizeFetch(decoded: unknown): unknown {
  const str = (b: Buffer | null): string | null => (b === null ? null : b.toString());
  const d = decoded as Partial$;
  return {
    ...d,
    responses: d.responses.map((r: Partial$) => ({
      ...r,
      partitions: r.partitions.map((p: Partial$) => ({
        ...p,
        messages: p.messages.map((m: Partial$) => ({
          offset: m.offset,
          key: str(m.key),
          value: str(m.value),
          timestamp: m.timestamp,
          ...(m.headers ? { headers: Object.fromEntries(Object.entries(m.headers).map(([k, x]) => [k, str(x as Buffer)])) } : {}),
        })),
      })),
    })),
  };
}

function fetchCase(v: number, records: Buffer): Omit<KjsCase, 'dir' | 'api' | 'version'> {
  const args = {
    replicaId: -1,
    maxWaitTime: 500,
    minBytes: 1,
    maxBytes: 10485760,
    isolationLevel: 1,
    sessionId: 77,
    sessionEpoch: 5,
    forgottenTopics: [{ topic: 'old-topic', partitions: [4, 5] }],
    rackId: 'rack-a',
    topics: [
      {
        topic: 'orders',
        partitions: [
          { partition: 0, currentLeaderEpoch: 9, fetchOffset: '123456789012', logStartOffset: '42', maxBytes: 1048576 },
          { partition: 2, currentLeaderEpoch: 8, fetchOffset: '0', logStartOffset: '-1', maxBytes: 65536 },
        ],
      },
      { topic: 'payments', partitions: [{ partition: 1, currentLeaderEpoch: 1, fetchOffset: '77', logStartOffset: '3', maxBytes: 4096 }] },
    ],
  };
  const messages = fetchRecords.map((r, i) => ({
    offset: String(100 + i),
    key: r.key,
    value: r.value,
    timestamp: String(T0 + i),
    ...(v >= 4 ? { headers: r.headers ?? {} } : {}),
  }));
  const kjsPartition = (p: Partial$): Partial$ => ({
    partition: p.partitionIndex,
    errorCode: p.errorCode,
    highWatermark: String(p.highWatermark),
    ...(v >= 4 ? { lastStableOffset: String(p.lastStableOffset) } : {}),
    ...(v >= 5 ? { lastStartOffset: String(p.logStartOffset) } : {}),
    ...(v >= 4
      ? { abortedTransactions: p.abortedTransactions.map((a: Partial$) => ({ producerId: String(a.producerId), firstOffset: String(a.firstOffset) })) }
      : {}),
    ...(v >= 11 ? { preferredReadReplica: p.preferredReadReplica } : {}),
    messages: p.records === records ? messages : [],
  });
  const response = {
    throttleTimeMs: 15,
    errorCode: 0,
    sessionId: 77,
    responses: [
      {
        topic: 'orders',
        partitions: [
          {
            partitionIndex: 0,
            errorCode: 0,
            highWatermark: 200n,
            lastStableOffset: 190n,
            logStartOffset: 5n,
            abortedTransactions: [{ producerId: 4000000001n, firstOffset: 150n }],
            preferredReadReplica: 2,
            records,
          },
          {
            partitionIndex: 2,
            errorCode: 1,
            highWatermark: -1n,
            lastStableOffset: -1n,
            logStartOffset: -1n,
            abortedTransactions: [],
            preferredReadReplica: -1,
            records: Buffer.alloc(0),
          },
        ],
      },
      {
        topic: 'payments',
        partitions: [
          {
            partitionIndex: 1,
            errorCode: 0,
            highWatermark: 78n,
            lastStableOffset: 78n,
            logStartOffset: 0n,
            abortedTransactions: [],
            preferredReadReplica: -1,
            records: Buffer.alloc(0),
          },
        ],
      },
    ],
  };
  return {
    args,
    request: {
      replicaId: -1,
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 10485760,
      isolationLevel: 1,
      sessionId: 77,
      sessionEpoch: 5,
      topics: [
        {
          topic: 'orders',
          partitions: [
            { partition: 0, currentLeaderEpoch: 9, fetchOffset: 123456789012n, logStartOffset: 42n, partitionMaxBytes: 1048576 },
            { partition: 2, currentLeaderEpoch: 8, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 65536 },
          ],
        },
        { topic: 'payments', partitions: [{ partition: 1, currentLeaderEpoch: 1, fetchOffset: 77n, logStartOffset: 3n, partitionMaxBytes: 4096 }] },
      ],
      forgottenTopicsData: [{ topic: 'old-topic', partitions: [4, 5] }],
      rackId: 'rack-a',
    },
    response,
    decoded: {
      ...(v >= 1 ? throttle(v, 8, 15) : {}),
      ...(v >= 7 ? { errorCode: 0, sessionId: 77 } : {}),
      responses: response.responses.map((t) => ({ topicName: t.topic, partitions: t.partitions.map(kjsPartition) })),
    },
    normalize: normalizeFetch,
  };
}

// The record bytes are built asynchronously (KafkaJS's RecordBatch is async): the test file awaits
// `prepareKafkaJsCases()` before running them.
const fetchRecordsByVersion = new Map<number, Buffer>();

const fetch: KjsApi = {
  dir: 'fetch',
  api: 1,
  versions: range(0, 11),
  make: (v) => fetchCase(v, fetchRecordsByVersion.get(v)!),
};

// ------------------------------------------------------------------------------------------------
// ListOffsets (2): v0-3

const listOffsets: KjsApi = {
  dir: 'listOffsets',
  api: 2,
  versions: range(0, 3),
  make: (v) => ({
    args: {
      replicaId: -1,
      isolationLevel: 1,
      topics: [
        {
          topic: 'orders',
          partitions: [
            { partition: 0, timestamp: -1, maxNumOffsets: 3 },
            { partition: 1, timestamp: String(T0), maxNumOffsets: 1 },
          ],
        },
        { topic: 'payments', partitions: [{ partition: 2, timestamp: -2, maxNumOffsets: 2 }] },
      ],
    },
    request: {
      replicaId: -1,
      isolationLevel: 1,
      topics: [
        {
          name: 'orders',
          partitions: [
            { partitionIndex: 0, timestamp: -1n, maxNumOffsets: 3 },
            { partitionIndex: 1, timestamp: BigInt(T0), maxNumOffsets: 1 },
          ],
        },
        { name: 'payments', partitions: [{ partitionIndex: 2, timestamp: -2n, maxNumOffsets: 2 }] },
      ],
    },
    response: {
      throttleTimeMs: 9,
      topics: [
        {
          name: 'orders',
          partitions: [
            { partitionIndex: 0, errorCode: 0, oldStyleOffsets: [500n, 0n], timestamp: -1n, offset: 500n },
            { partitionIndex: 1, errorCode: 0, oldStyleOffsets: [321n], timestamp: BigInt(T0 + 1), offset: 321n },
          ],
        },
        { name: 'payments', partitions: [{ partitionIndex: 2, errorCode: 3, oldStyleOffsets: [], timestamp: -1n, offset: -1n }] },
      ],
    },
    decoded: {
      ...(v >= 2 ? throttle(v, 3, 9) : {}),
      responses: [
        {
          topic: 'orders',
          partitions: [
            v === 0 ? { partition: 0, errorCode: 0, offsets: ['500', '0'] } : { partition: 0, errorCode: 0, timestamp: '-1', offset: '500' },
            v === 0 ? { partition: 1, errorCode: 0, offsets: ['321'] } : { partition: 1, errorCode: 0, timestamp: String(T0 + 1), offset: '321' },
          ],
        },
        {
          topic: 'payments',
          partitions: [v === 0 ? { partition: 2, errorCode: 3, offsets: [] } : { partition: 2, errorCode: 3, timestamp: '-1', offset: '-1' }],
        },
      ],
    },
  }),
};

// ------------------------------------------------------------------------------------------------
// Metadata (3): v0-6

const metadata: KjsApi = {
  dir: 'metadata',
  api: 3,
  versions: range(0, 6),
  make: (v) => {
    const brokers = [
      { nodeId: 1, host: 'broker-1.gregor.local', port: 9092, rack: 'rack-a' },
      { nodeId: 2, host: 'broker-2.gregor.local', port: 19093, rack: null },
    ];
    const topics = [
      {
        errorCode: 0,
        name: 'orders',
        isInternal: false,
        partitions: [
          { errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 7, replicaNodes: [1, 2], isrNodes: [1, 2], offlineReplicas: [] },
          { errorCode: 9, partitionIndex: 1, leaderId: 2, leaderEpoch: 3, replicaNodes: [2, 1], isrNodes: [2], offlineReplicas: [1] },
        ],
      },
      { errorCode: 0, name: '__consumer_offsets', isInternal: true, partitions: [] },
      { errorCode: 3, name: 'missing', isInternal: false, partitions: [] },
    ];
    // v2 asks for every topic: KafkaJS writes an empty list as a null array (nullable from v1).
    const allTopics = v === 2;
    return {
      args: { topics: allTopics ? [] : ['orders', '__consumer_offsets', 'missing'], allowAutoTopicCreation: false },
      request: {
        topics: allTopics ? null : [{ name: 'orders' }, { name: '__consumer_offsets' }, { name: 'missing' }],
        allowAutoTopicCreation: false,
      },
      response: { throttleTimeMs: 4, brokers, clusterId: 'gregor-cluster-1', controllerId: 2, topics },
      decoded: {
        ...(v >= 3 ? throttle(v, 6, 4) : {}),
        brokers: brokers.map((b) => (v === 0 ? { nodeId: b.nodeId, host: b.host, port: b.port } : b)),
        ...(v >= 1 ? { controllerId: 2 } : {}),
        ...(v >= 2 ? { clusterId: 'gregor-cluster-1' } : {}),
        topicMetadata: topics.map((t) => ({
          topicErrorCode: t.errorCode,
          topic: t.name,
          ...(v >= 1 ? { isInternal: t.isInternal } : {}),
          partitionMetadata: t.partitions.map((p) => ({
            partitionErrorCode: p.errorCode,
            partitionId: p.partitionIndex,
            leader: p.leaderId,
            replicas: p.replicaNodes,
            isr: p.isrNodes,
            ...(v >= 5 ? { offlineReplicas: p.offlineReplicas } : {}),
          })),
        })),
      },
    };
  },
};

// ------------------------------------------------------------------------------------------------
// OffsetCommit (8): v0-5

const offsetCommit: KjsApi = {
  dir: 'offsetCommit',
  api: 8,
  versions: range(0, 5),
  make: (v) => ({
    args: {
      groupId: 'group-a',
      groupGenerationId: 12,
      memberId: 'member-1-4f2a',
      retentionTime: 86400000,
      topics: [
        {
          topic: 'orders',
          partitions: [
            { partition: 0, offset: '1234567890123', timestamp: T0, metadata: 'node-7' },
            { partition: 5, offset: '0', timestamp: T0 + 1, metadata: null },
          ],
        },
        { topic: 'payments', partitions: [{ partition: 1, offset: '99', timestamp: T0 + 2, metadata: '' }] },
      ],
    },
    request: {
      groupId: 'group-a',
      generationIdOrMemberEpoch: 12,
      memberId: 'member-1-4f2a',
      retentionTimeMs: 86400000n,
      topics: [
        {
          name: 'orders',
          partitions: [
            { partitionIndex: 0, committedOffset: 1234567890123n, commitTimestamp: BigInt(T0), committedMetadata: 'node-7' },
            { partitionIndex: 5, committedOffset: 0n, commitTimestamp: BigInt(T0 + 1), committedMetadata: null },
          ],
        },
        { name: 'payments', partitions: [{ partitionIndex: 1, committedOffset: 99n, commitTimestamp: BigInt(T0 + 2), committedMetadata: '' }] },
      ],
    },
    response: {
      throttleTimeMs: 21,
      topics: [
        { name: 'orders', partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 5, errorCode: 22 }] },
        { name: 'payments', partitions: [{ partitionIndex: 1, errorCode: 0 }] },
      ],
    },
    decoded: {
      ...(v >= 3 ? throttle(v, 4, 21) : {}),
      responses: [
        { topic: 'orders', partitions: [{ partition: 0, errorCode: 0 }, { partition: 5, errorCode: 22 }] },
        { topic: 'payments', partitions: [{ partition: 1, errorCode: 0 }] },
      ],
    },
  }),
};

// ------------------------------------------------------------------------------------------------
// OffsetFetch (9): v1-4 (KafkaJS has no v0)

const offsetFetch: KjsApi = {
  dir: 'offsetFetch',
  api: 9,
  versions: range(1, 4),
  make: (v) => {
    // From v3 KafkaJS writes topics with writeNullableArray: an empty list goes out as null
    // ("every topic"), which our schema allows from v2.
    const allTopics = v === 4;
    return {
      args: {
        groupId: 'group-a',
        topics: allTopics
          ? []
          : [
              { topic: 'orders', partitions: [{ partition: 0 }, { partition: 3 }] },
              { topic: 'payments', partitions: [{ partition: 1 }] },
            ],
      },
      request: {
        groupId: 'group-a',
        topics: allTopics
          ? null
          : [
              { name: 'orders', partitionIndexes: [0, 3] },
              { name: 'payments', partitionIndexes: [1] },
            ],
      },
      response: {
        throttleTimeMs: 2,
        errorCode: 0,
        topics: [
          {
            name: 'orders',
            partitions: [
              { partitionIndex: 0, committedOffset: 1234567890123n, metadata: 'node-7', errorCode: 0 },
              { partitionIndex: 3, committedOffset: -1n, metadata: null, errorCode: 0 },
            ],
          },
          { name: 'payments', partitions: [{ partitionIndex: 1, committedOffset: -1n, metadata: '', errorCode: 3 }] },
        ],
      },
      decoded: {
        ...(v >= 3 ? throttle(v, 4, 2) : {}),
        responses: [
          {
            topic: 'orders',
            partitions: [
              { partition: 0, offset: '1234567890123', metadata: 'node-7', errorCode: 0 },
              { partition: 3, offset: '-1', metadata: null, errorCode: 0 },
            ],
          },
          { topic: 'payments', partitions: [{ partition: 1, offset: '-1', metadata: '', errorCode: 3 }] },
        ],
        ...(v >= 2 ? { errorCode: 0 } : {}),
      },
    };
  },
};

// ------------------------------------------------------------------------------------------------
// FindCoordinator (10): v0-2

const findCoordinator: KjsApi = {
  dir: 'findCoordinator',
  api: 10,
  versions: range(0, 2),
  make: (v) => ({
    args: v === 0 ? { groupId: 'group-a' } : { coordinatorKey: 'tx-orders', coordinatorType: 1 },
    request: v === 0 ? { key: 'group-a' } : { key: 'tx-orders', keyType: 1 },
    response: { throttleTimeMs: 6, errorCode: 0, errorMessage: 'NONE', nodeId: 3, host: 'broker-3.gregor.local', port: 29094 },
    decoded: {
      ...(v >= 1 ? throttle(v, 2, 6) : {}),
      errorCode: 0,
      ...(v >= 1 ? { errorMessage: 'NONE' } : {}),
      coordinator: { nodeId: 3, host: 'broker-3.gregor.local', port: 29094 },
    },
  }),
};

// ------------------------------------------------------------------------------------------------
// JoinGroup (11): v0-5

const joinGroup: KjsApi = {
  dir: 'joinGroup',
  api: 11,
  versions: range(0, 5),
  make: (v) => {
    const meta1 = Buffer.from([0, 1, 0, 0, 0, 1, 0, 6, 0x6f, 0x72, 0x64, 0x65, 0x72, 0x73, 0xff, 0xff, 0xff, 0xff]);
    const meta2 = Buffer.from('range-metadata');
    return {
      args: {
        groupId: 'group-a',
        sessionTimeout: 30000,
        rebalanceTimeout: 60000,
        memberId: 'member-1-4f2a',
        groupInstanceId: 'instance-7',
        protocolType: 'consumer',
        groupProtocols: [
          { name: 'RoundRobinAssigner', metadata: meta1 },
          { name: 'range', metadata: meta2 },
        ],
      },
      request: {
        groupId: 'group-a',
        sessionTimeoutMs: 30000,
        rebalanceTimeoutMs: 60000,
        memberId: 'member-1-4f2a',
        groupInstanceId: 'instance-7',
        protocolType: 'consumer',
        protocols: [
          { name: 'RoundRobinAssigner', metadata: meta1 },
          { name: 'range', metadata: meta2 },
        ],
      },
      response: {
        throttleTimeMs: 8,
        errorCode: 0,
        generationId: 4,
        protocolName: 'RoundRobinAssigner',
        leader: 'member-1-4f2a',
        memberId: 'member-1-4f2a',
        members: [
          { memberId: 'member-1-4f2a', groupInstanceId: 'instance-7', metadata: meta1 },
          { memberId: 'member-2-9c1d', groupInstanceId: null, metadata: meta2 },
        ],
      },
      decoded: {
        ...(v >= 2 ? throttle(v, 3, 8) : {}),
        errorCode: 0,
        generationId: 4,
        groupProtocol: 'RoundRobinAssigner',
        leaderId: 'member-1-4f2a',
        memberId: 'member-1-4f2a',
        members: [
          { memberId: 'member-1-4f2a', ...(v >= 5 ? { groupInstanceId: 'instance-7' } : {}), memberMetadata: meta1 },
          { memberId: 'member-2-9c1d', ...(v >= 5 ? { groupInstanceId: null } : {}), memberMetadata: meta2 },
        ],
      },
    };
  },
};

// ------------------------------------------------------------------------------------------------
// Heartbeat (12): v0-3

const heartbeat: KjsApi = {
  dir: 'heartbeat',
  api: 12,
  versions: range(0, 3),
  make: (v) => ({
    args: { groupId: 'group-a', groupGenerationId: 4, memberId: 'member-1-4f2a', groupInstanceId: 'instance-7' },
    request: { groupId: 'group-a', generationId: 4, memberId: 'member-1-4f2a', groupInstanceId: 'instance-7' },
    response: { throttleTimeMs: 11, errorCode: 27 },
    decoded: { ...(v >= 1 ? throttle(v, 2, 11) : {}), errorCode: 27 },
  }),
};

// ------------------------------------------------------------------------------------------------
// LeaveGroup (13): v0-3

const leaveGroup: KjsApi = {
  dir: 'leaveGroup',
  api: 13,
  versions: range(0, 3),
  make: (v) => ({
    args:
      v <= 2
        ? { groupId: 'group-a', memberId: 'member-1-4f2a' }
        : {
            groupId: 'group-a',
            members: [
              { memberId: 'member-1-4f2a', groupInstanceId: 'instance-7' },
              { memberId: 'member-2-9c1d', groupInstanceId: null },
            ],
          },
    request:
      v <= 2
        ? { groupId: 'group-a', memberId: 'member-1-4f2a' }
        : {
            groupId: 'group-a',
            members: [
              { memberId: 'member-1-4f2a', groupInstanceId: 'instance-7' },
              { memberId: 'member-2-9c1d', groupInstanceId: null },
            ],
          },
    response: {
      throttleTimeMs: 13,
      errorCode: 0,
      members: [
        { memberId: 'member-1-4f2a', groupInstanceId: 'instance-7', errorCode: 0 },
        { memberId: 'member-2-9c1d', groupInstanceId: null, errorCode: 25 },
      ],
    },
    decoded: {
      ...(v >= 1 ? throttle(v, 2, 13) : {}),
      errorCode: 0,
      ...(v >= 3
        ? {
            members: [
              { memberId: 'member-1-4f2a', groupInstanceId: 'instance-7', errorCode: 0 },
              { memberId: 'member-2-9c1d', groupInstanceId: null, errorCode: 25 },
            ],
          }
        : {}),
    },
  }),
};

// ------------------------------------------------------------------------------------------------
// SyncGroup (14): v0-3

const syncGroup: KjsApi = {
  dir: 'syncGroup',
  api: 14,
  versions: range(0, 3),
  make: (v) => {
    const a1 = Buffer.from([0, 1, 0, 0, 0, 1, 0, 6, 0x6f, 0x72, 0x64, 0x65, 0x72, 0x73, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    const a2 = Buffer.from('assignment-of-member-2');
    return {
      args: {
        groupId: 'group-a',
        generationId: 4,
        memberId: 'member-1-4f2a',
        groupInstanceId: 'instance-7',
        groupAssignment: [
          { memberId: 'member-1-4f2a', memberAssignment: a1 },
          { memberId: 'member-2-9c1d', memberAssignment: a2 },
        ],
      },
      request: {
        groupId: 'group-a',
        generationId: 4,
        memberId: 'member-1-4f2a',
        groupInstanceId: 'instance-7',
        assignments: [
          { memberId: 'member-1-4f2a', assignment: a1 },
          { memberId: 'member-2-9c1d', assignment: a2 },
        ],
      },
      response: { throttleTimeMs: 14, errorCode: 0, assignment: a1 },
      decoded: { ...(v >= 1 ? throttle(v, 2, 14) : {}), errorCode: 0, memberAssignment: a1 },
    };
  },
};

// ------------------------------------------------------------------------------------------------
// DescribeGroups (15): v0-2

const describeGroups: KjsApi = {
  dir: 'describeGroups',
  api: 15,
  versions: range(0, 2),
  make: (v) => {
    const md = Buffer.from('member-metadata');
    const as = Buffer.from([0, 1, 2, 3]);
    return {
      args: { groupIds: ['group-a', 'group-b'] },
      request: { groups: ['group-a', 'group-b'] },
      response: {
        throttleTimeMs: 5,
        groups: [
          {
            errorCode: 0,
            groupId: 'group-a',
            groupState: 'Stable',
            protocolType: 'consumer',
            protocolData: 'RoundRobinAssigner',
            members: [
              { memberId: 'member-1-4f2a', clientId: 'app-1', clientHost: '/10.0.0.7', memberMetadata: md, memberAssignment: as },
              { memberId: 'member-2-9c1d', clientId: 'app-2', clientHost: '/10.0.0.8', memberMetadata: Buffer.alloc(0), memberAssignment: Buffer.alloc(0) },
            ],
          },
          { errorCode: 16, groupId: 'group-b', groupState: 'Dead', protocolType: '', protocolData: '', members: [] },
        ],
      },
      decoded: {
        ...(v >= 1 ? throttle(v, 2, 5) : {}),
        groups: [
          {
            errorCode: 0,
            groupId: 'group-a',
            state: 'Stable',
            protocolType: 'consumer',
            protocol: 'RoundRobinAssigner',
            members: [
              { memberId: 'member-1-4f2a', clientId: 'app-1', clientHost: '/10.0.0.7', memberMetadata: md, memberAssignment: as },
              { memberId: 'member-2-9c1d', clientId: 'app-2', clientHost: '/10.0.0.8', memberMetadata: Buffer.alloc(0), memberAssignment: Buffer.alloc(0) },
            ],
          },
          { errorCode: 16, groupId: 'group-b', state: 'Dead', protocolType: '', protocol: '', members: [] },
        ],
      },
    };
  },
};

// ------------------------------------------------------------------------------------------------
// ListGroups (16): v0-2

const listGroups: KjsApi = {
  dir: 'listGroups',
  api: 16,
  versions: range(0, 2),
  make: (v) => ({
    args: undefined,
    request: {},
    response: {
      throttleTimeMs: 3,
      errorCode: 0,
      groups: [
        { groupId: 'group-a', protocolType: 'consumer' },
        { groupId: 'connect-cluster', protocolType: 'connect' },
      ],
    },
    decoded: {
      ...(v >= 1 ? throttle(v, 2, 3) : {}),
      errorCode: 0,
      groups: [
        { groupId: 'group-a', protocolType: 'consumer' },
        { groupId: 'connect-cluster', protocolType: 'connect' },
      ],
    },
  }),
};

// ------------------------------------------------------------------------------------------------
// SaslHandshake (17): v0-1

const saslHandshake: KjsApi = {
  dir: 'saslHandshake',
  api: 17,
  versions: range(0, 1),
  make: () => ({
    args: { mechanism: 'SCRAM-SHA-256' },
    request: { mechanism: 'SCRAM-SHA-256' },
    response: { errorCode: 33, mechanisms: ['PLAIN', 'SCRAM-SHA-512'] },
    decoded: { errorCode: 33, enabledMechanisms: ['PLAIN', 'SCRAM-SHA-512'] },
  }),
};

// ------------------------------------------------------------------------------------------------
// ApiVersions (18): v0-2

const apiVersions: KjsApi = {
  dir: 'apiVersions',
  api: 18,
  versions: range(0, 2),
  make: (v) => {
    const keys = [
      { apiKey: 0, minVersion: 0, maxVersion: 13 },
      { apiKey: 1, minVersion: 0, maxVersion: 18 },
      { apiKey: 18, minVersion: 0, maxVersion: 4 },
      { apiKey: 75, minVersion: 0, maxVersion: 0 },
    ];
    return {
      args: undefined,
      request: {},
      response: { errorCode: 0, apiKeys: keys, throttleTimeMs: 12 },
      decoded: { errorCode: 0, apiVersions: keys, ...(v >= 1 ? throttle(v, 2, 12) : {}) },
    };
  },
};

// ------------------------------------------------------------------------------------------------
// CreateTopics (19): v0-3

const createTopics: KjsApi = {
  dir: 'createTopics',
  api: 19,
  versions: range(0, 3),
  make: (v) => ({
    args: {
      topics: [
        {
          topic: 'orders',
          numPartitions: 6,
          replicationFactor: 3,
          replicaAssignment: [],
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'retention.ms', value: '86400000' },
          ],
        },
        {
          topic: 'audit',
          numPartitions: -1,
          replicationFactor: -1,
          replicaAssignment: [
            { partition: 0, replicas: [1, 2] },
            { partition: 1, replicas: [2, 3] },
          ],
          configEntries: [],
        },
      ],
      timeout: 10000,
      validateOnly: true,
    },
    request: {
      topics: [
        {
          name: 'orders',
          numPartitions: 6,
          replicationFactor: 3,
          assignments: [],
          configs: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'retention.ms', value: '86400000' },
          ],
        },
        {
          name: 'audit',
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [
            { partitionIndex: 0, brokerIds: [1, 2] },
            { partitionIndex: 1, brokerIds: [2, 3] },
          ],
          configs: [],
        },
      ],
      timeoutMs: 10000,
      validateOnly: true,
    },
    // In wire order orders, audit: KafkaJS sorts them by name.
    response: {
      throttleTimeMs: 30,
      topics: [
        { name: 'orders', errorCode: 36, errorMessage: "Topic 'orders' already exists." },
        { name: 'audit', errorCode: 0, errorMessage: null },
      ],
    },
    decoded: {
      ...(v >= 2 ? throttle(v, 3, 30) : {}),
      topicErrors: [
        { topic: 'audit', errorCode: 0, ...(v >= 1 ? { errorMessage: null } : {}) },
        { topic: 'orders', errorCode: 36, ...(v >= 1 ? { errorMessage: "Topic 'orders' already exists." } : {}) },
      ],
    },
  }),
};

// ------------------------------------------------------------------------------------------------
// DeleteTopics (20): v0-1

const deleteTopics: KjsApi = {
  dir: 'deleteTopics',
  api: 20,
  versions: range(0, 1),
  make: (v) => ({
    args: { topics: ['orders', 'audit'], timeout: 15000 },
    request: { topicNames: ['orders', 'audit'], timeoutMs: 15000 },
    response: {
      throttleTimeMs: 31,
      responses: [
        { name: 'orders', errorCode: 0 },
        { name: 'audit', errorCode: 3 },
      ],
    },
    decoded: {
      ...(v >= 1 ? throttle(v, 1, 31) : {}),
      topicErrors: [
        { topic: 'audit', errorCode: 3 },
        { topic: 'orders', errorCode: 0 },
      ],
    },
  }),
};

// ------------------------------------------------------------------------------------------------
// DeleteRecords (21): v0-1

const deleteRecords: KjsApi = {
  dir: 'deleteRecords',
  api: 21,
  versions: range(0, 1),
  make: (v) => {
    // KafkaJS's parse assumes one topic: it pairs the first topic of the (sorted) response with the
    // first topic of the request to report offsets. Requesting 'audit' first keeps that pairing
    // right for the error we send, so parse throws its KafkaJSDeleteTopicRecordsError.
    const topics = [
      { topic: 'audit', partitions: [{ partition: 4, offset: '10' }] },
      {
        topic: 'orders',
        partitions: [
          { partition: 0, offset: '1234567890123' },
          { partition: 1, offset: '-1' },
        ],
      },
    ];
    return {
      args: { topics, timeout: 12000 },
      request: {
        topics: [
          { name: 'audit', partitions: [{ partitionIndex: 4, offset: 10n }] },
          {
            name: 'orders',
            partitions: [
              { partitionIndex: 0, offset: 1234567890123n },
              { partitionIndex: 1, offset: -1n },
            ],
          },
        ],
        timeoutMs: 12000,
      },
      response: {
        throttleTimeMs: 32,
        topics: [
          {
            name: 'orders',
            partitions: [
              { partitionIndex: 0, lowWatermark: 1234567890123n, errorCode: 0 },
              { partitionIndex: 1, lowWatermark: 500n, errorCode: 0 },
            ],
          },
          { name: 'audit', partitions: [{ partitionIndex: 4, lowWatermark: -1n, errorCode: 1 }] },
        ],
      },
      responseFactoryArgs: { topics },
      // lowWatermark stays a bigint: this decoder calls readInt64() without toString().
      decoded: {
        ...throttle(v, 1, 32),
        topics: [
          { topic: 'audit', partitions: [{ partition: 4, lowWatermark: -1n, errorCode: 1 }] },
          {
            topic: 'orders',
            partitions: [
              { partition: 0, lowWatermark: 1234567890123n, errorCode: 0 },
              { partition: 1, lowWatermark: 500n, errorCode: 0 },
            ],
          },
        ],
      },
    };
  },
};

// ------------------------------------------------------------------------------------------------
// InitProducerId (22): v0-1

const initProducerId: KjsApi = {
  dir: 'initProducerId',
  api: 22,
  versions: range(0, 1),
  make: (v) => {
    // v1 as an idempotent (non-transactional) producer sends it: a null transactional id.
    const txId = v === 0 ? 'tx-orders' : null;
    return {
      args: { transactionalId: txId, transactionTimeout: 60000 },
      request: { transactionalId: txId, transactionTimeoutMs: 60000 },
      response: { throttleTimeMs: 33, errorCode: 0, producerId: 4000000001n, producerEpoch: 2 },
      decoded: { ...throttle(v, 1, 33), errorCode: 0, producerId: '4000000001', producerEpoch: 2 },
    };
  },
};

// ------------------------------------------------------------------------------------------------
// AddPartitionsToTxn (24): v0-1

const addPartitionsToTxn: KjsApi = {
  dir: 'addPartitionsToTxn',
  api: 24,
  versions: range(0, 1),
  make: (v) => ({
    args: {
      transactionalId: 'tx-orders',
      producerId: '4000000001',
      producerEpoch: 2,
      topics: [
        { topic: 'orders', partitions: [0, 3] },
        { topic: 'audit', partitions: [1] },
      ],
    },
    request: {
      v3AndBelowTransactionalId: 'tx-orders',
      v3AndBelowProducerId: 4000000001n,
      v3AndBelowProducerEpoch: 2,
      v3AndBelowTopics: [
        { name: 'orders', partitions: [0, 3] },
        { name: 'audit', partitions: [1] },
      ],
    },
    response: {
      throttleTimeMs: 34,
      resultsByTopicV3AndBelow: [
        {
          name: 'orders',
          resultsByPartition: [
            { partitionIndex: 0, partitionErrorCode: 0 },
            { partitionIndex: 3, partitionErrorCode: 48 },
          ],
        },
        { name: 'audit', resultsByPartition: [{ partitionIndex: 1, partitionErrorCode: 0 }] },
      ],
    },
    decoded: {
      ...throttle(v, 1, 34),
      errors: [
        {
          topic: 'orders',
          partitionErrors: [
            { partition: 0, errorCode: 0 },
            { partition: 3, errorCode: 48 },
          ],
        },
        { topic: 'audit', partitionErrors: [{ partition: 1, errorCode: 0 }] },
      ],
    },
  }),
};

// ------------------------------------------------------------------------------------------------
// AddOffsetsToTxn (25), EndTxn (26): v0-1

const addOffsetsToTxn: KjsApi = {
  dir: 'addOffsetsToTxn',
  api: 25,
  versions: range(0, 1),
  make: (v) => ({
    args: { transactionalId: 'tx-orders', producerId: '4000000001', producerEpoch: 2, groupId: 'group-a' },
    request: { transactionalId: 'tx-orders', producerId: 4000000001n, producerEpoch: 2, groupId: 'group-a' },
    response: { throttleTimeMs: 35, errorCode: 0 },
    decoded: { ...throttle(v, 1, 35), errorCode: 0 },
  }),
};

const endTxn: KjsApi = {
  dir: 'endTxn',
  api: 26,
  versions: range(0, 1),
  make: (v) => ({
    args: { transactionalId: 'tx-orders', producerId: '4000000001', producerEpoch: 2, transactionResult: v === 0 },
    request: { transactionalId: 'tx-orders', producerId: 4000000001n, producerEpoch: 2, committed: v === 0 },
    response: { throttleTimeMs: 36, errorCode: 48 },
    decoded: { ...throttle(v, 1, 36), errorCode: 48 },
  }),
};

// ------------------------------------------------------------------------------------------------
// TxnOffsetCommit (28): v0-1

const txnOffsetCommit: KjsApi = {
  dir: 'txnOffsetCommit',
  api: 28,
  versions: range(0, 1),
  make: (v) => ({
    args: {
      transactionalId: 'tx-orders',
      groupId: 'group-a',
      producerId: '4000000001',
      producerEpoch: 2,
      topics: [
        {
          topic: 'orders',
          partitions: [
            { partition: 0, offset: '1234567890123', metadata: 'm-1' },
            { partition: 3, offset: '5', metadata: null },
          ],
        },
        { topic: 'audit', partitions: [{ partition: 1, offset: '0', metadata: '' }] },
      ],
    },
    request: {
      transactionalId: 'tx-orders',
      groupId: 'group-a',
      producerId: 4000000001n,
      producerEpoch: 2,
      topics: [
        {
          name: 'orders',
          partitions: [
            { partitionIndex: 0, committedOffset: 1234567890123n, committedMetadata: 'm-1' },
            { partitionIndex: 3, committedOffset: 5n, committedMetadata: null },
          ],
        },
        { name: 'audit', partitions: [{ partitionIndex: 1, committedOffset: 0n, committedMetadata: '' }] },
      ],
    },
    response: {
      throttleTimeMs: 37,
      topics: [
        { name: 'orders', partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 3, errorCode: 49 }] },
        { name: 'audit', partitions: [{ partitionIndex: 1, errorCode: 0 }] },
      ],
    },
    decoded: {
      ...throttle(v, 1, 37),
      topics: [
        { topic: 'orders', partitions: [{ partition: 0, errorCode: 0 }, { partition: 3, errorCode: 49 }] },
        { topic: 'audit', partitions: [{ partition: 1, errorCode: 0 }] },
      ],
    },
  }),
};

// ------------------------------------------------------------------------------------------------
// DescribeAcls (29), CreateAcls (30), DeleteAcls (31): v0-1
// Numbers: resource type 2 TOPIC, 3 GROUP; pattern type 3 LITERAL, 4 PREFIXED; operation 3 READ,
// 4 WRITE; permission type 3 ALLOW, 2 DENY.

const describeAcls: KjsApi = {
  dir: 'describeAcls',
  api: 29,
  versions: range(0, 1),
  make: (v) => ({
    args: { resourceType: 2, resourceName: 'orders', resourcePatternType: 4, principal: 'User:alice', host: '*', operation: 3, permissionType: 3 },
    request: {
      resourceTypeFilter: 2,
      resourceNameFilter: 'orders',
      patternTypeFilter: 4,
      principalFilter: 'User:alice',
      hostFilter: '*',
      operation: 3,
      permissionType: 3,
    },
    response: {
      throttleTimeMs: 38,
      errorCode: 0,
      errorMessage: null,
      resources: [
        {
          resourceType: 2,
          resourceName: 'orders',
          patternType: 4,
          acls: [
            { principal: 'User:alice', host: '*', operation: 3, permissionType: 3 },
            { principal: 'User:alice', host: '10.0.0.1', operation: 4, permissionType: 2 },
          ],
        },
      ],
    },
    decoded: {
      ...throttle(v, 1, 38),
      errorCode: 0,
      errorMessage: null,
      resources: [
        {
          resourceType: 2,
          resourceName: 'orders',
          ...(v >= 1 ? { resourcePatternType: 4 } : {}),
          acls: [
            { principal: 'User:alice', host: '*', operation: 3, permissionType: 3 },
            { principal: 'User:alice', host: '10.0.0.1', operation: 4, permissionType: 2 },
          ],
        },
      ],
    },
  }),
};

const aclCreations = [
  { resourceType: 2, resourceName: 'orders', resourcePatternType: 3, principal: 'User:alice', host: '*', operation: 3, permissionType: 3 },
  { resourceType: 3, resourceName: 'group-', resourcePatternType: 4, principal: 'User:bob', host: '10.0.0.2', operation: 4, permissionType: 2 },
];

const createAcls: KjsApi = {
  dir: 'createAcls',
  api: 30,
  versions: range(0, 1),
  make: (v) => ({
    args: { creations: aclCreations },
    request: { creations: aclCreations },
    response: {
      throttleTimeMs: 39,
      results: [
        { errorCode: 0, errorMessage: null },
        { errorCode: 87, errorMessage: 'Invalid principal' },
      ],
    },
    decoded: {
      ...throttle(v, 1, 39),
      creationResponses: [
        { errorCode: 0, errorMessage: null },
        { errorCode: 87, errorMessage: 'Invalid principal' },
      ],
    },
  }),
};

const deleteAcls: KjsApi = {
  dir: 'deleteAcls',
  api: 31,
  versions: range(0, 1),
  make: (v) => ({
    args: { filters: aclCreations },
    request: {
      filters: aclCreations.map((c) => ({
        resourceTypeFilter: c.resourceType,
        resourceNameFilter: c.resourceName,
        patternTypeFilter: c.resourcePatternType,
        principalFilter: c.principal,
        hostFilter: c.host,
        operation: c.operation,
        permissionType: c.permissionType,
      })),
    },
    response: {
      throttleTimeMs: 40,
      filterResults: [
        {
          errorCode: 0,
          errorMessage: null,
          matchingAcls: [
            {
              errorCode: 0,
              errorMessage: null,
              resourceType: 2,
              resourceName: 'orders',
              patternType: 3,
              principal: 'User:alice',
              host: '*',
              operation: 3,
              permissionType: 3,
            },
          ],
        },
        { errorCode: 0, errorMessage: null, matchingAcls: [] },
      ],
    },
    decoded: {
      ...throttle(v, 1, 40),
      filterResponses: [
        {
          errorCode: 0,
          errorMessage: null,
          matchingAcls: [
            {
              errorCode: 0,
              errorMessage: null,
              resourceType: 2,
              resourceName: 'orders',
              ...(v >= 1 ? { resourcePatternType: 3 } : {}),
              principal: 'User:alice',
              host: '*',
              operation: 3,
              permissionType: 3,
            },
          ],
        },
        { errorCode: 0, errorMessage: null, matchingAcls: [] },
      ],
    },
  }),
};

// ------------------------------------------------------------------------------------------------
// DescribeConfigs (32): v0-2

const describeConfigs: KjsApi = {
  dir: 'describeConfigs',
  api: 32,
  versions: range(0, 2),
  make: (v) => {
    // Config sources (KafkaJS configSource.js): 1 TOPIC_CONFIG, 4 STATIC_BROKER_CONFIG, 5 DEFAULT_CONFIG.
    const configs = [
      { name: 'cleanup.policy', value: 'compact', readOnly: false, isDefault: false, configSource: 1, isSensitive: false, synonyms: [{ name: 'log.cleanup.policy', value: 'delete', source: 5 }] },
      { name: 'retention.ms', value: null, readOnly: true, isDefault: true, configSource: 5, isSensitive: true, synonyms: [] },
    ];
    return {
      args: {
        resources: [
          { type: 2, name: 'orders', configNames: ['cleanup.policy', 'retention.ms'] },
          // An empty list goes out as a null array: every config of the broker.
          { type: 4, name: '1', configNames: [] },
        ],
        includeSynonyms: true,
      },
      request: {
        resources: [
          { resourceType: 2, resourceName: 'orders', configurationKeys: ['cleanup.policy', 'retention.ms'] },
          { resourceType: 4, resourceName: '1', configurationKeys: null },
        ],
        includeSynonyms: true,
      },
      response: {
        throttleTimeMs: 41,
        results: [
          { errorCode: 0, errorMessage: null, resourceType: 2, resourceName: 'orders', configs },
          { errorCode: 0, errorMessage: '', resourceType: 4, resourceName: '1', configs: [{ ...configs[0], synonyms: [] }] },
        ],
      },
      decoded: {
        ...throttle(v, 2, 41),
        resources: [
          {
            errorCode: 0,
            errorMessage: null,
            resourceType: 2,
            resourceName: 'orders',
            configEntries: configs.map((c) => kjsConfigEntry(v, c, 2)),
          },
          {
            errorCode: 0,
            errorMessage: '',
            resourceType: 4,
            resourceName: '1',
            configEntries: [kjsConfigEntry(v, { ...configs[0], synonyms: [] }, 4)],
          },
        ],
      },
    };
  },
};

function kjsConfigEntry(v: number, c: Partial$, resourceType: number): Partial$ {
  if (v === 0) {
    // v0 has isDefault on the wire; KafkaJS derives configSource from it and the resource type.
    const configSource = c.isDefault ? 5 : resourceType === 4 ? 4 : resourceType === 2 ? 1 : 0;
    return { configName: c.name, configValue: c.value, readOnly: c.readOnly, isDefault: c.isDefault, configSource, isSensitive: c.isSensitive };
  }
  return {
    configName: c.name,
    configValue: c.value,
    readOnly: c.readOnly,
    isDefault: c.configSource === 5,
    configSource: c.configSource,
    isSensitive: c.isSensitive,
    configSynonyms: c.synonyms.map((s: Partial$) => ({ configName: s.name, configValue: s.value, configSource: s.source })),
  };
}

// ------------------------------------------------------------------------------------------------
// AlterConfigs (33): v0-1

const alterConfigs: KjsApi = {
  dir: 'alterConfigs',
  api: 33,
  versions: range(0, 1),
  make: (v) => ({
    args: {
      resources: [
        {
          type: 2,
          name: 'orders',
          configEntries: [
            { name: 'retention.ms', value: '604800000' },
            { name: 'cleanup.policy', value: null },
          ],
        },
        { type: 4, name: '2', configEntries: [{ name: 'log.retention.hours', value: '72' }] },
      ],
      validateOnly: true,
    },
    request: {
      resources: [
        {
          resourceType: 2,
          resourceName: 'orders',
          configs: [
            { name: 'retention.ms', value: '604800000' },
            { name: 'cleanup.policy', value: null },
          ],
        },
        { resourceType: 4, resourceName: '2', configs: [{ name: 'log.retention.hours', value: '72' }] },
      ],
      validateOnly: true,
    },
    response: {
      throttleTimeMs: 42,
      responses: [
        { errorCode: 0, errorMessage: null, resourceType: 2, resourceName: 'orders' },
        { errorCode: 40, errorMessage: 'Invalid config', resourceType: 4, resourceName: '2' },
      ],
    },
    decoded: {
      ...throttle(v, 1, 42),
      resources: [
        { errorCode: 0, errorMessage: null, resourceType: 2, resourceName: 'orders' },
        { errorCode: 40, errorMessage: 'Invalid config', resourceType: 4, resourceName: '2' },
      ],
    },
  }),
};

// ------------------------------------------------------------------------------------------------
// SaslAuthenticate (36): v0-1

const saslPayload = Buffer.from('n,,n=alice,r=fyko+d2lbbFgONRv9qkxdawL');

const saslAuthenticate: KjsApi = {
  dir: 'saslAuthenticate',
  api: 36,
  versions: range(0, 1),
  make: (v) => {
    const serverFirst = Buffer.from('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096');
    return {
      // KafkaJS request.js writes authBytes raw (writeBuffer): its SASL mechanisms pass the bytes
      // already size-prefixed (new Encoder().writeBytes(payload)), as here.
      args: { authBytes: new Encoder().writeBytes(saslPayload).buffer },
      request: { authBytes: saslPayload },
      response: { errorCode: 0, errorMessage: null, authBytes: serverFirst, sessionLifetimeMs: 3600000n },
      // decode re-adds the int32 size prefix to authBytes for the mechanisms.
      decoded: {
        errorCode: 0,
        errorMessage: null,
        authBytes: new Encoder().writeBytes(serverFirst).buffer,
        ...(v >= 1 ? { sessionLifetimeMs: '3600000' } : {}),
      },
    };
  },
};

// ------------------------------------------------------------------------------------------------
// CreatePartitions (37): v0-1

const createPartitions: KjsApi = {
  dir: 'createPartitions',
  api: 37,
  versions: range(0, 1),
  make: (v) => ({
    args: {
      topicPartitions: [
        { topic: 'orders', count: 12, assignments: [[1, 2], [2, 3], [3, 1]] },
        // No assignments: KafkaJS writes the empty list as a null array.
        { topic: 'audit', count: 4 },
      ],
      timeout: 20000,
      validateOnly: false,
    },
    request: {
      topics: [
        { name: 'orders', count: 12, assignments: [{ brokerIds: [1, 2] }, { brokerIds: [2, 3] }, { brokerIds: [3, 1] }] },
        { name: 'audit', count: 4, assignments: null },
      ],
      timeoutMs: 20000,
      validateOnly: false,
    },
    response: {
      throttleTimeMs: 43,
      results: [
        { name: 'orders', errorCode: 0, errorMessage: null },
        { name: 'audit', errorCode: 37, errorMessage: 'Number of partitions is invalid.' },
      ],
    },
    decoded: {
      ...throttle(v, 1, 43),
      topicErrors: [
        { topic: 'audit', errorCode: 37, errorMessage: 'Number of partitions is invalid.' },
        { topic: 'orders', errorCode: 0, errorMessage: null },
      ],
    },
  }),
};

// ------------------------------------------------------------------------------------------------
// DeleteGroups (42): v0-1

const deleteGroups: KjsApi = {
  dir: 'deleteGroups',
  api: 42,
  versions: range(0, 1),
  make: (v) => ({
    // request.js takes the group id list itself.
    args: ['group-a', 'group-b', 'group-c'],
    request: { groupsNames: ['group-a', 'group-b', 'group-c'] },
    response: {
      throttleTimeMs: 44,
      results: [
        { groupId: 'group-a', errorCode: 0 },
        { groupId: 'group-b', errorCode: 69 },
        { groupId: 'group-c', errorCode: 68 },
      ],
    },
    // v0 decode reads the throttle time into `throttleTimeMs` and attaches a KafkaJSProtocolError to
    // failed groups; v1 then copies `throttleTime` (undefined, a KafkaJS slip) to
    // clientSideThrottleTime and reports throttleTime 0.
    decoded: {
      throttleTimeMs: 44,
      ...(v >= 1 ? { throttleTime: 0, clientSideThrottleTime: undefined } : {}),
      results: [
        { groupId: 'group-a', errorCode: 0 },
        { groupId: 'group-b', errorCode: 69, error: expectObjectContaining({ type: 'GROUP_ID_NOT_FOUND', code: 69 }) },
        { groupId: 'group-c', errorCode: 68, error: expectObjectContaining({ type: 'NON_EMPTY_GROUP', code: 68 }) },
      ],
    },
  }),
};

// ------------------------------------------------------------------------------------------------

function expectAnyBuffer(): Buffer {
  return expect.any(Buffer) as unknown as Buffer;
}
function expectObjectContaining(o: Record<string, unknown>): unknown {
  return expect.objectContaining(o);
}

export const KAFKAJS_APIS: KjsApi[] = [
  produce,
  fetch,
  listOffsets,
  metadata,
  offsetCommit,
  offsetFetch,
  findCoordinator,
  joinGroup,
  heartbeat,
  leaveGroup,
  syncGroup,
  describeGroups,
  listGroups,
  saslHandshake,
  apiVersions,
  createTopics,
  deleteTopics,
  deleteRecords,
  initProducerId,
  addPartitionsToTxn,
  addOffsetsToTxn,
  endTxn,
  txnOffsetCommit,
  describeAcls,
  createAcls,
  deleteAcls,
  describeConfigs,
  alterConfigs,
  saslAuthenticate,
  createPartitions,
  deleteGroups,
];

/** The KafkaJS request directories we have no schema for (their apis are not Gregor's). */
export const KAFKAJS_NOT_OURS: Record<string, string> = {
  alterPartitionReassignments: 'AlterPartitionReassignments (45) is not an api Gregor implements',
  listPartitionReassignments: 'ListPartitionReassignments (46) is not an api Gregor implements',
};

/** Builds the async parts (KafkaJS record batches) and returns every case. */
export async function prepareKafkaJsCases(): Promise<KjsCase[]> {
  for (const v of fetch.versions) fetchRecordsByVersion.set(v, await fetchRecordBytes(v));
  return KAFKAJS_APIS.flatMap((a) => a.versions.map((version) => ({ dir: a.dir, api: a.api, version, ...a.make(version) })));
}

/** The (api, version) pairs of the cases, without building them. */
export function kafkaJsPairs(): { api: number; version: number; dir: string }[] {
  return KAFKAJS_APIS.flatMap((a) => a.versions.map((version) => ({ api: a.api, version, dir: a.dir })));
}
