/**
 * The checks AlterConfigs and IncrementalAlterConfigs make on each resource before changing
 * anything, in the order and with the messages of Kafka's broker (ConfigAdminManager.preprocess)
 * and controller (ControllerConfigurationValidator), and the resource type names used in messages.
 */
import { ConfigResourceType } from '../config/config-def.js';
import { ErrorCode } from '../protocol/generated/errors.js';
import { topicNameProblem } from '../protocol/topic-name.js';

export interface ConfigResourceOutcome {
  errorCode: number;
  errorMessage: string | null;
}

export interface AlterConfigsResourceInput {
  resourceType: number;
  resourceName: string;
  configs: readonly { name: string; value: string | null; configOperation?: number }[];
}

const DELETE_OP = 1;

/** Kafka's ConfigResource.Type names by id. */
export const CONFIG_RESOURCE_TYPE_NAMES: ReadonlyMap<number, string> = new Map(Object.entries(ConfigResourceType).map(([name, id]) => [id, name]));

export const fail = (errorCode: number, errorMessage: string | null): ConfigResourceOutcome => ({ errorCode, errorMessage });
export const OK: ConfigResourceOutcome = { errorCode: ErrorCode.None, errorMessage: null };

/** Positions of resources that appear more than once (same type and name): each gets INVALID_REQUEST. */
export function duplicateResources(resources: readonly AlterConfigsResourceInput[]): Set<number> {
  const first = new Map<string, number>();
  const dups = new Set<number>();
  resources.forEach((r, i) => {
    const key = `${r.resourceType}\u0000${r.resourceName}`;
    const seen = first.get(key);
    if (seen === undefined) first.set(key, i);
    else dups.add(seen).add(i);
  });
  return dups;
}

/**
 * The request-level checks of one resource: duplicate keys, null values (except for DELETE
 * operations), then the resource name for its type. Null when the resource may go ahead.
 * `legacy` is AlterConfigs, which never supported BROKER_LOGGER.
 */
export function preprocessResource(resource: AlterConfigsResourceInput, nodeId: number, legacy: boolean): ConfigResourceOutcome | null {
  const names = resource.configs.map((c) => c.name);
  if (new Set(names).size !== names.length) return fail(ErrorCode.InvalidRequest, 'Error due to duplicate config keys');
  const nulls = resource.configs.filter((c) => c.value === null && c.configOperation !== DELETE_OP).map((c) => c.name);
  if (nulls.length > 0) return fail(ErrorCode.InvalidRequest, `Null value not supported for : ${nulls.join(', ')}`);
  switch (resource.resourceType) {
    case ConfigResourceType.BROKER: {
      const name = resource.resourceName;
      if (name === '') return null;
      if (!/^[+-]?[0-9]+$/.test(name) || !Number.isSafeInteger(Number(name))) {
        return fail(ErrorCode.InvalidRequest, `Node id must be an integer, but it is: ${name}`);
      }
      if (Number(name) !== nodeId) return fail(ErrorCode.InvalidRequest, `Unexpected broker id, expected ${nodeId}, but received ${name}`);
      return null;
    }
    case ConfigResourceType.TOPIC: {
      if (resource.resourceName === '') return fail(ErrorCode.InvalidRequest, 'Default topic resources are not allowed.');
      const problem = topicNameProblem(resource.resourceName);
      return problem === null ? null : fail(ErrorCode.InvalidTopicException, problem);
    }
    case ConfigResourceType.BROKER_LOGGER:
      if (legacy) return fail(ErrorCode.InvalidRequest, `Unknown resource type ${resource.resourceType}`);
      return fail(ErrorCode.InvalidRequest, 'Unsupported resource type: BROKER_LOGGER');
    case ConfigResourceType.CLIENT_METRICS:
    case ConfigResourceType.GROUP:
      return fail(ErrorCode.InvalidRequest, `Unsupported resource type: ${CONFIG_RESOURCE_TYPE_NAMES.get(resource.resourceType)}`);
    default:
      return fail(ErrorCode.InvalidRequest, `Unknown resource type ${resource.resourceType}`);
  }
}

/**
 * Applies `alter` to each resource of an AlterConfigs or IncrementalAlterConfigs request, in
 * order, answering a resource named twice with INVALID_REQUEST instead, as Kafka does.
 */
export async function alterEachResource<R extends AlterConfigsResourceInput>(
  resources: readonly R[],
  alter: (resource: R) => Promise<ConfigResourceOutcome>,
): Promise<(ConfigResourceOutcome & { resourceType: number; resourceName: string })[]> {
  const duplicates = duplicateResources(resources);
  const out: (ConfigResourceOutcome & { resourceType: number; resourceName: string })[] = [];
  for (let i = 0; i < resources.length; i++) {
    const resource = resources[i];
    const outcome = duplicates.has(i) ? fail(ErrorCode.InvalidRequest, 'Each resource must appear at most once.') : await alter(resource);
    out.push({ ...outcome, resourceType: resource.resourceType, resourceName: resource.resourceName });
  }
  return out;
}
