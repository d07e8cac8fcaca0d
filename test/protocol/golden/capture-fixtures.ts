/**
 * Writes test/protocol/golden/fixtures/*.json: requests as the exact bytes KafkaJS and
 * @platformatic/kafka put on the socket, and flexible responses with tagged fields assembled byte by
 * byte from Kafka's message definitions (no client library encodes responses). Our codec is not
 * used to produce any fixture byte (the platformatic capture answers its requests with our encoder,
 * but only the request bytes are kept).
 *
 * Run from the repository root:  npx tsx test/protocol/golden/capture-fixtures.ts
 * The fixtures are committed; golden.test.ts only reads them.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as plt from '@platformatic/kafka';
import { encodeResponse } from '../../../src/protocol/codec.js';
import { PlatformaticHarness, type PltApi } from '../cross-check/platformatic-harness.js';

const here = new URL('.', import.meta.url).pathname;
const root = join(here, '..', '..', '..');
const fixtures = join(here, 'fixtures');
const require = createRequire(import.meta.url);

const version = (pkg: string): string =>
  (JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;

export interface Fixture {
  name: string;
  description: string;
  kind: 'request' | 'response';
  apiKey: number;
  apiVersion: number;
  producedBy: { library: string; version: string; how: string };
  /** The whole frame, 4-byte size prefix included, in hex. */
  hex: string;
  /** Hand-assembled fixtures: the bytes in order with what they are (hex concatenation = hex). */
  segments?: [string, string][];
}

function save(f: Fixture): void {
  mkdirSync(fixtures, { recursive: true });
  writeFileSync(join(fixtures, `${f.name}.json`), `${JSON.stringify(f, null, 2)}\n`);
  console.log(`${f.name}: ${f.hex.length / 2} bytes`);
}

const T0 = 1_700_000_000_000;
const CLIENT_ID = 'gregor-golden';

// ------------------------------------------------------------------------------------------------
// KafkaJS: v<N>/request.js framed by src/protocol/request.js, as network/connection.js writes it.

const kjsFrame = require('kafkajs/src/protocol/request') as (o: any) => Promise<{ buffer: Buffer }>;
const { MemberMetadata } = require('kafkajs/src/consumer/assignerProtocol');

async function kafkajs(name: string, description: string, dir: string, v: number, correlationId: number, args: unknown): Promise<void> {
  const request = (require(`kafkajs/src/protocol/requests/${dir}/v${v}/request.js`) as (a: unknown) => any)(args);
  const bytes = Buffer.from((await kjsFrame({ request, correlationId, clientId: CLIENT_ID })).buffer);
  save({
    name,
    description,
    kind: 'request',
    apiKey: request.apiKey,
    apiVersion: request.apiVersion,
    producedBy: {
      library: 'kafkajs',
      version: version('kafkajs'),
      how: `src/protocol/requests/${dir}/v${v}/request.js framed by src/protocol/request.js (correlation id ${correlationId}, client id ${CLIENT_ID})`,
    },
    hex: bytes.toString('hex'),
  });
}

// ------------------------------------------------------------------------------------------------
// @platformatic/kafka: its Connection writing to a local server (see platformatic-harness.ts).

async function platformatic(
  harness: PlatformaticHarness,
  name: string,
  description: string,
  exportName: string,
  args: unknown[],
): Promise<void> {
  const mod = (plt as unknown as Record<string, { api: PltApi }>)[exportName];
  const api = mod.api;
  // The answer only lets the call complete; a minimal body of the right version.
  const { bytes } = await harness.call(api, args, (correlationId) =>
    encodeResponse({ correlationId }, api.key as never, api.version, minimalResponse(api.key) as never),
  );
  save({
    name,
    description,
    kind: 'request',
    apiKey: api.key,
    apiVersion: api.version,
    producedBy: {
      library: '@platformatic/kafka',
      version: version('@platformatic/kafka'),
      how: `dist/apis/.../${exportName} createRequest, sent by dist/network/connection.js Connection.send to a local socket (client id ${CLIENT_ID})`,
    },
    hex: bytes.toString('hex'),
  });
}

