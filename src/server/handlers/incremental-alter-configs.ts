/**
 * IncrementalAlterConfigs v0-1 (KIP-339): changes individual config keys of a resource, leaving the
 * others as they are. Operations: 0 SET, 1 DELETE (back to the broker or default value), 2 APPEND
 * and 3 SUBTRACT (LIST keys only: INVALID_CONFIG otherwise, as Kafka); another code is
 * INVALID_REQUEST.
 * - TOPIC: the operations apply to the topic's overrides (src/config applyTopicConfigOps), the
 *   result is validated as a whole (INVALID_CONFIG with Kafka's message) and becomes the topic's
 *   override set; the partition logs follow at once. "" is INVALID_REQUEST; an illegal name
 *   INVALID_TOPIC_EXCEPTION; an unknown topic UNKNOWN_TOPIC_OR_PARTITION.
 * - BROKER: the operations apply to the dynamic layer, per broker (resource name = node id) or
 *   cluster-wide (""); only dynamically updatable keys (INVALID_REQUEST otherwise); persisted in
 *   the `dynamic-config` state log, so they survive a restart, as in Kafka.
 * - Checks first, as Kafka's broker does: a resource named twice (each: INVALID_REQUEST), a key named
 *   twice, a null value for anything but DELETE.
 * - BROKER_LOGGER (log4j levels), CLIENT_METRICS and GROUP are not supported: INVALID_REQUEST.
 * - validateOnly checks everything and changes nothing. v1 flexible.
 * Not implemented: alter.config.policy.class.name (POLICY_VIOLATION never happens), authorization.
 */
import { ConfigResourceType } from '../../config/config-def.js';
import { applyTopicConfigOps } from '../../config/topic-config.js';
import { ApiKey } from '../../protocol/generated/api-table.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  defaultIncrementalAlterConfigsResponse,
  defaultIncrementalAlterConfigsResponseAlterConfigsResourceResponse,
  type IncrementalAlterConfigsRequestAlterConfigsResource,
} from '../../protocol/generated/messages/incremental-alter-configs.js';
import { alterEachResource, fail, OK, preprocessResource, type ConfigResourceOutcome } from '../config-resources.js';
import { defineHandler, type RequestContext } from '../handler.js';

async function alter(resource: IncrementalAlterConfigsRequestAlterConfigsResource, validateOnly: boolean, ctx: RequestContext): Promise<ConfigResourceOutcome> {
  const refused = preprocessResource(resource, ctx.services.nodeId, false);
  if (refused) return refused;
  const ops = resource.configs.map((c) => ({ name: c.name, configOperation: c.configOperation, value: c.value }));
  if (resource.resourceType === ConfigResourceType.TOPIC) {
    const store = ctx.services.metadata;
    const applied = applyTopicConfigOps(store.topic(resource.resourceName)?.overrides ?? new Map<string, string>(), ops);
    if (!applied.ok) return fail(applied.errorCode, applied.errorMessage);
    const r = await store.setTopicOverrides(resource.resourceName, applied.configs, validateOnly);
    return r.errorCode === ErrorCode.None ? OK : r;
  }
  const r = await ctx.services.dynamicConfig.applyOps(ops, { perBroker: resource.resourceName !== '' }, validateOnly);
  return r.ok ? OK : fail(r.errorCode, r.errorMessage);
}

export const incrementalAlterConfigs = defineHandler({
  apiKey: ApiKey.IncrementalAlterConfigs,
  minVersion: 0,
  maxVersion: 1,
  async handle(request, ctx) {
    const response = defaultIncrementalAlterConfigsResponse();
    for (const outcome of await alterEachResource(request.resources, (resource) => alter(resource, request.validateOnly, ctx))) {
      response.responses.push({ ...defaultIncrementalAlterConfigsResponseAlterConfigsResourceResponse(), ...outcome });
    }
    return response;
  },
});
