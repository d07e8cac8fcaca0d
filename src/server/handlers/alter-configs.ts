/**
 * AlterConfigs v0-2 (the original, non-incremental form, superseded by IncrementalAlterConfigs):
 * each resource's config set is replaced as a whole; keys not named go back to their default.
 * - TOPIC: the named configs become the topic's whole override set (validated as CreateTopics
 *   validates them: INVALID_CONFIG with Kafka's message); the partition logs take the new config
 *   at once. "" is INVALID_REQUEST; an illegal name INVALID_TOPIC_EXCEPTION; an unknown topic
 *   UNKNOWN_TOPIC_OR_PARTITION.
 * - BROKER: the named configs become the whole dynamic layer, per broker (resource name = node id)
 *   or cluster-wide (""); only dynamically updatable keys (INVALID_REQUEST otherwise, with Kafka's
 *   "Cannot update these configs dynamically" message); another node id is INVALID_REQUEST. Kept
 *   in the `dynamic-config` state log, so they survive a restart, as in Kafka.
 * - Checks first, as Kafka's broker does: a resource named twice (each: INVALID_REQUEST), a key named
 *   twice, a null value; BROKER_LOGGER and unknown types: INVALID_REQUEST "Unknown resource type";
 *   CLIENT_METRICS and GROUP are not supported (INVALID_REQUEST).
 * - validateOnly checks everything and changes nothing. v1 throttles after answering; v2 flexible.
 * Not implemented: alter.config.policy.class.name (POLICY_VIOLATION never happens), authorization.
 */
import { ConfigResourceType } from '../../config/config-def.js';
import { ApiKey } from '../../protocol/generated/api-table.js';
import {
  defaultAlterConfigsResponse,
  defaultAlterConfigsResponseAlterConfigsResourceResponse,
  type AlterConfigsRequestAlterConfigsResource,
} from '../../protocol/generated/messages/alter-configs.js';
import { alterEachResource, fail, OK, preprocessResource, type ConfigResourceOutcome } from '../config-resources.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { defineHandler, type RequestContext } from '../handler.js';

async function alter(resource: AlterConfigsRequestAlterConfigsResource, validateOnly: boolean, ctx: RequestContext): Promise<ConfigResourceOutcome> {
  const refused = preprocessResource(resource, ctx.services.nodeId, true);
  if (refused) return refused;
  const configs = new Map(resource.configs.map((c) => [c.name, c.value as string]));
  if (resource.resourceType === ConfigResourceType.TOPIC) {
    const r = await ctx.services.metadata.setTopicOverrides(resource.resourceName, configs, validateOnly);
    return r.errorCode === ErrorCode.None ? OK : r;
  }
  const r = await ctx.services.dynamicConfig.replace(configs, { perBroker: resource.resourceName !== '' }, validateOnly);
  return r.ok ? OK : fail(r.errorCode, r.errorMessage);
}

export const alterConfigs = defineHandler({
  apiKey: ApiKey.AlterConfigs,
  minVersion: 0,
  maxVersion: 2,
  async handle(request, ctx) {
    const response = defaultAlterConfigsResponse();
    for (const outcome of await alterEachResource(request.resources, (resource) => alter(resource, request.validateOnly, ctx))) {
      response.responses.push({ ...defaultAlterConfigsResponseAlterConfigsResourceResponse(), ...outcome });
    }
    return response;
  },
});