function minimalResponse(apiKey: number): Record<string, unknown> {
  switch (apiKey) {
    case 0:
      return { responses: [], throttleTimeMs: 0, nodeEndpoints: [], _unknownTaggedFields: undefined };
    case 1:
      return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses: [], nodeEndpoints: [], _unknownTaggedFields: undefined };
    case 3:
      return { throttleTimeMs: 0, brokers: [], clusterId: null, controllerId: -1, topics: [], clusterAuthorizedOperations: 0, errorCode: 0, _unknownTaggedFields: undefined };
    case 18:
      return {
        errorCode: 0,
        apiKeys: [],
        throttleTimeMs: 0,
        supportedFeatures: [],
        finalizedFeaturesEpoch: -1n,
        finalizedFeatures: [],
        zkMigrationReady: false,
        _unknownTaggedFields: undefined,
      };
    default:
      throw new Error(`no minimal response for api ${apiKey}`);
  }
}

// ------------------------------------------------------------------------------------------------
// Hand-assembled responses: every byte written here from Kafka's JSON message definitions.

const seg = {
  i8: (v: number) => { const b = Buffer.alloc(1); b.writeInt8(v); return b.toString('hex'); },
  i16: (v: number) => { const b = Buffer.alloc(2); b.writeInt16BE(v); return b.toString('hex'); },
  i32: (v: number) => { const b = Buffer.alloc(4); b.writeInt32BE(v); return b.toString('hex'); },
  i64: (v: bigint) => { const b = Buffer.alloc(8); b.writeBigInt64BE(v); return b.toString('hex'); },
  uvarint: (v: number) => {
    const out: number[] = [];
    while (v >= 0x80) { out.push((v & 0x7f) | 0x80); v >>>= 7; }
    out.push(v);
    return Buffer.from(out).toString('hex');
  },
  /** COMPACT_STRING: uvarint(length + 1), then UTF-8 bytes. */
  compactString: (s: string) => seg.uvarint(Buffer.byteLength(s) + 1) + Buffer.from(s).toString('hex'),
};

function assemble(name: string, description: string, apiKey: number, apiVersion: number, from: string, body: [string, string][]): void {
  const size = body.reduce((n, [hex]) => n + hex.length / 2, 0);
  const segments: [string, string][] = [[seg.i32(size), `size: ${size}`], ...body];
  save({
    name,
    description,
    kind: 'response',
    apiKey,
    apiVersion,
    producedBy: { library: 'hand-assembled', version: '-', how: `byte by byte from Kafka's ${from} (capture-fixtures.ts)` },
    hex: segments.map(([h]) => h).join(''),
    segments,
  });
}

