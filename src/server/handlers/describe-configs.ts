/**
 * DescribeConfigs v0-4: the configuration of topics and of the broker, built by src/config as
 * Kafka's ConfigHelper builds it.
 * - TOPIC: every topic config with its effective value and source (TOPIC_CONFIG for an override,
 *   else the broker setting it comes from, else DEFAULT_CONFIG). Illegal name:
 *   INVALID_TOPIC_EXCEPTION; unknown topic: UNKNOWN_TOPIC_OR_PARTITION.
 * - BROKER: with this node's id, every broker config (static, dynamic and defaults; sensitive
 *   values hidden); with "", the dynamic cluster-wide defaults only; another id or a non-number:
 *   INVALID_REQUEST, as Kafka.
 * - BROKER_LOGGER (Kafka's log4j levels), CLIENT_METRICS and GROUP resources are not supported:
 *   INVALID_REQUEST "Unsupported resource type", which is Kafka's answer for a resource type it does
 *   not serve. An unknown type id fails the whole request with INVALID_REQUEST, as in Kafka.
 * - configurationKeys filters the entries (null or empty: all).
 * - v0 reports isDefault; v1+ the source and, when asked, synonyms (Kafka's order: dynamic broker,
 *   dynamic default, static, default; topic override first). v2 throttles after answering.
 *   v3: includeDocumentation, and each entry's type. v4 flexible.
 * Not implemented: authorization.
 */
import {
  ConfigResourceType,
  describeBrokerConfigs,
  describeTopicConfigs,
  type DescribeConfigsResourceResult,
} from '../../config/index.js';
import { ApiKey } from '../../protocol/generated/api-table.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import {
  defaultDescribeConfigsResponse,
  defaultDescribeConfigsResponseDescribeConfigsResourceResult,
  defaultDescribeConfigsResponseDescribeConfigsResult,
  defaultDescribeConfigsResponseDescribeConfigsSynonym,
  errorResponseDescribeConfigsResponse,
  type DescribeConfigsRequestDescribeConfigsResource,
  type DescribeConfigsResponseDescribeConfigsResult,
} from '../../protocol/generated/messages/describe-configs.js';
import { topicNameProblem } from '../../protocol/topic-name.js';
import { defineHandler, type RequestContext } from '../handler.js';

const TYPE_NAMES = new Map<number, string>(Object.entries(ConfigResourceType).map(([name, id]) => [id, name]));

function resourceError(resource: DescribeConfigsRequestDescribeConfigsResource, errorCode: number, errorMessage: string | null): DescribeConfigsResponseDescribeConfigsResult {
  return {
    ...defaultDescribeConfigsResponseDescribeConfigsResult(),
    errorCode,
    errorMessage,
    resourceType: resource.resourceType,
    resourceName: resource.resourceName,
    configs: [],
  };
}

function toResponse(resource: DescribeConfigsRequestDescribeConfigsResource, r: DescribeConfigsResourceResult): DescribeConfigsResponseDescribeConfigsResult {
  return {
    ...defaultDescribeConfigsResponseDescribeConfigsResult(),
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
    resourceType: resource.resourceType,
    resourceName: resource.resourceName,
    configs: r.configs.map((c) => ({
      ...defaultDescribeConfigsResponseDescribeConfigsResourceResult(),
      name: c.name,
      value: c.value,
      readOnly: c.readOnly,
      isDefault: c.isDefault,
      configSource: c.configSource,
      isSensitive: c.isSensitive,
      synonyms: c.synonyms.map((s) => ({ ...defaultDescribeConfigsResponseDescribeConfigsSynonym(), name: s.name, value: s.value, source: s.source })),
      configType: c.configType,
      documentation: c.documentation,
    })),
  };
}

function describe(resource: DescribeConfigsRequestDescribeConfigsResource, includeSynonyms: boolean, includeDocumentation: boolean, ctx: RequestContext): DescribeConfigsResponseDescribeConfigsResult {
  const options = { configurationKeys: resource.configurationKeys, includeSynonyms, includeDocumentation };
  switch (resource.resourceType) {
    case ConfigResourceType.TOPIC: {
      const problem = topicNameProblem(resource.resourceName);
      if (problem !== null) return resourceError(resource, ErrorCode.InvalidTopicException, problem);
      const topic = ctx.services.metadata.topic(resource.resourceName);
      if (!topic) return resourceError(resource, ErrorCode.UnknownTopicOrPartition, null);
      return toResponse(resource, describeTopicConfigs(topic.overrides, ctx.services.brokerConfig, { ...options, topic: topic.name }));
    }
    case ConfigResourceType.BROKER:
      return toResponse(resource, describeBrokerConfigs(ctx.services.brokerConfig, { ...options, resourceName: resource.resourceName }));
    default:
      return resourceError(resource, ErrorCode.InvalidRequest, `Unsupported resource type: ${TYPE_NAMES.get(resource.resourceType)}`);
  }
}

export const describeConfigs = defineHandler({
  apiKey: ApiKey.DescribeConfigs,
  minVersion: 0,
  maxVersion: 4,
  handle(request, ctx) {
    const unknown = request.resources.find((r) => !TYPE_NAMES.has(r.resourceType) || r.resourceType === ConfigResourceType.UNKNOWN);
    if (unknown) {
      return errorResponseDescribeConfigsResponse(request, ErrorCode.InvalidRequest, `Unexpected resource type ${unknown.resourceType} for resource ${unknown.resourceName}`);
    }
    const includeSynonyms = ctx.apiVersion >= 1 && request.includeSynonyms;
    const includeDocumentation = ctx.apiVersion >= 3 && request.includeDocumentation;
    const response = defaultDescribeConfigsResponse();
    response.results = request.resources.map((r) => describe(r, includeSynonyms, includeDocumentation, ctx));
    return response;
  },
});
