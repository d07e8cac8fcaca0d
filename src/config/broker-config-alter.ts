/**
 * Dynamic broker config changes (AlterConfigs / IncrementalAlterConfigs on a BROKER resource):
 * which keys may change and at which level, checked as Kafka 3.9's DynamicBrokerConfig checks them,
 * then re-resolved with every start-up rule so a change Kafka would refuse never takes effect.
 */
import { ErrorCode } from '../protocol/generated/errors.js';
import { ConfigException, parseAndValidate } from './config-def.js';
import { brokerConfigDefinition } from './broker-config-defs.js';
import { BrokerConfigError, resolveLayers, withClusterId, type BrokerConfigLayers, type ResolvedBrokerConfig } from './broker-config.js';

export interface BrokerConfigChange {
  name: string;
  /** null removes the dynamic value (the static or default value applies again). */
  value: string | null;
}

export type AlterBrokerConfigsResult =
  | { ok: true; resolved: ResolvedBrokerConfig }
  | { ok: false; errorCode: number; errorMessage: string };

/**
 * Applies dynamic broker config changes, checked as Kafka's DynamicBrokerConfig checks them:
 * read-only keys are refused ("Cannot update these configs dynamically: [...]"), per-broker keys
 * are refused at the cluster-default level, values are parsed and validated, and the result is
 * re-resolved (cross-key rules included). Every refusal is INVALID_REQUEST, as Kafka answers
 * broker config changes it cannot apply (see KAFKA-13609).
 */
export function alterBrokerConfigs(
  resolved: ResolvedBrokerConfig,
  changes: readonly BrokerConfigChange[],
  target: { perBroker: boolean },
): AlterBrokerConfigsResult {
  const nonDynamic = changes.filter((c) => brokerConfigDefinition(c.name)?.dynamic === 'read-only').map((c) => c.name);
  if (nonDynamic.length > 0) {
    return { ok: false, errorCode: ErrorCode.InvalidRequest, errorMessage: `Cannot update these configs dynamically: [${nonDynamic.join(', ')}]` };
  }
  if (!target.perBroker) {
    const perBroker = changes.filter((c) => brokerConfigDefinition(c.name)?.dynamic === 'per-broker').map((c) => c.name);
    if (perBroker.length > 0) {
      return {
        ok: false,
        errorCode: ErrorCode.InvalidRequest,
        errorMessage: `Cannot update these configs at default cluster level, broker id must be specified: [${perBroker.join(', ')}]`,
      };
    }
  }
  for (const c of changes) {
    const d = brokerConfigDefinition(c.name);
    if (d === undefined || c.value === null) continue;
    try {
      parseAndValidate(d, c.value);
    } catch (e) {
      if (!(e instanceof ConfigException)) throw e;
      return { ok: false, errorCode: ErrorCode.InvalidRequest, errorMessage: e.message };
    }
  }
  const layer = new Map(target.perBroker ? resolved.layers.dynamicBroker : resolved.layers.dynamicDefault);
  for (const c of changes) {
    if (c.value === null) layer.delete(c.name);
    else layer.set(c.name, c.value);
  }
  const layers: BrokerConfigLayers = target.perBroker ? { ...resolved.layers, dynamicBroker: layer } : { ...resolved.layers, dynamicDefault: layer };
  try {
    const next = resolveLayers(layers);
    return { ok: true, resolved: resolved.config.clusterId === null ? next : withClusterId(next, resolved.config.clusterId) };
  } catch (e) {
    if (!(e instanceof BrokerConfigError)) throw e;
    return { ok: false, errorCode: ErrorCode.InvalidRequest, errorMessage: e.problems.map((p) => p.message).join('; ') };
  }
}
