/**
 * DescribeConfigs for BROKER resources: sources, synonyms in Kafka's order, sensitive and Gregor-only
 * keys, the cluster defaults under the empty name, and the answer to another broker id.
 */
import { describe, expect, it } from '@jest/globals';
import { resolveBrokerConfig } from '../../src/config/broker-config.js';
import { BROKER_CONFIG_DEFINITIONS, brokerConfigDefinition } from '../../src/config/broker-config-defs.js';
import { describeBrokerConfigs } from '../../src/config/broker-config-describe.js';
import { ConfigSource } from '../../src/config/config-def.js';

describe('DescribeConfigs (BROKER)', () => {
  const r = resolveBrokerConfig({
    file: { 'log.retention.hours': '24', 'log.segment.bytes': '1073741824', 'ssl.keystore.password': 'secret', 'custom.plugin.key': 'x', 'cluster.id': 'MkU3OEVBNTcwNTJENDM2Qg' },
    dynamicDefault: { 'log.retention.ms': '5000' },
    dynamicBroker: { 'log.retention.ms': '6000' },
  });
  const describeKeys = (keys: string[], resourceName = '1') =>
    describeBrokerConfigs(r, { resourceName, configurationKeys: keys, includeSynonyms: true, includeDocumentation: true }).configs;

  it('reports every source in Kafka\'s synonym order', () => {
    const [retentionMs] = describeKeys(['log.retention.ms']);
    expect(retentionMs).toEqual({
      name: 'log.retention.ms',
      value: '6000',
      readOnly: false,
      isDefault: false,
      configSource: ConfigSource.DYNAMIC_BROKER_CONFIG,
      isSensitive: false,
      synonyms: [
        { name: 'log.retention.ms', value: '6000', source: ConfigSource.DYNAMIC_BROKER_CONFIG },
        { name: 'log.retention.ms', value: '5000', source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG },
        { name: 'log.retention.hours', value: '24', source: ConfigSource.STATIC_BROKER_CONFIG },
        { name: 'log.retention.hours', value: '168', source: ConfigSource.DEFAULT_CONFIG },
      ],
      configType: 5,
      documentation: brokerConfigDefinition('log.retention.ms')!.doc,
    });
  });

  it('drops synonyms before the first one of the described name (Kafka\'s dropWhile)', () => {
    const [hours] = describeKeys(['log.retention.hours']);
    expect(hours).toMatchObject({
      value: '24',
      readOnly: true,
      configSource: ConfigSource.STATIC_BROKER_CONFIG,
      synonyms: [
        { name: 'log.retention.hours', value: '24', source: ConfigSource.STATIC_BROKER_CONFIG },
        { name: 'log.retention.hours', value: '168', source: ConfigSource.DEFAULT_CONFIG },
      ],
    });
    const plain = resolveBrokerConfig({ file: { 'log.retention.hours': '24' } });
    const [ms] = describeBrokerConfigs(plain, { resourceName: '1', configurationKeys: ['log.retention.ms'], includeSynonyms: true }).configs;
    expect(ms).toMatchObject({ value: null, configSource: ConfigSource.DEFAULT_CONFIG, synonyms: [], isDefault: true });
  });

  it('hides passwords and unknown keys, and never reports Gregor-only keys', () => {
    const [password, unknown] = describeKeys(['ssl.keystore.password', 'custom.plugin.key']);
    expect(password).toMatchObject({ value: null, isSensitive: true, configType: 9, readOnly: false, synonyms: [{ name: 'ssl.keystore.password', value: null, source: 4 }] });
    expect(unknown).toMatchObject({ name: 'custom.plugin.key', value: null, isSensitive: true, readOnly: true, configType: 0, configSource: 4, documentation: null });
    const all = describeBrokerConfigs(r, { resourceName: '1' }).configs;
    expect(all.some((c) => c.name === 'cluster.id' || c.name === 'socket.request.receive.timeout.ms')).toBe(false);
    // Every definition but the Gregor-only ones, and the unknown key.
    expect(all.length).toBe(BROKER_CONFIG_DEFINITIONS.filter((d) => !d.internal).length + 1);
    expect(all.every((c) => c.synonyms.length === 0 && c.documentation === null)).toBe(true);
  });

  it('reports read-only keys and types', () => {
    const [listeners, numPartitions, ratio] = describeKeys(['listeners', 'num.partitions', 'log.cleaner.min.cleanable.ratio']);
    expect(listeners).toMatchObject({ readOnly: false, configType: 2, value: 'PLAINTEXT://:9092', configSource: 5 });
    expect(numPartitions).toMatchObject({ readOnly: true, configType: 3, value: '1' });
    expect(ratio).toMatchObject({ readOnly: false, configType: 6, value: '0.5' });
  });

  it('describes the cluster defaults under the empty name', () => {
    const result = describeBrokerConfigs(r, { resourceName: '', includeSynonyms: true });
    expect(result.errorCode).toBe(0);
    expect(result.configs).toEqual([
      {
        name: 'log.retention.ms',
        value: '5000',
        readOnly: false,
        isDefault: false,
        configSource: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG,
        isSensitive: false,
        synonyms: [{ name: 'log.retention.ms', value: '5000', source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG }],
        configType: 5,
        documentation: null,
      },
    ]);
  });

  it('answers another broker id or a non-integer with INVALID_REQUEST', () => {
    expect(describeBrokerConfigs(r, { resourceName: '2' })).toEqual({
      errorCode: 42,
      errorMessage: 'Unexpected broker id, expected 1 or empty string, but received 2',
      resourceType: 4,
      resourceName: '2',
      configs: [],
    });
    expect(describeBrokerConfigs(r, { resourceName: 'one' }).errorMessage).toBe('Broker id must be an integer, but it is: one');
  });
});
