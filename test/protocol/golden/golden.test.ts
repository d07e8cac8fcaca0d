/**
 * Golden bytes: requests exactly as KafkaJS 2.2.4 and @platformatic/kafka 1.35 write them to the
 * socket, and flexible responses with tagged fields assembled byte by byte from Kafka's message
 * definitions (fixtures/*.json; each records who produced it and how; regenerate with
 * `npx tsx test/protocol/golden/capture-fixtures.ts`). Each fixture must decode to its key values
 * and encode back to the identical bytes. Unlike the cross-check tests these need no library at test
 * time: they pin the bytes.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../../../src/protocol/codec.js';
import type { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { RecordBatchView } from '../../../src/protocol/records/record-batch.js';
import type { Fixture } from './capture-fixtures.js';

const dir = join(new URL('.', import.meta.url).pathname, 'fixtures');
type Any = any;

function load(name: string): Fixture {
  return JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as Fixture;
}

/** The records of a v2 record batch as plain strings. */
function records(buf: Buffer): { key: string | null; value: string | null; headers: Record<string, string> }[] {
  const view = RecordBatchView.at(buf);
  expect(view.sizeInBytes).toBe(buf.length);
  expect(view.verifyCrc()).toBe(true);
  return view.readRecords().map((r) => ({
    key: r.key === null ? null : r.key.toString(),
    value: r.value === null ? null : r.value.toString(),
    headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value === null ? '' : h.value.toString()])),
  }));
}

/** Decodes a request fixture, checks its header, re-encodes it to the same bytes, returns the body. */
function request(f: Fixture, correlationId: number, clientId: string, headerVersion: 1 | 2): Any {
  const bytes = Buffer.from(f.hex, 'hex');
  expect(bytes.readInt32BE(0)).toBe(bytes.length - 4);
  const d = decodeRequest(bytes.subarray(4));
  expect([d.apiKey, d.apiVersion, d.correlationId, d.clientId]).toEqual([f.apiKey, f.apiVersion, correlationId, clientId]);
  // Header v2 ends with a tag section (here empty: 0x00) after the client id; v1 ends with the client id.
  if (headerVersion === 2) expect(bytes[4 + 8 + 2 + Buffer.byteLength(clientId)]).toBe(0);
  expect(d.headerTaggedFields).toBeUndefined();
  const again = encodeRequest(
    { apiKey: d.apiKey, apiVersion: d.apiVersion, correlationId: d.correlationId, clientId: d.clientId, headerTaggedFields: d.headerTaggedFields },
    d.body as never,
  );
  expect(again.toString('hex')).toBe(f.hex);
  return d.body;
}

/** Decodes a response fixture, re-encodes it to the same bytes, returns the body. */
function response(f: Fixture, correlationId: number): Any {
  const bytes = Buffer.from(f.hex, 'hex');
  expect(bytes.readInt32BE(0)).toBe(bytes.length - 4);
  if (f.segments) expect(f.segments.map(([h]) => h).join('')).toBe(f.hex);
  const d = decodeResponse(bytes.subarray(4), f.apiKey as ApiKey, f.apiVersion);
  expect(d.correlationId).toBe(correlationId);
  const again = encodeResponse({ correlationId: d.correlationId, headerTaggedFields: d.headerTaggedFields }, f.apiKey as ApiKey, f.apiVersion, d.body as never);
  expect(again.toString('hex')).toBe(f.hex);
  return d.body;
}

