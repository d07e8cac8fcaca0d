/**
 * ApiVersions v0-4. What the broker advertises is exactly the handlers registered in index.ts,
 * with their declared version ranges.
 * - v0-2: plain response; v1 adds throttleTimeMs.
 * - v3+: flexible; the client sends its software name and version (KIP-511), and the response may
 *   carry feature levels (none are finalized here).
 * - The response header is always v0 (codec), and an unknown version gets a v0 answer with
 *   UNSUPPORTED_VERSION from the dispatcher.
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { defaultApiVersionsResponse } from '../../protocol/generated/messages/api-versions.js';
import { defineHandler } from '../handler.js';

export const apiVersions = defineHandler({
  apiKey: ApiKey.ApiVersions,
  minVersion: 0,
  maxVersion: 4,
  handle(_request, ctx) {
    const response = defaultApiVersionsResponse();
    response.errorCode = ErrorCode.None;
    response.apiKeys = ctx.services.apiVersions.map((v) => ({ ...v, _unknownTaggedFields: undefined }));
    response.finalizedFeaturesEpoch = -1n;
    return response;
  },
});
