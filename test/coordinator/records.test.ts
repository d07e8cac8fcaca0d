/**
 * The coordinator's records are Kafka's __consumer_offsets records, byte for byte.
 */
import { describe, expect, it } from '@jest/globals';
import {
  consumerGroupKey,
  decodeBatch,
  RecordBatchBuilder,
  decodeGroupValue,
  decodeKey,
  decodeOffsetValue,
  groupMetadataKey,
  groupMetadataValue,
  offsetCommitKey,
  type OffsetAndMetadata,
} from '../../src/coordinator/records.js';
import { defaultOffsetCommitValue, encodeOffsetCommitValue } from '../../src/protocol/generated/records/offset-commit.js';
import { Writer } from '../../src/protocol/writer.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** The value bytes of one offset record as RecordBatchBuilder writes them (the only writer of offset values). */
function builtOffsetValue(o: OffsetAndMetadata): Buffer {
  const batch = new RecordBatchBuilder(16).offset('g', 't', 0, o).finish();
  const keyLen = batch.readInt32BE(0);
  const valueLen = batch.readInt32BE(4 + keyLen);
  return batch.subarray(8 + keyLen, 8 + keyLen + valueLen);
}

describe('offset commit records', () => {
  it('key: type 1, group, topic, partition', () => {
    const key = offsetCommitKey('g', 'tp', 5);
    expect(hex(key)).toBe('0001' + '000167' + '00027470' + '00000005');
    expect(decodeKey(key)).toEqual({ type: 'offset', group: 'g', topic: 'tp', partition: 5 });
    // Type 0 (written by very old brokers) has the same layout.
    expect(decodeKey(Buffer.from('0000000167000274700000000' + '5', 'hex'))).toMatchObject({ type: 'offset', partition: 5 });
  });

  it('value v3: offset, leader epoch, metadata, commit timestamp', () => {
    const value = builtOffsetValue({ offset: 42n, leaderEpoch: 7, metadata: 'm', commitTimestamp: 1000, expireTimestamp: -1 });
    expect(hex(value)).toBe('0003' + '000000000000002a' + '00000007' + '00016d' + '00000000000003e8');
    expect(decodeOffsetValue(value)).toEqual({ offset: 42n, leaderEpoch: 7, metadata: 'm', commitTimestamp: 1000, expireTimestamp: -1 });
  });

  it('value v1 when the commit carried a retention time: adds the expire timestamp, no leader epoch', () => {
    const value = builtOffsetValue({ offset: 1n, leaderEpoch: 7, metadata: '', commitTimestamp: 1000, expireTimestamp: 5000 });
    expect(hex(value)).toBe('0001' + '0000000000000001' + '0000' + '00000000000003e8' + '0000000000001388');
    expect(decodeOffsetValue(value)).toEqual({ offset: 1n, leaderEpoch: -1, metadata: '', commitTimestamp: 1000, expireTimestamp: 5000 });
  });

  it('reads value v0', () => {
    const v0 = Buffer.from('0000' + '0000000000000009' + '0002' + '6869' + '00000000000003e8', 'hex');
    expect(decodeOffsetValue(v0)).toEqual({ offset: 9n, leaderEpoch: -1, metadata: 'hi', commitTimestamp: 1000, expireTimestamp: -1 });
  });
});

describe('group metadata records', () => {
  it('key: type 2, group', () => {
    expect(hex(groupMetadataKey('grp'))).toBe('0002' + '0003677270');
    expect(decodeKey(groupMetadataKey('grp'))).toEqual({ type: 'group', group: 'grp' });
  });

  it('value v3 round trip, with members, static ids and assignments', () => {
    const v = {
      protocolType: 'consumer',
      generation: 4,
      protocol: 'range',
      leader: 'm1',
      currentStateTimestamp: 1234n,
      members: [
        { memberId: 'm1', groupInstanceId: null, clientId: 'c1', clientHost: '/127.0.0.1', rebalanceTimeout: 60000, sessionTimeout: 30000, subscription: Buffer.from([0, 1]), assignment: Buffer.from([2, 3]), _unknownTaggedFields: undefined },
        { memberId: 'm2', groupInstanceId: 'i2', clientId: 'c2', clientHost: '/10.0.0.2', rebalanceTimeout: 60000, sessionTimeout: 30000, subscription: Buffer.alloc(0), assignment: Buffer.alloc(0), _unknownTaggedFields: undefined },
      ],
      _unknownTaggedFields: undefined,
    };
    const bytes = groupMetadataValue(v);
    expect(bytes.readInt16BE(0)).toBe(3);
    expect(decodeGroupValue(bytes)).toEqual(v);
  });

  it('an empty group: null protocol and leader', () => {
    const bytes = groupMetadataValue({ protocolType: '', generation: 2, protocol: null, leader: null, currentStateTimestamp: -1n, members: [], _unknownTaggedFields: undefined });
    expect(hex(bytes)).toBe('0003' + '0000' + '00000002' + 'ffff' + 'ffff' + 'ffffffffffffffff' + '00000000');
  });
});