describe('golden bytes', () => {
  it('every fixture is checked below', () => {
    const names = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort();
    expect(names).toEqual(
      [
        'api-versions-v0-request-kafkajs',
        'api-versions-v3-request-platformatic',
        'api-versions-v3-response-tagged',
        'fetch-v12-request-platformatic',
        'fetch-v4-request-kafkajs',
        'join-group-v5-request-kafkajs',
        'metadata-v1-request-kafkajs',
        'metadata-v9-request-platformatic',
        'produce-v10-response-tagged',
        'produce-v3-request-kafkajs',
        'produce-v9-request-platformatic',
      ].sort(),
    );
  });

  describe('KafkaJS 2.2.4 requests (request header v1)', () => {
    it('ApiVersions v0', () => {
      const f = load('api-versions-v0-request-kafkajs');
      expect(f.producedBy).toMatchObject({ library: 'kafkajs', version: '2.2.4' });
      const body = request(f, 1, 'gregor-golden', 1);
      expect(f.hex.length / 2).toBe(4 + 8 + 2 + 'gregor-golden'.length); // an empty body
      expect(body._unknownTaggedFields).toBeUndefined();
    });

    it('Metadata v1', () => {
      const body = request(load('metadata-v1-request-kafkajs'), 2, 'gregor-golden', 1);
      expect(body.topics.map((t: Any) => t.name)).toEqual(['orders', 'payments']);
    });

    it('Produce v3', () => {
      const body = request(load('produce-v3-request-kafkajs'), 3, 'gregor-golden', 1);
      expect(body).toMatchObject({ transactionalId: 'tx-orders', acks: -1, timeoutMs: 30000 });
      expect(body.topicData).toHaveLength(1);
      expect(body.topicData[0].name).toBe('orders');
      const p = body.topicData[0].partitionData[0];
      expect(p.index).toBe(0);
      const view = RecordBatchView.at(p.records);
      expect([view.producerId, view.producerEpoch, view.isTransactional, view.recordCount]).toEqual([4000000001n, 3, true, 2]);
      expect(view.baseTimestamp).toBe(1_700_000_000_000n);
      expect(records(p.records)).toEqual([
        { key: 'order-1', value: '{"total":12.5}', headers: { 'trace-id': 'abc' } },
        { key: null, value: 'no key', headers: {} },
      ]);
    });

    it('Fetch v4', () => {
      const body = request(load('fetch-v4-request-kafkajs'), 4, 'gregor-golden', 1);
      expect(body).toMatchObject({ replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 10485760, isolationLevel: 1 });
      expect(body.topics.map((t: Any) => [t.topic, t.partitions.map((p: Any) => [p.partition, p.fetchOffset, p.partitionMaxBytes])])).toEqual([
        ['orders', [[0, 42n, 1048576]]],
        ['payments', [[2, 0n, 1048576]]],
      ]);
    });

    it('JoinGroup v5', () => {
      const body = request(load('join-group-v5-request-kafkajs'), 5, 'gregor-golden', 1);
      expect(body).toMatchObject({
        groupId: 'group-a',
        sessionTimeoutMs: 30000,
        rebalanceTimeoutMs: 60000,
        memberId: '',
        groupInstanceId: 'instance-7',
        protocolType: 'consumer',
      });
      expect(body.protocols).toHaveLength(1);
      expect(body.protocols[0].name).toBe('RoundRobinAssigner');
      // KafkaJS MemberMetadata: int16 version, [string] topics, bytes userData.
      const m: Buffer = body.protocols[0].metadata;
      expect(m.readInt16BE(0)).toBe(1);
      expect(m.readInt32BE(2)).toBe(2);
      expect(m.subarray(8, 14).toString()).toBe('orders');
    });
  });

  describe('@platformatic/kafka 1.35 requests', () => {
    it('ApiVersions v3 (flexible body, request header v2)', () => {
      const f = load('api-versions-v3-request-platformatic');
      expect(f.producedBy).toMatchObject({ library: '@platformatic/kafka' });
      const body = request(f, 1, 'gregor-golden', 2);
      expect(body).toMatchObject({ clientSoftwareName: '@platformatic/kafka', clientSoftwareVersion: f.producedBy.version });
    });

    it('Metadata v9', () => {
      const body = request(load('metadata-v9-request-platformatic'), 2, 'gregor-golden', 2);
      expect(body.topics.map((t: Any) => t.name)).toEqual(['orders', 'payments']);
      expect(body).toMatchObject({ allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    });

    it('Produce v9', () => {
      const body = request(load('produce-v9-request-platformatic'), 3, 'gregor-golden', 2);
      expect(body).toMatchObject({ transactionalId: null, acks: -1, timeoutMs: 30000 });
      expect(body.topicData).toHaveLength(1);
      const parts = body.topicData[0].partitionData;
      expect(parts.map((p: Any) => p.index)).toEqual([0, 1]);
      expect(RecordBatchView.at(parts[0].records).producerId).toBe(4000000001n);
      expect(records(parts[0].records)).toEqual([{ key: 'order-1', value: '{"total":12.5}', headers: { 'trace-id': 'abc' } }]);
      expect(records(parts[1].records)).toEqual([{ key: null, value: 'no key', headers: {} }]);
    });

    it('Fetch v12 (flexible)', () => {
      const body = request(load('fetch-v12-request-platformatic'), 4, 'gregor-golden', 2);
      expect(body).toMatchObject({
        clusterId: null,
        replicaId: -1,
        maxWaitMs: 500,
        minBytes: 1,
        maxBytes: 10485760,
        isolationLevel: 1,
        sessionId: 0,
        sessionEpoch: -1,
        forgottenTopicsData: [],
        rackId: 'rack-a',
      });
      expect(body.topics).toHaveLength(1);
      expect(body.topics[0].topic).toBe('orders');
      expect(body.topics[0].partitions[0]).toMatchObject({
        partition: 0,
        currentLeaderEpoch: 9,
        fetchOffset: 42n,
        lastFetchedEpoch: -1,
        logStartOffset: -1n,
        partitionMaxBytes: 1048576,
      });
    });
  });

  describe('hand-assembled flexible responses with tagged fields', () => {
    it('ApiVersions v3: four top-level tagged fields, response header v0', () => {
      const body = response(load('api-versions-v3-response-tagged'), 7);
      expect(body.errorCode).toBe(0);
      expect(body.apiKeys.map((k: Any) => [k.apiKey, k.minVersion, k.maxVersion])).toEqual([
        [0, 0, 13],
        [1, 4, 18],
        [18, 0, 4],
      ]);
      expect(body.throttleTimeMs).toBe(250);
      expect(body.supportedFeatures).toMatchObject([{ name: 'metadata.version', minVersion: 1, maxVersion: 25 }]);
      expect(body.finalizedFeaturesEpoch).toBe(42n);
      expect(body.finalizedFeatures).toMatchObject([{ name: 'metadata.version', maxVersionLevel: 25, minVersionLevel: 25 }]);
      expect(body.zkMigrationReady).toBe(true);
      expect(body._unknownTaggedFields).toBeUndefined();
    });

    it('Produce v10: a nested tagged struct and a top-level tagged array', () => {
      const body = response(load('produce-v10-response-tagged'), 8);
      const [p0, p1] = body.responses[0].partitionResponses;
      expect(body.responses[0].name).toBe('orders');
      expect(p0).toMatchObject({ index: 0, errorCode: 6, baseOffset: -1n, recordErrors: [], errorMessage: null, currentLeader: { leaderId: 2, leaderEpoch: 7 } });
      expect(p0._unknownTaggedFields).toBeUndefined();
      expect(p1).toMatchObject({ index: 1, errorCode: 0, baseOffset: 42n, logStartOffset: 0n, currentLeader: { leaderId: -1, leaderEpoch: -1 } });
      expect(body.throttleTimeMs).toBe(0);
      expect(body.nodeEndpoints).toMatchObject([{ nodeId: 2, host: 'broker-2.gregor.local', port: 9093, rack: 'rack-b' }]);
      expect(body._unknownTaggedFields).toBeUndefined();
    });
  });
});
