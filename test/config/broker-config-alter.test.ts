/**
 * Dynamic broker config changes: what AlterConfigs may change and at which level, Kafka's refusals,
 * and the effect of a change on the resolved configuration.
 */
import { describe, expect, it } from '@jest/globals';
import { resolveBrokerConfig, withClusterId, type ResolvedBrokerConfig } from '../../src/config/broker-config.js';
import { alterBrokerConfigs } from '../../src/config/broker-config-alter.js';
import { ConfigSource } from '../../src/config/config-def.js';
import { resolveTopicConfig, type EffectiveTopicConfig } from '../../src/config/topic-config.js';

/** What the broker does with the log.* keys: they are the defaults of a topic without overrides. */
const topicDefaults = (r: ResolvedBrokerConfig): EffectiveTopicConfig => resolveTopicConfig({}, r);

const entry = (r: ResolvedBrokerConfig, k: string) => r.entries.get(k)!;

describe('dynamic changes', () => {
  const base = resolveBrokerConfig({ file: { 'log.retention.hours': '24' } });

  it('sets and removes a cluster-wide value per broker', () => {
    const set = alterBrokerConfigs(base, [{ name: 'log.retention.ms', value: '1000' }], { perBroker: true });
    expect(set.ok).toBe(true);
    if (!set.ok) return;
    expect(topicDefaults(set.resolved).retentionMs).toBe(1000);
    expect(entry(set.resolved, 'log.retention.ms').source).toBe(ConfigSource.DYNAMIC_BROKER_CONFIG);
    const removed = alterBrokerConfigs(set.resolved, [{ name: 'log.retention.ms', value: null }], { perBroker: true });
    expect(removed.ok && topicDefaults(removed.resolved).retentionMs).toBe(24 * 3600_000);
  });

  it('sets a cluster default', () => {
    const r = alterBrokerConfigs(base, [{ name: 'message.max.bytes', value: '2000000' }], { perBroker: false });
    expect(r.ok && entry(r.resolved, 'message.max.bytes').source).toBe(ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
  });

  it('refuses read-only keys, per-broker keys at cluster level, and invalid values with INVALID_REQUEST, as Kafka does', () => {
    expect(alterBrokerConfigs(base, [{ name: 'log.retention.hours', value: '1' }, { name: 'num.partitions', value: '3' }], { perBroker: true })).toEqual({
      ok: false,
      errorCode: 42,
      errorMessage: 'Cannot update these configs dynamically: [log.retention.hours, num.partitions]',
    });
    expect(alterBrokerConfigs(base, [{ name: 'listeners', value: 'PLAINTEXT://:9093' }], { perBroker: false })).toEqual({
      ok: false,
      errorCode: 42,
      errorMessage: 'Cannot update these configs at default cluster level, broker id must be specified: [listeners]',
    });
    expect(alterBrokerConfigs(base, [{ name: 'log.segment.bytes', value: '1' }], { perBroker: true })).toEqual({
      ok: false,
      errorCode: 42,
      errorMessage: 'Invalid value 1 for configuration log.segment.bytes: Value must be at least 14',
    });
    expect(alterBrokerConfigs(base, [{ name: 'advertised.listeners', value: 'SSL://h:1' }], { perBroker: true })).toMatchObject({ ok: false, errorCode: 42 });
  });

  it('keeps the cluster id across changes', () => {
    const withId = withClusterId(base, 'MkU3OEVBNTcwNTJENDM2Qg');
    const r = alterBrokerConfigs(withId, [{ name: 'min.insync.replicas', value: '1' }], { perBroker: true });
    expect(r.ok && r.resolved.config.clusterId).toBe('MkU3OEVBNTcwNTJENDM2Qg');
  });
});