describe('consumer group (KIP-848) records', () => {
  it("keys have Kafka's layout: type 3/6 with the group, 5/7/8 with the group and member id", () => {
    expect(hex(consumerGroupKey({ type: 'cg-epoch', group: 'g', value: null }))).toBe('0003' + '000167');
    expect(hex(consumerGroupKey({ type: 'cg-target-epoch', group: 'g', value: null }))).toBe('0006' + '000167');
    expect(hex(consumerGroupKey({ type: 'cg-member', group: 'g', memberId: 'm', value: null }))).toBe('0005' + '000167' + '00016d');
    expect(hex(consumerGroupKey({ type: 'cg-target-member', group: 'g', memberId: 'm', value: null }))).toBe('0007' + '000167' + '00016d');
    expect(hex(consumerGroupKey({ type: 'cg-current', group: 'g', memberId: 'm', value: null }))).toBe('0008' + '000167' + '00016d');
    expect(decodeKey(consumerGroupKey({ type: 'cg-current', group: 'g', memberId: 'm', value: null }))).toEqual({ type: 'cg-current', group: 'g', memberId: 'm' });
  });

  it('values (version 0, msgpack) and tombstones round trip through a batch', () => {
    const b = new RecordBatchBuilder(16);
    b.consumerGroup({ type: 'cg-epoch', group: 'g', value: { epoch: 3, metadataHash: 'abc' } });
    b.consumerGroup({
      type: 'cg-member',
      group: 'g',
      memberId: 'm',
      value: { instanceId: 'i', rackId: null, clientId: 'c', clientHost: '/h', subscribedTopicNames: ['t'], subscribedTopicRegex: null, serverAssignor: 'range', rebalanceTimeoutMs: 1000 },
    });
    b.consumerGroup({ type: 'cg-target-member', group: 'g', memberId: 'm', value: { topicPartitions: [{ topicId: 'id', partitions: [0, 2] }] } });
    b.consumerGroup({ type: 'cg-current', group: 'g', memberId: 'm', value: { memberEpoch: 3, previousMemberEpoch: 2, state: 'stable', assignedPartitions: [], partitionsPendingRevocation: [] } });
    b.consumerGroup({ type: 'cg-target-epoch', group: 'g', value: null });
    expect(decodeBatch(b.finish())).toEqual(b.records);
  });
});

describe('decodeBatch (the load path)', () => {
  it('reads offsets of alternating groups and topics, tombstones, v1 and v3 values, and other records between them', () => {
    const o = (offset: bigint, expireTimestamp = -1) => ({ offset, leaderEpoch: expireTimestamp >= 0 ? -1 : 3, metadata: offset === 2n ? 'meta' : '', commitTimestamp: 1_700_000_000_123, expireTimestamp });
    const b = new RecordBatchBuilder(16);
    b.offset('g1', 't', 0, o(1n));
    b.offset('g1', 't', 1, o(2n));
    b.offset('g2', 't', 0, o(3n, 1_800_000_000_000));
    b.group('g2', null);
    b.offset('g2', 't', 1, null);
    b.offset('g1', 'u', 0, o(9007199254740993n));
    b.offset('g1', 't', 2, o(4n));
    expect(decodeBatch(b.finish())).toEqual(b.records);
  });

  it('reads value versions it does not write (v0) through the generated decoder', () => {
    const key = offsetCommitKey('g', 't', 0);
    const v0 = Buffer.from('0000' + '0000000000000009' + '0002' + '6869' + '00000000000003e8', 'hex');
    const entry = Buffer.alloc(8 + key.length + v0.length);
    entry.writeInt32BE(key.length, 0);
    key.copy(entry, 4);
    entry.writeInt32BE(v0.length, 4 + key.length);
    v0.copy(entry, 8 + key.length);
    expect(decodeBatch(entry)).toEqual([{ type: 'offset', group: 'g', topic: 't', partition: 0, value: { offset: 9n, leaderEpoch: -1, metadata: 'hi', commitTimestamp: 1000, expireTimestamp: -1 } }]);
  });
});

describe('RecordBatchBuilder', () => {
  it("writes each offset record as Kafka's key and value bytes (v3, and v1 with an expire timestamp; tombstones)", () => {
    const a = { offset: 42n, leaderEpoch: 7, metadata: 'm€', commitTimestamp: 1_700_000_000_123, expireTimestamp: -1 };
    const b1 = { offset: -1n, leaderEpoch: -1, metadata: '', commitTimestamp: 5, expireTimestamp: 1_800_000_000_000 };
    const b = new RecordBatchBuilder(8);
    b.offset('grp', 'topic', 3, a).offset('grp', 'topic', 4, b1).offset('grp', 'other', 0, null);
    const entry = (k: Buffer, v: Buffer | null) => {
      const head = Buffer.alloc(4);
      head.writeInt32BE(k.length);
      const vlen = Buffer.alloc(4);
      vlen.writeInt32BE(v ? v.length : -1);
      return Buffer.concat([head, k, vlen, ...(v ? [v] : [])]);
    };
    // The expected values come from the generated encoder, independent of the builder's inline writes.
    const value = (o: OffsetAndMetadata) => {
      const version = o.expireTimestamp >= 0 ? 1 : 3;
      const w = new Writer(64, false);
      w.int16(version);
      encodeOffsetCommitValue(w, version, {
        ...defaultOffsetCommitValue(),
        offset: o.offset,
        leaderEpoch: o.leaderEpoch,
        metadata: o.metadata,
        commitTimestamp: BigInt(o.commitTimestamp),
        expireTimestamp: BigInt(o.expireTimestamp),
      });
      return w.toBuffer();
    };
    expect(hex(b.finish())).toBe(hex(Buffer.concat([entry(offsetCommitKey('grp', 'topic', 3), value(a)), entry(offsetCommitKey('grp', 'topic', 4), value(b1)), entry(offsetCommitKey('grp', 'other', 0), null)])));
    expect(b.count).toBe(3);
  });
});
