/**
 * The coordinator's records are Kafka's __consumer_offsets records, byte for byte.
 */
import { describe, expect, it } from '@jest/globals';
import {
  decodeGroupValue,
  decodeKey,
  decodeOffsetValue,
  groupMetadataKey,
  groupMetadataValue,
  offsetCommitKey,
  offsetCommitValue,
} from '../../src/coordinator/records.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('offset commit records', () => {
  it('key: type 1, group, topic, partition', () => {
    const key = offsetCommitKey('g', 'tp', 5);
    expect(hex(key)).toBe('0001' + '000167' + '00027470' + '00000005');
    expect(decodeKey(key)).toEqual({ type: 'offset', group: 'g', topic: 'tp', partition: 5 });
    // Type 0 (written by very old brokers) has the same layout.
    expect(decodeKey(Buffer.from('0000000167000274700000000' + '5', 'hex'))).toMatchObject({ type: 'offset', partition: 5 });
  });

  it('value v3: offset, leader epoch, metadata, commit timestamp', () => {
    const value = offsetCommitValue({ offset: 42n, leaderEpoch: 7, metadata: 'm', commitTimestamp: 1000, expireTimestamp: -1 });
    expect(hex(value)).toBe('0003' + '000000000000002a' + '00000007' + '00016d' + '00000000000003e8');
    expect(decodeOffsetValue(value)).toEqual({ offset: 42n, leaderEpoch: 7, metadata: 'm', commitTimestamp: 1000, expireTimestamp: -1 });
  });

  it('value v1 when the commit carried a retention time: adds the expire timestamp, no leader epoch', () => {
    const value = offsetCommitValue({ offset: 1n, leaderEpoch: 7, metadata: '', commitTimestamp: 1000, expireTimestamp: 5000 });
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
