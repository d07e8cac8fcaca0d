/**
 * DescribeConfigs for BROKER resources, as Kafka's ConfigHelper answers it: each key's source,
 * read-only flag, sensitivity and synonyms in Kafka's order. Topic configs reuse the synonyms, since
 * a topic's defaults are broker keys.
 */
import { ErrorCode } from '../protocol/generated/errors.js';
import {
  ConfigResourceType,
  ConfigSource,
  configResponseType,
  wantsKey,
  type DescribeConfigsEntry,
  type DescribeConfigsOptions,
  type DescribeConfigsResourceResult,
  type DescribeConfigsSynonym,
} from './config-def.js';
import { brokerConfigDefinition, brokerSynonymNames } from './broker-config-defs.js';
import type { ResolvedBrokerConfig } from './broker-config.js';

/** The string value of `name` in each layer, as Kafka's DynamicBrokerConfig keeps them. */
function layerValue(resolved: ResolvedBrokerConfig, name: string, source: ConfigSource): string | undefined {
  switch (source) {
    case ConfigSource.DYNAMIC_BROKER_CONFIG:
      return resolved.layers.dynamicBroker.get(name);
    case ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG:
      return resolved.layers.dynamicDefault.get(name);
    case ConfigSource.STATIC_BROKER_CONFIG:
      return resolved.layers.static.get(name)?.value;
    case ConfigSource.DEFAULT_CONFIG:
      return brokerConfigDefinition(name)?.default ?? undefined;
    default:
      return undefined;
  }
}

/**
 * Kafka's ConfigHelper.configSynonyms: for each source in precedence order (dynamic broker, dynamic
 * default, static, default), the synonyms set in that source in priority order; then everything
 * before the first entry named `name` is dropped (so describing log.retention.ms shows nothing when
 * only log.retention.hours is set: Kafka's behaviour, kept on purpose).
 */
export function brokerConfigSynonyms(resolved: ResolvedBrokerConfig, name: string, isSensitive: boolean): DescribeConfigsSynonym[] {
  const names = brokerSynonymNames(name);
  const all: DescribeConfigsSynonym[] = [];
  for (const source of [ConfigSource.DYNAMIC_BROKER_CONFIG, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG, ConfigSource.STATIC_BROKER_CONFIG, ConfigSource.DEFAULT_CONFIG]) {
    for (const n of names) {
      const v = layerValue(resolved, n, source);
      if (v !== undefined) all.push({ name: n, value: isSensitive ? null : v, source });
    }
  }
  const first = all.findIndex((s) => s.name === name);
  return first < 0 ? [] : all.slice(first);
}

export interface BrokerDescribeOptions extends DescribeConfigsOptions {
  /** The DescribeConfigs resource name: this node's id, or "" for the cluster-wide defaults. */
  resourceName: string;
}

/**
 * DescribeConfigs for a BROKER resource, as Kafka's ConfigHelper builds it: for the node's id,
 * every broker config (and every unknown key that was supplied: type unknown, so sensitive) with
 * its source, read-only flag, synonyms, type and documentation; for "", only the dynamic
 * cluster-default values. Another broker id gives INVALID_REQUEST, as in Kafka.
 */
export function describeBrokerConfigs(resolved: ResolvedBrokerConfig, options: BrokerDescribeOptions): DescribeConfigsResourceResult {
  const result = (errorCode: number, errorMessage: string | null, configs: DescribeConfigsEntry[]): DescribeConfigsResourceResult => ({
    errorCode,
    errorMessage,
    resourceType: ConfigResourceType.BROKER,
    resourceName: options.resourceName,
    configs,
  });
  const perBroker = options.resourceName !== '';
  if (perBroker) {
    if (!/^[+-]?[0-9]+$/.test(options.resourceName)) {
      return result(ErrorCode.InvalidRequest, `Broker id must be an integer, but it is: ${options.resourceName}`, []);
    }
    if (Number(options.resourceName) !== resolved.config.nodeId) {
      return result(ErrorCode.InvalidRequest, `Unexpected broker id, expected ${resolved.config.nodeId} or empty string, but received ${options.resourceName}`, []);
    }
  }

  const entry = (name: string, value: string | null): DescribeConfigsEntry => {
    const d = brokerConfigDefinition(name);
    const isSensitive = d === undefined || d.type === 'password';
    const allSynonyms = brokerConfigSynonyms(resolved, name, isSensitive).filter(
      (s) => perBroker || s.source === ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG,
    );
    const configSource = allSynonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG;
    return {
      name,
      value: isSensitive ? null : value,
      readOnly: d === undefined || d.dynamic === 'read-only',
      isDefault: configSource === ConfigSource.DEFAULT_CONFIG,
      configSource,
      isSensitive,
      synonyms: options.includeSynonyms ? allSynonyms : [],
      configType: configResponseType(d?.type),
      documentation: options.includeDocumentation ? (d?.doc ?? null) : null,
    };
  };

  const configs: DescribeConfigsEntry[] = [];
  if (perBroker) {
    for (const [name, e] of resolved.entries) {
      if (e.definition?.internal) continue;
      if (wantsKey(options, name)) configs.push(entry(name, e.value));
    }
  } else {
    for (const [name, value] of resolved.layers.dynamicDefault) {
      if (brokerConfigDefinition(name)?.internal) continue;
      if (wantsKey(options, name)) configs.push(entry(name, value));
    }
  }
  return result(ErrorCode.None, null, configs);
}

