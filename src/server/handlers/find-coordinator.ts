/**
 * FindCoordinator v0-6: which broker coordinates a group or a transactional id: the cluster view's
 * coordinator (on a single broker always this one, whatever the key); COORDINATOR_NOT_AVAILABLE
 * while a cluster has none.
 * - v0: one group key. v1: adds keyType (0 group, 1 transaction) and an error message.
 * - v2: same as v1. v3: flexible.
 * - v4+: several keys per request (coordinatorKeys), one result each (KIP-699). v5: same as v4.
 * - v6: keyType 2 (share groups, KIP-932).
 * Not implemented: share groups (keyType 2 answers INVALID_REQUEST, as Kafka does when share groups
 * are disabled); any other key type is INVALID_REQUEST too.
 * The error message on success is "NONE", as Kafka's `Errors.NONE.message()`.
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { defaultFindCoordinatorResponse } from '../../protocol/generated/messages/find-coordinator.js';
import { defineHandler } from '../handler.js';

const GROUP = 0;
const TRANSACTION = 1;
const SHARE = 2;

interface Lookup {
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
}

export const findCoordinator = defineHandler({
  apiKey: ApiKey.FindCoordinator,
  minVersion: 0,
  maxVersion: 6,
  handle(request, ctx) {
    const keyType = request.keyType;
    let lookup: Lookup;
    if (keyType === GROUP || keyType === TRANSACTION) {
      const coordinator = ctx.services.cluster.coordinator();
      lookup = coordinator
        ? { errorCode: ErrorCode.None, errorMessage: 'NONE', nodeId: coordinator.nodeId, host: coordinator.host, port: coordinator.port }
        : { errorCode: ErrorCode.CoordinatorNotAvailable, errorMessage: 'The coordinator is not available.', nodeId: -1, host: '', port: -1 };
    } else {
      const errorMessage = keyType === SHARE ? 'Share groups are not enabled on this broker.' : `Unknown coordinator type received: ${keyType}`;
      lookup = { errorCode: ErrorCode.InvalidRequest, errorMessage, nodeId: -1, host: '', port: -1 };
    }
    const response = defaultFindCoordinatorResponse();
    if (ctx.apiVersion >= 4) {
      response.coordinators = request.coordinatorKeys.map((key) => ({ key, ...lookup, _unknownTaggedFields: undefined }));
    } else {
      Object.assign(response, lookup);
    }
    return response;
  },
});
