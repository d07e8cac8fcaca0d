/**
 * The broker config definitions: Kafka's types, defaults and importance, the update mode of each
 * key, Gregor's departures from Kafka's defaults, and Kafka's broker synonym families.
 */
import { describe, expect, it } from '@jest/globals';
import { BROKER_CONFIG_DEFINITIONS, brokerConfigDefinition, brokerSynonymNames } from '../../src/config/broker-config-defs.js';

describe('definitions', () => {
  it('have unique names, valid defaults and Kafka-documented update modes', () => {
    const names = BROKER_CONFIG_DEFINITIONS.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    expect(brokerConfigDefinition('listeners')?.dynamic).toBe('per-broker');
    expect(brokerConfigDefinition('advertised.listeners')?.dynamic).toBe('per-broker');
    expect(brokerConfigDefinition('listener.security.protocol.map')?.dynamic).toBe('per-broker');
    expect(brokerConfigDefinition('log.retention.ms')?.dynamic).toBe('cluster-wide');
    expect(brokerConfigDefinition('message.max.bytes')?.dynamic).toBe('cluster-wide');
    expect(brokerConfigDefinition('log.segment.bytes')?.dynamic).toBe('cluster-wide');
    expect(brokerConfigDefinition('producer.id.expiration.ms')?.dynamic).toBe('cluster-wide');
    expect(brokerConfigDefinition('log.retention.hours')?.dynamic).toBe('read-only');
    expect(brokerConfigDefinition('log.dirs')?.dynamic).toBe('read-only');
    expect(brokerConfigDefinition('num.partitions')?.dynamic).toBe('read-only');
    expect(brokerConfigDefinition('log.message.format.version')?.dynamic).toBe('read-only');
  });

  it('carry Kafka types, defaults and importance', () => {
    const expected: [string, string, string | null, string][] = [
      ['message.max.bytes', 'int', '1048588', 'high'],
      ['replica.fetch.max.bytes', 'int', '1048576', 'medium'],
      ['num.partitions', 'int', '1', 'medium'],
      ['default.replication.factor', 'int', '1', 'medium'],
      ['auto.create.topics.enable', 'boolean', 'true', 'high'],
      ['log.retention.hours', 'int', '168', 'high'],
      ['log.retention.minutes', 'int', null, 'high'],
      ['log.retention.ms', 'long', null, 'high'],
      ['log.retention.bytes', 'long', '-1', 'high'],
      ['log.segment.bytes', 'int', '1073741824', 'high'],
      ['log.roll.ms', 'long', null, 'high'],
      ['log.roll.hours', 'int', '168', 'high'],
      ['log.retention.check.interval.ms', 'long', '300000', 'medium'],
      ['log.index.interval.bytes', 'int', '4096', 'medium'],
      ['log.index.size.max.bytes', 'int', '10485760', 'medium'],
      ['log.flush.interval.messages', 'long', '9223372036854775807', 'high'],
      ['log.flush.interval.ms', 'long', null, 'high'],
      ['log.cleanup.policy', 'list', 'delete', 'medium'],
      ['log.message.timestamp.type', 'string', 'CreateTime', 'medium'],
      ['log.message.timestamp.before.max.ms', 'long', '9223372036854775807', 'medium'],
      ['log.message.timestamp.after.max.ms', 'long', '9223372036854775807', 'medium'],
      ['log.message.timestamp.difference.max.ms', 'long', '9223372036854775807', 'medium'],
      ['compression.type', 'string', 'producer', 'high'],
      ['min.insync.replicas', 'int', '1', 'high'],
      ['socket.request.max.bytes', 'int', '104857600', 'high'],
      ['socket.send.buffer.bytes', 'int', '102400', 'high'],
      ['socket.receive.buffer.bytes', 'int', '102400', 'high'],
      ['offsets.topic.num.partitions', 'int', '50', 'high'],
      ['offsets.topic.replication.factor', 'short', '3', 'high'],
      ['offsets.retention.minutes', 'int', '10080', 'high'],
      ['offsets.retention.check.interval.ms', 'long', '600000', 'high'],
      ['group.initial.rebalance.delay.ms', 'int', '3000', 'medium'],
      ['group.min.session.timeout.ms', 'int', '6000', 'medium'],
      ['group.max.session.timeout.ms', 'int', '1800000', 'medium'],
      ['group.max.size', 'int', '2147483647', 'medium'],
      ['transaction.state.log.replication.factor', 'short', '3', 'high'],
      ['transaction.state.log.min.isr', 'int', '2', 'high'],
      ['transactional.id.expiration.ms', 'int', '604800000', 'high'],
      ['producer.id.expiration.ms', 'int', '86400000', 'low'],
      ['delete.topic.enable', 'boolean', 'true', 'high'],
      ['log.segment.delete.delay.ms', 'long', '60000', 'high'],
      ['listeners', 'string', 'PLAINTEXT://:9092', 'high'],
      ['advertised.listeners', 'string', null, 'high'],
      ['listener.security.protocol.map', 'string', 'SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT', 'low'],
      ['process.roles', 'list', '', 'high'],
      ['log.dirs', 'string', null, 'high'],
      ['log.cleaner.io.max.bytes.per.second', 'double', '1.7976931348623157E308', 'medium'],
      ['log.cleaner.min.cleanable.ratio', 'double', '0.5', 'medium'],
    ];
    for (const [name, type, dflt, importance] of expected) {
      const d = brokerConfigDefinition(name);
      expect({ name, type: d?.type, default: d?.default, importance: d?.importance }).toEqual({ name, type, default: dflt, importance });
    }
  });

  it('note where Gregor departs from Kafka\'s default', () => {
    expect(brokerConfigDefinition('node.id')).toMatchObject({ default: '1', kafkaDefault: '-1' });
    expect(brokerConfigDefinition('log.dir')).toMatchObject({ default: './data', kafkaDefault: '/tmp/kafka-logs' });
    expect(brokerConfigDefinition('cluster.id')).toMatchObject({ internal: true, default: null });
    expect(brokerConfigDefinition('queued.max.request.bytes')).toMatchObject({ type: 'long', default: '268435456', kafkaDefault: '-1' });
    expect(brokerConfigDefinition('socket.request.receive.timeout.ms')).toMatchObject({ internal: true, default: '30000' });
  });
});

describe('synonym families', () => {
  it('lists synonym families as Kafka does', () => {
    expect(brokerSynonymNames('log.retention.hours')).toEqual(['log.retention.ms', 'log.retention.minutes', 'log.retention.hours']);
    expect(brokerSynonymNames('log.roll.hours')).toEqual(['log.roll.ms', 'log.roll.hours']);
    expect(brokerSynonymNames('log.flush.interval.ms')).toEqual(['log.flush.interval.ms', 'log.flush.scheduler.interval.ms']);
    expect(brokerSynonymNames('log.flush.scheduler.interval.ms')).toEqual(['log.flush.scheduler.interval.ms']);
    expect(brokerSynonymNames('num.partitions')).toEqual(['num.partitions']);
  });
});