function apiVersionsV3Response(): void {
  const feature = 'metadata.version';
  const supported = seg.uvarint(2) + seg.compactString(feature) + seg.i16(1) + seg.i16(25) + seg.uvarint(0);
  const finalized = seg.uvarint(2) + seg.compactString(feature) + seg.i16(25) + seg.i16(25) + seg.uvarint(0);
  const epoch = seg.i64(42n);
  const zk = seg.i8(1);
  assemble(
    'api-versions-v3-response-tagged',
    'ApiVersions v3 response with all four top-level tagged fields (response header v0, as Kafka always uses for ApiVersions)',
    18,
    3,
    'ApiVersionsResponse.json',
    [
      [seg.i32(7), 'correlation id 7 (header v0: no tag section)'],
      [seg.i16(0), 'errorCode 0'],
      [seg.uvarint(4), 'apiKeys: compact array of 3'],
      [seg.i16(0) + seg.i16(0) + seg.i16(13) + seg.uvarint(0), 'apiKey 0 (Produce) 0-13, no tags'],
      [seg.i16(1) + seg.i16(4) + seg.i16(18) + seg.uvarint(0), 'apiKey 1 (Fetch) 4-18, no tags'],
      [seg.i16(18) + seg.i16(0) + seg.i16(4) + seg.uvarint(0), 'apiKey 18 (ApiVersions) 0-4, no tags'],
      [seg.i32(250), 'throttleTimeMs 250'],
      [seg.uvarint(4), 'tagged fields: 4'],
      [seg.uvarint(0) + seg.uvarint(supported.length / 2), `tag 0 supportedFeatures, ${supported.length / 2} bytes`],
      [supported, `[{ name "${feature}", minVersion 1, maxVersion 25 }]`],
      [seg.uvarint(1) + seg.uvarint(epoch.length / 2), 'tag 1 finalizedFeaturesEpoch, 8 bytes'],
      [epoch, 'finalizedFeaturesEpoch 42'],
      [seg.uvarint(2) + seg.uvarint(finalized.length / 2), `tag 2 finalizedFeatures, ${finalized.length / 2} bytes`],
      [finalized, `[{ name "${feature}", maxVersionLevel 25, minVersionLevel 25 }]`],
      [seg.uvarint(3) + seg.uvarint(1), 'tag 3 zkMigrationReady, 1 byte'],
      [zk, 'zkMigrationReady true'],
    ],
  );
}

function produceV10Response(): void {
  // LeaderIdAndEpoch is a struct: in a flexible version it ends with its own tag section.
  const leader = seg.i32(2) + seg.i32(7) + seg.uvarint(0);
  const endpoints =
    seg.uvarint(2) + seg.i32(2) + seg.compactString('broker-2.gregor.local') + seg.i32(9093) + seg.compactString('rack-b') + seg.uvarint(0);
  assemble(
    'produce-v10-response-tagged',
    'Produce v10 response: a partition-level tagged currentLeader (NOT_LEADER_OR_FOLLOWER) and the top-level tagged nodeEndpoints',
    0,
    10,
    'ProduceResponse.json',
    [
      [seg.i32(8), 'correlation id 8'],
      [seg.uvarint(0), 'response header v1: no tagged fields'],
      [seg.uvarint(2), 'responses: compact array of 1'],
      [seg.compactString('orders'), 'name "orders"'],
      [seg.uvarint(3), 'partitionResponses: compact array of 2'],
      [seg.i32(0) + seg.i16(6), 'index 0, errorCode 6 NOT_LEADER_OR_FOLLOWER'],
      [seg.i64(-1n) + seg.i64(-1n) + seg.i64(-1n), 'baseOffset -1, logAppendTimeMs -1, logStartOffset -1'],
      [seg.uvarint(1) + seg.uvarint(0), 'recordErrors: empty, errorMessage: null'],
      [seg.uvarint(1), 'tagged fields: 1'],
      [seg.uvarint(0) + seg.uvarint(leader.length / 2), `tag 0 currentLeader, ${leader.length / 2} bytes`],
      [leader, 'leaderId 2, leaderEpoch 7, then the struct\'s own (empty) tag section'],
      [seg.i32(1) + seg.i16(0), 'index 1, errorCode 0'],
      [seg.i64(42n) + seg.i64(-1n) + seg.i64(0n), 'baseOffset 42, logAppendTimeMs -1, logStartOffset 0'],
      [seg.uvarint(1) + seg.uvarint(0), 'recordErrors: empty, errorMessage: null'],
      [seg.uvarint(0), 'partition: no tagged fields'],
      [seg.uvarint(0), 'topic: no tagged fields'],
      [seg.i32(0), 'throttleTimeMs 0'],
      [seg.uvarint(1), 'tagged fields: 1'],
      [seg.uvarint(0) + seg.uvarint(endpoints.length / 2), `tag 0 nodeEndpoints, ${endpoints.length / 2} bytes`],
      [endpoints, '[{ nodeId 2, host "broker-2.gregor.local", port 9093, rack "rack-b" }], element with no tagged fields'],
    ],
  );
}

