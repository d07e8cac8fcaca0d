/**
 * Topic configuration: every validator with valid and invalid values and Kafka's messages, broker
 * synonyms and their conversions, the effective config and its storage LogConfig, DescribeConfigs
 * synonyms and sources, and IncrementalAlterConfigs operations.
 */
import { describe, expect, it } from '@jest/globals';
import { resolveBrokerConfig } from '../../src/config/broker-config.js';
import { ConfigSource } from '../../src/config/config-def.js';
import {
  AlterConfigOp,
  TOPIC_CONFIG_DEFINITIONS,
  applyTopicConfigOps,
  describeTopicConfigs,
  isTopicConfigName,
  resolveTopicConfig,
  toLogConfig,
  topicConfigDefinition,
  topicDefaultFromBroker,
  validateTopicConfigs,
} from '../../src/config/topic-config.js';
import { DEFAULT_LOG_CONFIG } from '../../src/storage/types.js';

const LONG_MAX = '9223372036854775807';

describe('definitions', () => {
  it('cover every Kafka topic config with Kafka\'s types and defaults', () => {
    const expected: Record<string, [string, string | null]> = {
      'cleanup.policy': ['list', 'delete'],
      'compression.type': ['string', 'producer'],
      'compression.gzip.level': ['int', '-1'],
      'compression.lz4.level': ['int', '9'],
      'compression.zstd.level': ['int', '3'],
      'delete.retention.ms': ['long', '86400000'],
      'file.delete.delay.ms': ['long', '60000'],
      'flush.messages': ['long', LONG_MAX],
      'flush.ms': ['long', LONG_MAX],
      'follower.replication.throttled.replicas': ['list', ''],
      'index.interval.bytes': ['int', '4096'],
      'leader.replication.throttled.replicas': ['list', ''],
      'local.retention.bytes': ['long', '-2'],
      'local.retention.ms': ['long', '-2'],
      'max.compaction.lag.ms': ['long', LONG_MAX],
      'max.message.bytes': ['int', '1048588'],
      'message.downconversion.enable': ['boolean', 'true'],
      'message.format.version': ['string', '3.0-IV1'],
      'message.timestamp.after.max.ms': ['long', LONG_MAX],
      'message.timestamp.before.max.ms': ['long', LONG_MAX],
      'message.timestamp.difference.max.ms': ['long', LONG_MAX],
      'message.timestamp.type': ['string', 'CreateTime'],
      'min.cleanable.dirty.ratio': ['double', '0.5'],
      'min.compaction.lag.ms': ['long', '0'],
      'min.insync.replicas': ['int', '1'],
      preallocate: ['boolean', 'false'],
      'remote.log.copy.disable': ['boolean', 'false'],
      'remote.log.delete.on.disable': ['boolean', 'false'],
      'remote.storage.enable': ['boolean', 'false'],
      'retention.bytes': ['long', '-1'],
      'retention.ms': ['long', '604800000'],
      'segment.bytes': ['int', '1073741824'],
      'segment.index.bytes': ['int', '10485760'],
      'segment.jitter.ms': ['long', '0'],
      'segment.ms': ['long', '604800000'],
      'unclean.leader.election.enable': ['boolean', 'false'],
    };
    expect(Object.fromEntries(TOPIC_CONFIG_DEFINITIONS.map((d) => [d.name, [d.type, d.default]]))).toEqual(expected);
    expect(topicConfigDefinition('message.downconversion.enable')?.importance).toBe('low');
    expect(topicConfigDefinition('segment.bytes')?.importance).toBe('medium');
    expect(isTopicConfigName('retention.ms')).toBe(true);
    expect(isTopicConfigName('log.retention.ms')).toBe(false);
  });

  it('name Kafka\'s broker synonyms in priority order', () => {
    const syn = (n: string) => topicConfigDefinition(n)!.brokerSynonyms.map((s) => (s.unit === 'same' ? s.name : `${s.name} (${s.unit})`));
    expect(syn('retention.ms')).toEqual(['log.retention.ms', 'log.retention.minutes (minutes)', 'log.retention.hours (hours)']);
    expect(syn('segment.ms')).toEqual(['log.roll.ms', 'log.roll.hours (hours)']);
    expect(syn('segment.jitter.ms')).toEqual(['log.roll.jitter.ms', 'log.roll.jitter.hours (hours)']);
    expect(syn('segment.bytes')).toEqual(['log.segment.bytes']);
    expect(syn('max.message.bytes')).toEqual(['message.max.bytes']);
    expect(syn('flush.ms')).toEqual(['log.flush.interval.ms', 'log.flush.scheduler.interval.ms']);
    expect(syn('flush.messages')).toEqual(['log.flush.interval.messages']);
    expect(syn('segment.index.bytes')).toEqual(['log.index.size.max.bytes']);
    expect(syn('file.delete.delay.ms')).toEqual(['log.segment.delete.delay.ms']);
    expect(syn('min.cleanable.dirty.ratio')).toEqual(['log.cleaner.min.cleanable.ratio']);
    expect(syn('delete.retention.ms')).toEqual(['log.cleaner.delete.retention.ms']);
    expect(syn('cleanup.policy')).toEqual(['log.cleanup.policy']);
    expect(syn('compression.type')).toEqual(['compression.type']);
    expect(syn('message.timestamp.type')).toEqual(['log.message.timestamp.type']);
    expect(syn('remote.storage.enable')).toEqual([]);
    expect(syn('leader.replication.throttled.replicas')).toEqual([]);
  });
});

