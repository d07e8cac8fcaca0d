/**
 * ApiVersions v0-4. What the broker advertises is exactly the handlers registered in index.ts,
 * with their declared version ranges.
 * - v0-2: plain response; v1 adds throttleTimeMs.
 * - v3+: flexible; the client sends its software name and version (KIP-511), and the response
 *   carries feature levels (KIP-584): while ConsumerGroupHeartbeat is served, the feature
 *   `group.version` is finalized at level 1 (KIP-848's new consumer protocol; the Java client checks
 *   it before using that protocol) and supported from 0 to 1. Before v4 a supported feature whose
 *   minimum is 0 is left out, as Kafka does (KAFKA-17011); the finalized level is always reported.
 * - The response header is always v0 (codec), and an unknown version gets a v0 answer with
 *   UNSUPPORTED_VERSION from the dispatcher.
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { defaultApiVersionsResponse } from '../../protocol/generated/messages/api-versions.js';
import { defineHandler } from '../handler.js';

/** The epoch of the finalized features: they never change while the broker runs. */
const FINALIZED_FEATURES_EPOCH = 1n;

export const apiVersions = defineHandler({
  apiKey: ApiKey.ApiVersions,
  minVersion: 0,
  maxVersion: 4,
  handle(_request, ctx) {
    const response = defaultApiVersionsResponse();
    response.errorCode = ErrorCode.None;
    response.apiKeys = ctx.services.apiVersions.map((v) => ({ ...v, _unknownTaggedFields: undefined }));
    response.finalizedFeaturesEpoch = -1n;
    if (ctx.apiVersion >= 3 && ctx.services.apiVersions.some((v) => v.apiKey === ApiKey.ConsumerGroupHeartbeat)) {
      if (ctx.apiVersion >= 4) response.supportedFeatures = [{ name: 'group.version', minVersion: 0, maxVersion: 1, _unknownTaggedFields: undefined }];
      response.finalizedFeaturesEpoch = FINALIZED_FEATURES_EPOCH;
      response.finalizedFeatures = [{ name: 'group.version', maxVersionLevel: 1, minVersionLevel: 1, _unknownTaggedFields: undefined }];
    }
    return response;
  },
});