// ------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  await kafkajs('api-versions-v0-request-kafkajs', 'ApiVersions v0 request: the first thing KafkaJS sends on a connection', 'apiVersions', 0, 1, undefined);
  await kafkajs('metadata-v1-request-kafkajs', 'Metadata v1 request for two topics', 'metadata', 1, 2, { topics: ['orders', 'payments'] });
  await kafkajs('produce-v3-request-kafkajs', 'Produce v3 request: a transactional record batch (v2 format) with a header and a null key', 'produce', 3, 3, {
    acks: -1,
    timeout: 30000,
    transactionalId: 'tx-orders',
    producerId: '4000000001',
    producerEpoch: 3,
    compression: 0,
    topicData: [
      {
        topic: 'orders',
        partitions: [
          {
            partition: 0,
            messages: [
              { key: 'order-1', value: '{"total":12.5}', timestamp: T0, headers: { 'trace-id': 'abc' } },
              { key: null, value: 'no key', timestamp: T0 + 7 },
            ],
          },
        ],
      },
    ],
  });
  await kafkajs('fetch-v4-request-kafkajs', 'Fetch v4 request: read committed, two topics', 'fetch', 4, 4, {
    replicaId: -1,
    maxWaitTime: 500,
    minBytes: 1,
    maxBytes: 10485760,
    isolationLevel: 1,
    topics: [
      { topic: 'orders', partitions: [{ partition: 0, fetchOffset: '42', maxBytes: 1048576 }] },
      { topic: 'payments', partitions: [{ partition: 2, fetchOffset: '0', maxBytes: 1048576 }] },
    ],
  });
  await kafkajs('join-group-v5-request-kafkajs', 'JoinGroup v5 request: a static member joining with KafkaJS consumer metadata', 'joinGroup', 5, 5, {
    groupId: 'group-a',
    sessionTimeout: 30000,
    rebalanceTimeout: 60000,
    memberId: '',
    groupInstanceId: 'instance-7',
    protocolType: 'consumer',
    groupProtocols: [{ name: 'RoundRobinAssigner', metadata: MemberMetadata.encode({ version: 1, topics: ['orders', 'payments'] }) }],
  });

  const harness = new PlatformaticHarness(CLIENT_ID);
  await harness.start();
  try {
    await platformatic(harness, 'api-versions-v3-request-platformatic', 'ApiVersions v3 request (flexible, request header v2)', 'apiVersionsV3', [
      '@platformatic/kafka',
      version('@platformatic/kafka'),
    ]);
    await platformatic(harness, 'metadata-v9-request-platformatic', 'Metadata v9 request for two topics, auto-creation allowed', 'metadataV9', [
      ['orders', 'payments'],
      true,
      false,
    ]);
    await platformatic(harness, 'produce-v9-request-platformatic', 'Produce v9 request: an idempotent record batch with headers, two partitions', 'produceV9', [
      -1,
      30000,
      [
        {
          topic: 'orders',
          partition: 0,
          key: Buffer.from('order-1'),
          value: Buffer.from('{"total":12.5}'),
          headers: new Map([[Buffer.from('trace-id'), Buffer.from('abc')]]),
          timestamp: BigInt(T0),
        },
        { topic: 'orders', partition: 1, key: null, value: Buffer.from('no key'), timestamp: BigInt(T0 + 7) },
      ],
      { producerId: 4000000001n, producerEpoch: 0 },
    ]);
    await platformatic(harness, 'fetch-v12-request-platformatic', 'Fetch v12 request (flexible): one topic, with rack id', 'fetchV12', [
      500,
      1,
      10485760,
      1,
      0,
      -1,
      [{ topicId: 'orders', partitions: [{ partition: 0, currentLeaderEpoch: 9, fetchOffset: 42n, lastFetchedEpoch: -1, partitionMaxBytes: 1048576 }] }],
      [],
      'rack-a',
    ]);
  } finally {
    await harness.stop();
  }

  apiVersionsV3Response();
  produceV10Response();
}

await main();