describe('validateTopicConfigs: each validator', () => {
  const ok = (key: string, value: string): void => {
    const v = validateTopicConfigs({ [key]: value });
    expect({ key, value, errors: v.errors }).toEqual({ key, value, errors: [] });
  };
  const bad = (key: string, value: string, message: string): void => {
    const v = validateTopicConfigs({ [key]: value });
    expect(v.error).toEqual({ key, errorCode: 40, message });
  };

  it.each([
    ['segment.bytes', '14', '13', 'Value must be at least 14'],
    ['segment.ms', '1', '0', 'Value must be at least 1'],
    ['segment.jitter.ms', '0', '-1', 'Value must be at least 0'],
    ['segment.index.bytes', '4', '3', 'Value must be at least 4'],
    ['flush.messages', '1', '0', 'Value must be at least 1'],
    ['flush.ms', '0', '-1', 'Value must be at least 0'],
    ['retention.ms', '-1', '-2', 'Value must be at least -1'],
    ['max.message.bytes', '0', '-1', 'Value must be at least 0'],
    ['index.interval.bytes', '0', '-1', 'Value must be at least 0'],
    ['delete.retention.ms', '0', '-1', 'Value must be at least 0'],
    ['min.compaction.lag.ms', '0', '-1', 'Value must be at least 0'],
    ['max.compaction.lag.ms', '1', '0', 'Value must be at least 1'],
    ['file.delete.delay.ms', '0', '-1', 'Value must be at least 0'],
    ['min.insync.replicas', '1', '0', 'Value must be at least 1'],
    ['message.timestamp.difference.max.ms', '0', '-1', 'Value must be at least 0'],
    ['message.timestamp.before.max.ms', '0', '-1', 'Value must be at least 0'],
    ['message.timestamp.after.max.ms', '3600000', '-1', 'Value must be at least 0'],
    ['local.retention.ms', '-2', '-3', 'Value must be at least -2'],
    ['local.retention.bytes', '-2', '-3', 'Value must be at least -2'],
    ['compression.lz4.level', '17', '18', 'Value must be no more than 17'],
    ['compression.zstd.level', '-131072', '-131073', 'Value must be at least -131072'],
  ])('%s: %s valid, %s invalid', (key, good, worse, detail) => {
    ok(key, good);
    bad(key, worse, `Invalid value ${worse} for configuration ${key}: ${detail}`);
  });

  it('retention.bytes accepts any long', () => {
    ok('retention.bytes', '-5');
    ok('retention.bytes', LONG_MAX);
    bad('retention.bytes', '9223372036854775808', 'Invalid value 9223372036854775808 for configuration retention.bytes: Not a number of type LONG');
  });

  it('min.cleanable.dirty.ratio is a double in [0, 1]', () => {
    ok('min.cleanable.dirty.ratio', '0');
    ok('min.cleanable.dirty.ratio', '1');
    ok('min.cleanable.dirty.ratio', '0.75');
    bad('min.cleanable.dirty.ratio', '2', 'Invalid value 2.0 for configuration min.cleanable.dirty.ratio: Value must be no more than 1');
    bad('min.cleanable.dirty.ratio', '-0.5', 'Invalid value -0.5 for configuration min.cleanable.dirty.ratio: Value must be at least 0');
    bad('min.cleanable.dirty.ratio', 'half', 'Invalid value half for configuration min.cleanable.dirty.ratio: Not a number of type DOUBLE');
  });

  it('cleanup.policy in [compact, delete], both or none', () => {
    for (const v of ['delete', 'compact', 'compact,delete', 'delete, compact', '']) ok('cleanup.policy', v);
    bad('cleanup.policy', 'delete,archive', 'Invalid value archive for configuration cleanup.policy: String must be one of: compact, delete');
    bad('cleanup.policy', 'Delete', 'Invalid value Delete for configuration cleanup.policy: String must be one of: compact, delete');
  });

  it('compression.type in [uncompressed, zstd, lz4, snappy, gzip, producer]', () => {
    for (const v of ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer']) ok('compression.type', v);
    bad('compression.type', 'none', 'Invalid value none for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer');
  });

  it('compression.gzip.level in [1, 9] or -1', () => {
    for (const v of ['-1', '1', '9']) ok('compression.gzip.level', v);
    bad('compression.gzip.level', '0', 'Invalid value 0 for configuration compression.gzip.level: Value must be between 1 and 9 or equal to -1');
    bad('compression.gzip.level', '10', 'Invalid value 10 for configuration compression.gzip.level: Value must be between 1 and 9 or equal to -1');
  });

  it('message.timestamp.type in [CreateTime, LogAppendTime]', () => {
    ok('message.timestamp.type', 'CreateTime');
    ok('message.timestamp.type', ' LogAppendTime ');
    bad('message.timestamp.type', 'logappendtime', 'Invalid value logappendtime for configuration message.timestamp.type: String must be one of: CreateTime, LogAppendTime');
  });

  it('booleans', () => {
    for (const key of ['preallocate', 'unclean.leader.election.enable', 'message.downconversion.enable', 'remote.log.copy.disable', 'remote.log.delete.on.disable']) {
      ok(key, 'true');
      ok(key, 'FALSE');
      bad(key, '1', `Invalid value 1 for configuration ${key}: Expected value to be either true or false`);
    }
  });

  it('message.format.version is a Kafka version', () => {
    for (const v of ['0.10.0', '0.11.0-IV2', '2.8', '3.0-IV1', '2.8.1']) ok('message.format.version', v);
    bad('message.format.version', '9.9', 'Invalid value 9.9 for configuration message.format.version: Version 9.9 is not a valid version');
  });

  it('throttled replicas: * or partition:broker pairs', () => {
    for (const key of ['leader.replication.throttled.replicas', 'follower.replication.throttled.replicas']) {
      ok(key, '*');
      ok(key, '0:1,1:2');
      ok(key, '');
      bad(key, '0:1,x', `Invalid value [0:1, x] for configuration ${key}: ${key} must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...`);
    }
  });

  it('ints and longs must parse', () => {
    bad('segment.bytes', '1GB', 'Invalid value 1GB for configuration segment.bytes: Not a number of type INT');
    bad('segment.bytes', '2147483648', 'Invalid value 2147483648 for configuration segment.bytes: Not a number of type INT');
    bad('retention.ms', '7d', 'Invalid value 7d for configuration retention.ms: Not a number of type LONG');
  });
});

describe('validateTopicConfigs: names, nulls and cross-key rules', () => {
  it('rejects unknown names, broker names included', () => {
    expect(validateTopicConfigs({ 'log.retention.minutes': '5' }).error).toEqual({ key: 'log.retention.minutes', errorCode: 40, message: 'Unknown topic config name: log.retention.minutes' });
  });

  it('rejects null values, listing all of them', () => {
    const v = validateTopicConfigs(new Map([['retention.ms', null], ['segment.ms', null], ['segment.bytes', '100']]));
    expect(v.error?.message).toBe('Null value not supported for topic configs: retention.ms,segment.ms');
    expect(v.errors.map((e) => e.key)).toEqual(['retention.ms', 'segment.ms']);
  });

  it('reports every error, in Kafka\'s order, and the first as Kafka\'s answer', () => {
    const v = validateTopicConfigs({ 'segment.ms': '0', 'x.y': '1', 'segment.bytes': '1' });
    expect(v.errors.map((e) => e.key)).toEqual(['x.y', 'segment.bytes', 'segment.ms']);
    expect(v.error?.key).toBe('x.y');
  });

  it('checks min.compaction.lag.ms <= max.compaction.lag.ms, with broker defaults', () => {
    expect(validateTopicConfigs({ 'min.compaction.lag.ms': '10', 'max.compaction.lag.ms': '5' }).error).toEqual({
      key: 'min.compaction.lag.ms',
      errorCode: 40,
      message: 'conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)',
    });
    const broker = resolveBrokerConfig({ file: { 'log.cleaner.min.compaction.lag.ms': '100' } });
    expect(validateTopicConfigs({ 'max.compaction.lag.ms': '50' }, broker).error?.key).toBe('max.compaction.lag.ms');
    expect(validateTopicConfigs({ 'max.compaction.lag.ms': '50' }).error).toBeNull();
  });

  it('refuses tiered storage', () => {
    expect(validateTopicConfigs({ 'remote.storage.enable': 'true' }).error?.message).toBe(
      'Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.',
    );
    expect(validateTopicConfigs({ 'remote.storage.enable': 'false' }).error).toBeNull();
  });

  it('returns the valid overrides in canonical form', () => {
    const v = validateTopicConfigs({ 'cleanup.policy': ' compact , delete ', 'min.cleanable.dirty.ratio': '.50', preallocate: 'TRUE', 'retention.ms': ' 1000 ' });
    expect(Object.fromEntries(v.configs)).toEqual({ 'retention.ms': '1000', 'min.cleanable.dirty.ratio': '0.5', 'cleanup.policy': 'compact,delete', preallocate: 'true' });
  });
});

describe('effective config', () => {
  it('defaults to Kafka\'s, and to the storage engine\'s defaults', () => {
    const c = resolveTopicConfig({});
    expect(c).toMatchObject({ retentionMs: 604800000, segmentBytes: 1073741824, cleanupPolicy: ['delete'], compact: false, delete: true, compressionType: 'producer', messageTimestampType: 'CreateTime', maxMessageBytes: 1048588 });
    expect(toLogConfig(c)).toEqual(DEFAULT_LOG_CONFIG);
    expect(toLogConfig(resolveTopicConfig({}, resolveBrokerConfig()))).toEqual(DEFAULT_LOG_CONFIG);
  });

  it('takes broker values through synonyms, converting units', () => {
    const retention = (file: Record<string, string>): number => resolveTopicConfig({}, resolveBrokerConfig({ file })).retentionMs;
    expect(retention({ 'log.retention.hours': '24' })).toBe(86_400_000);
    expect(retention({ 'log.retention.hours': '24', 'log.retention.minutes': '30' })).toBe(1_800_000);
    expect(retention({ 'log.retention.hours': '24', 'log.retention.minutes': '30', 'log.retention.ms': '5' })).toBe(5);
    expect(retention({ 'log.retention.hours': '-1' })).toBe(-1);
    const broker = resolveBrokerConfig({
      file: { 'log.roll.hours': '1', 'log.segment.bytes': '1048576', 'message.max.bytes': '2000000', 'log.flush.scheduler.interval.ms': '1000', 'log.cleanup.policy': 'compact', 'log.message.timestamp.type': 'LogAppendTime', 'compression.type': 'zstd' },
    });
    expect(resolveTopicConfig({}, broker)).toMatchObject({
      segmentMs: 3_600_000,
      segmentBytes: 1_048_576,
      maxMessageBytes: 2_000_000,
      flushMs: 1000,
      cleanupPolicy: ['compact'],
      compact: true,
      messageTimestampType: 'LogAppendTime',
      compressionType: 'zstd',
    });
    expect(topicDefaultFromBroker('segment.ms', broker)).toEqual({ parsed: 3_600_000n, from: 'log.roll.hours' });
    expect(topicDefaultFromBroker('remote.storage.enable', broker)).toEqual({ parsed: false, from: null });
  });

  it('lets overrides win over the broker, and dynamic broker defaults over static ones', () => {
    const broker = resolveBrokerConfig({ file: { 'log.retention.hours': '24' }, dynamicDefault: { 'log.retention.ms': '7000' } });
    expect(resolveTopicConfig({}, broker).retentionMs).toBe(7000);
    expect(resolveTopicConfig({ 'retention.ms': '1000' }, broker).retentionMs).toBe(1000);
  });

  it('falls back to message.timestamp.difference.max.ms while before/after are at their defaults', () => {
    expect(resolveTopicConfig({ 'message.timestamp.difference.max.ms': '60000' })).toMatchObject({ messageTimestampBeforeMaxMs: 60000, messageTimestampAfterMaxMs: 60000 });
    expect(resolveTopicConfig({ 'message.timestamp.difference.max.ms': '60000', 'message.timestamp.after.max.ms': '10' })).toMatchObject({ messageTimestampBeforeMaxMs: 60000, messageTimestampAfterMaxMs: 10 });
    expect(resolveTopicConfig({})).toMatchObject({ messageTimestampBeforeMaxMs: Number.MAX_SAFE_INTEGER });
  });

  it('converts to the storage LogConfig', () => {
    const c = resolveTopicConfig({ 'segment.bytes': '1024', 'segment.ms': '60000', 'segment.index.bytes': '4096', 'index.interval.bytes': '100', 'retention.ms': '-1', 'retention.bytes': '1000000', 'flush.messages': '1', 'flush.ms': '10', 'file.delete.delay.ms': '0' });
    expect(toLogConfig(c)).toEqual({ segmentBytes: 1024, segmentMs: 60000, segmentIndexBytes: 4096, indexIntervalBytes: 100, retentionMs: -1, retentionBytes: 1000000, flushMessages: 1, flushMs: 10, fileDeleteDelayMs: 0 });
  });

  it('rolls compacted logs by max.compaction.lag.ms when it is sooner (Kafka\'s maxSegmentMs)', () => {
    expect(toLogConfig(resolveTopicConfig({ 'cleanup.policy': 'compact', 'max.compaction.lag.ms': '1000' })).segmentMs).toBe(1000);
    expect(toLogConfig(resolveTopicConfig({ 'cleanup.policy': 'delete', 'max.compaction.lag.ms': '1000' })).segmentMs).toBe(604800000);
  });

  it('throws on an invalid override', () => {
    expect(() => resolveTopicConfig({ 'segment.bytes': '1' })).toThrow('Invalid value 1 for configuration segment.bytes: Value must be at least 14');
  });
});

describe('DescribeConfigs (TOPIC)', () => {
  it('retention.ms overridden while the broker file sets log.retention.hours: Kafka reports only the override', () => {
    const broker = resolveBrokerConfig({ file: { 'log.retention.hours': '24' } });
    const result = describeTopicConfigs({ 'retention.ms': '3600000' }, broker, { topic: 'orders', configurationKeys: ['retention.ms'], includeSynonyms: true, includeDocumentation: true });
    expect(result).toEqual({
      errorCode: 0,
      errorMessage: null,
      resourceType: 2,
      resourceName: 'orders',
      configs: [
        {
          name: 'retention.ms',
          value: '3600000',
          readOnly: false,
          isDefault: false,
          configSource: ConfigSource.TOPIC_CONFIG,
          isSensitive: false,
          // Kafka lists broker synonyms starting at log.retention.ms; log.retention.hours comes
          // before it in every source, so it is dropped (ConfigHelper.configSynonyms' dropWhile).
          synonyms: [{ name: 'retention.ms', value: '3600000', source: ConfigSource.TOPIC_CONFIG }],
          configType: 5,
          documentation: topicConfigDefinition('retention.ms')!.doc,
        },
      ],
    });
  });

  it('without the override the value comes from log.retention.hours but the source reads DEFAULT_CONFIG, as in Kafka', () => {
    const broker = resolveBrokerConfig({ file: { 'log.retention.hours': '24' } });
    const [entry] = describeTopicConfigs({}, broker, { topic: 't', configurationKeys: ['retention.ms'], includeSynonyms: true }).configs;
    expect(entry).toMatchObject({ value: '86400000', configSource: ConfigSource.DEFAULT_CONFIG, isDefault: true, synonyms: [] });
  });

  it('lists override, broker synonyms by source, then the default', () => {
    const broker = resolveBrokerConfig({ file: { 'log.retention.hours': '24', 'log.retention.ms': '7200000', 'log.segment.bytes': '536870912' }, dynamicDefault: { 'log.segment.bytes': '268435456' } });
    const configs = describeTopicConfigs({ 'retention.ms': '3600000', 'segment.bytes': '1048576' }, broker, { topic: 't', configurationKeys: ['retention.ms', 'segment.bytes'], includeSynonyms: true }).configs;
    expect(configs.map((c) => [c.name, c.value, c.configSource, c.synonyms.map((s) => `${s.source}:${s.name}=${s.value}`)])).toEqual([
      ['segment.bytes', '1048576', 1, ['1:segment.bytes=1048576', '3:log.segment.bytes=268435456', '4:log.segment.bytes=536870912', '5:log.segment.bytes=1073741824']],
      ['retention.ms', '3600000', 1, ['1:retention.ms=3600000', '4:log.retention.ms=7200000', '4:log.retention.hours=24', '5:log.retention.hours=168']],
    ]);
  });

  it('reports the broker source when no override is set', () => {
    const broker = resolveBrokerConfig({ file: { 'log.segment.bytes': '1048576' } });
    const [segmentBytes, remote] = describeTopicConfigs({}, broker, { topic: 't', configurationKeys: ['segment.bytes', 'remote.storage.enable'], includeSynonyms: true }).configs;
    expect(segmentBytes).toMatchObject({ value: '1048576', configSource: ConfigSource.STATIC_BROKER_CONFIG, isDefault: false });
    expect(remote).toMatchObject({ value: 'false', configSource: ConfigSource.DEFAULT_CONFIG, synonyms: [] });
  });

  it('reports every topic config with canonical values and types, synonyms and docs only on request', () => {
    const { configs } = describeTopicConfigs({ 'cleanup.policy': 'compact, delete' }, resolveBrokerConfig(), { topic: 't' });
    expect(configs.map((c) => c.name)).toEqual(TOPIC_CONFIG_DEFINITIONS.map((d) => d.name));
    expect(configs.every((c) => !c.readOnly && !c.isSensitive && c.synonyms.length === 0 && c.documentation === null)).toBe(true);
    const byName = new Map(configs.map((c) => [c.name, c]));
    expect(byName.get('cleanup.policy')).toMatchObject({ value: 'compact,delete', configType: 7, configSource: 1 });
    expect(byName.get('flush.ms')).toMatchObject({ value: LONG_MAX, configType: 5 });
    expect(byName.get('min.cleanable.dirty.ratio')).toMatchObject({ value: '0.5', configType: 6 });
    expect(byName.get('preallocate')).toMatchObject({ value: 'false', configType: 1 });
    expect(byName.get('compression.type')).toMatchObject({ value: 'producer', configType: 2 });
  });
});

describe('applyTopicConfigOps', () => {
  it('sets and deletes', () => {
    const r = applyTopicConfigOps({ 'retention.ms': '1', 'segment.ms': '2' }, [
      { name: 'retention.ms', configOperation: AlterConfigOp.SET, value: '5' },
      { name: 'segment.ms', configOperation: AlterConfigOp.DELETE, value: null },
    ]);
    expect(r.ok && Object.fromEntries(r.configs)).toEqual({ 'retention.ms': '5' });
  });

  it('appends to and subtracts from lists, starting from the default', () => {
    const appended = applyTopicConfigOps({}, [{ name: 'cleanup.policy', configOperation: AlterConfigOp.APPEND, value: 'compact' }]);
    expect(appended.ok && appended.configs.get('cleanup.policy')).toBe('delete,compact');
    const again = applyTopicConfigOps({ 'cleanup.policy': 'delete,compact' }, [{ name: 'cleanup.policy', configOperation: AlterConfigOp.APPEND, value: 'compact' }]);
    expect(again.ok && again.configs.get('cleanup.policy')).toBe('delete,compact');
    const subtracted = applyTopicConfigOps({ 'cleanup.policy': 'delete,compact' }, [{ name: 'cleanup.policy', configOperation: AlterConfigOp.SUBTRACT, value: 'delete' }]);
    expect(subtracted.ok && subtracted.configs.get('cleanup.policy')).toBe('compact');
  });

  it('refuses APPEND/SUBTRACT on non-lists, a null SET and unknown operations', () => {
    expect(applyTopicConfigOps({}, [{ name: 'retention.ms', configOperation: AlterConfigOp.APPEND, value: '1' }])).toEqual({
      ok: false,
      errorCode: 40,
      errorMessage: "Can't APPEND to key retention.ms because its type is not LIST.",
    });
    expect(applyTopicConfigOps({}, [{ name: 'retention.ms', configOperation: AlterConfigOp.SET, value: null }])).toMatchObject({ ok: false, errorCode: 40 });
    expect(applyTopicConfigOps({}, [{ name: 'retention.ms', configOperation: 9, value: '1' }])).toMatchObject({ ok: false, errorCode: 42 });
  });
});
