/**
 * Dynamic broker configuration (KIP-226): the values AlterConfigs and IncrementalAlterConfigs set on
 * a BROKER resource, at the cluster-default level (resource name "") or for this broker (its node
 * id). They sit above the static configuration (file, environment, flags) and, as in Kafka, survive
 * a restart: every change is appended to a state log of its own (`dynamic-config`, next to the
 * metadata log) and replayed over the static configuration on start.
 *
 * Record format (msgpack, see state-log.ts): the whole dynamic state after the change,
 *   { dynamicDefault: [name, value][], dynamicBroker: [name, value][] }
 * so replay keeps only the last record (or the snapshot when no record follows it). The state is
 * small; a snapshot replaces the records every SNAPSHOT_EVERY changes.
 *
 * Validation is src/config's `alterBrokerConfigs` (read-only keys, per-broker keys at the default
 * level, value checks, cross-key rules). A stored value that no longer validates on start (a key
 * that became read-only, a changed rule) is dropped with a warning rather than failing the start.
 *
 * Listeners hear every applied change (broker.ts points the services and the metadata store at the
 * new configuration, so topic defaults follow at once).
 */
import type { ResolvedBrokerConfig } from '../config/broker-config.js';
import { alterBrokerConfigs, type AlterBrokerConfigsResult, type BrokerConfigChange } from '../config/broker-config-alter.js';
import { brokerConfigDefinition } from '../config/broker-config-defs.js';
import { mergeListValue } from '../config/config-def.js';
import { AlterConfigOp, type AlterConfigOperation } from '../config/topic-config.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import type { StateLog } from '../storage/state-log.js';
import { silentLogger, type Logger } from '../util/logger.js';

interface DynamicConfigState {
  dynamicDefault: [string, string][];
  dynamicBroker: [string, string][];
}

/** Which dynamic layer a change targets: this broker (resource name = node id) or the cluster default (""). */
export interface DynamicTarget {
  perBroker: boolean;
}

const SNAPSHOT_EVERY = 100;

export type BrokerConfigOpsResult = { ok: true; changes: BrokerConfigChange[] } | { ok: false; errorCode: number; errorMessage: string };

/**
 * IncrementalAlterConfigs operations on one dynamic layer, turned into changes (value null =
 * remove the dynamic value), as Kafka's broker prepares them (ConfigAdminManager
 * prepareIncrementalConfigs): APPEND and SUBTRACT only on LIST keys, APPEND starting from the
 * key's default when the layer has no value, and (as the controller stores it) without duplicates.
 */
export function applyBrokerConfigOps(layer: ReadonlyMap<string, string>, ops: readonly AlterConfigOperation[]): BrokerConfigOpsResult {
  const values = new Map(layer);
  const touched = new Set<string>();
  for (const op of ops) {
    touched.add(op.name);
    switch (op.configOperation) {
      case AlterConfigOp.SET:
        values.set(op.name, op.value ?? '');
        break;
      case AlterConfigOp.DELETE:
        values.delete(op.name);
        break;
      case AlterConfigOp.APPEND:
      case AlterConfigOp.SUBTRACT: {
        const append = op.configOperation === AlterConfigOp.APPEND;
        const d = brokerConfigDefinition(op.name);
        if (d === undefined) return { ok: false, errorCode: ErrorCode.InvalidConfig, errorMessage: `Unknown config name: ${op.name}` };
        if (d.type !== 'list') {
          return {
            ok: false,
            errorCode: ErrorCode.InvalidConfig,
            errorMessage: `Config value ${append ? 'append' : 'subtract'} is not allowed for config key: ${op.name}`,
          };
        }
        const old = values.get(op.name) ?? (append ? (d.default ?? '') : '');
        values.set(op.name, mergeListValue(old, op.value, append));
        break;
      }
      default:
        return { ok: false, errorCode: ErrorCode.InvalidRequest, errorMessage: `Unknown operations type ${op.configOperation}` };
    }
  }
  return { ok: true, changes: [...touched].map((name) => ({ name, value: values.get(name) ?? null })) };
}

export class DynamicConfigStore {
  private resolved: ResolvedBrokerConfig;
  private readonly listeners: ((config: ResolvedBrokerConfig) => void)[] = [];
  private sinceSnapshot = 0;

  private constructor(
    private readonly stateLog: StateLog,
    resolved: ResolvedBrokerConfig,
    private readonly logger: Logger,
  ) {
    this.resolved = resolved;
  }

  /** Replays the stored dynamic values over `base` (the static configuration). */
  static async open(options: { stateLog: StateLog; base: ResolvedBrokerConfig; logger?: Logger }): Promise<DynamicConfigStore> {
    const logger = options.logger ?? silentLogger;
    let state: DynamicConfigState | undefined;
    let records = 0;
    for await (const entry of options.stateLog.replay()) {
      state = entry.value as DynamicConfigState;
      if (entry.kind === 'record') records++;
    }
    let resolved = options.base;
    if (state) {
      resolved = restoreLayer(resolved, state.dynamicDefault, { perBroker: false }, logger);
      resolved = restoreLayer(resolved, state.dynamicBroker, { perBroker: true }, logger);
    }
    const store = new DynamicConfigStore(options.stateLog, resolved, logger);
    store.sinceSnapshot = records;
    if (options.stateLog.damage.some((d) => d.stateLost)) {
      // Each record holds the whole dynamic state, so only the changes older than the last record
      // that remains are lost; a snapshot of what is in force keeps the next start from saying it again.
      const inForce = [...resolved.layers.dynamicDefault.keys(), ...resolved.layers.dynamicBroker.keys()];
      logger.error(
        { files: options.stateLog.damage.map((d) => d.file), inForce },
        state
          ? `dynamic broker configs: the state log lost its snapshot; the last change recorded after it is in force (${inForce.length === 0 ? 'no dynamic values' : inForce.join(', ')}), changes made before it and not repeated are lost`
          : 'dynamic broker configs: the state log lost its snapshot and holds no later change: the broker runs with its static configuration; set dynamic values again with AlterConfigs',
      );
      await store.stateLog.writeSnapshot(stateOf(resolved));
      store.sinceSnapshot = 0;
    }
    return store;
  }

  /** The effective broker configuration: static values with the dynamic layers applied. */
  get current(): ResolvedBrokerConfig {
    return this.resolved;
  }

  /** The dynamic values of one layer. */
  layer(target: DynamicTarget): ReadonlyMap<string, string> {
    return target.perBroker ? this.resolved.layers.dynamicBroker : this.resolved.layers.dynamicDefault;
  }

  /** Called with the new configuration after every applied change. */
  onChange(listener: (config: ResolvedBrokerConfig) => void): void {
    this.listeners.push(listener);
  }

  /** Applies changes to one layer (value null removes a key); with validateOnly nothing changes. */
  async alter(changes: readonly BrokerConfigChange[], target: DynamicTarget, validateOnly: boolean): Promise<AlterBrokerConfigsResult> {
    const result = alterBrokerConfigs(this.resolved, changes, target);
    if (!result.ok || validateOnly) return result;
    // Applied before the write, so concurrent changes see each other (state changes in call order).
    this.resolved = result.resolved;
    const state = stateOf(result.resolved);
    if (++this.sinceSnapshot >= SNAPSHOT_EVERY) {
      this.sinceSnapshot = 0;
      await this.stateLog.writeSnapshot(state);
    } else {
      await this.stateLog.append(state);
    }
    this.logger.info({ changes: changes.map((c) => c.name), level: target.perBroker ? 'broker' : 'cluster-default' }, 'dynamic broker config changed');
    for (const listener of this.listeners) listener(result.resolved);
    return result;
  }

  /** AlterConfigs (non-incremental): `configs` becomes the whole layer; keys not named are removed. */
  replace(configs: ReadonlyMap<string, string>, target: DynamicTarget, validateOnly: boolean): Promise<AlterBrokerConfigsResult> {
    const changes: BrokerConfigChange[] = [...configs].map(([name, value]) => ({ name, value }));
    for (const name of this.layer(target).keys()) if (!configs.has(name)) changes.push({ name, value: null });
    return this.alter(changes, target, validateOnly);
  }

  /** IncrementalAlterConfigs on a BROKER resource. */
  async applyOps(ops: readonly AlterConfigOperation[], target: DynamicTarget, validateOnly: boolean): Promise<AlterBrokerConfigsResult> {
    const prepared = applyBrokerConfigOps(this.layer(target), ops);
    if (!prepared.ok) return prepared;
    return this.alter(prepared.changes, target, validateOnly);
  }

  close(): Promise<void> {
    return this.stateLog.close();
  }
}

function stateOf(resolved: ResolvedBrokerConfig): DynamicConfigState {
  return {
    dynamicDefault: [...resolved.layers.dynamicDefault.entries()],
    dynamicBroker: [...resolved.layers.dynamicBroker.entries()],
  };
}

function restoreLayer(resolved: ResolvedBrokerConfig, entries: [string, string][], target: DynamicTarget, logger: Logger): ResolvedBrokerConfig {
  if (entries.length === 0) return resolved;
  const all = alterBrokerConfigs(resolved, entries.map(([name, value]) => ({ name, value })), target);
  if (all.ok) return all.resolved;
  // Keep what still validates, one key at a time.
  let current = resolved;
  for (const [name, value] of entries) {
    const one = alterBrokerConfigs(current, [{ name, value }], target);
    if (one.ok) current = one.resolved;
    else logger.warn({ key: name, value, reason: one.errorMessage }, 'dropping a stored dynamic broker config that no longer applies');
  }
  return current;
}
