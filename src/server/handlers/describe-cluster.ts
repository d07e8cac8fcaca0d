/**
 * DescribeCluster v0-2 (KIP-700): the cluster id, the controller and the brokers; the Java admin
 * client's describeCluster uses it instead of Metadata.
 * - v0 (flexible): brokers with host, port and rack; the cluster's authorized operations when asked
 *   (no authorizer, so every cluster operation), INT32_MIN when not.
 * - v1: endpointType (KIP-919). This is a broker endpoint: 1 (brokers) is served; 2 (controllers)
 *   is MISMATCHED_ENDPOINT_TYPE and any other value UNSUPPORTED_ENDPOINT_TYPE, as Kafka's brokers
 *   answer (INVALID_REQUEST for both in v0, which cannot carry these codes).
 * - v2: includeFencedBrokers and isFenced (this broker is never fenced).
 * The controller id is this broker's node id: it is its own controller.
 */
import { ApiKey } from '../../protocol/generated/api-table.js';
import { ErrorCode } from '../../protocol/generated/errors.js';
import { defaultDescribeClusterResponse, defaultDescribeClusterResponseDescribeClusterBroker } from '../../protocol/generated/messages/describe-cluster.js';
import { AUTHORIZED_OPERATIONS_OMITTED, CLUSTER_AUTHORIZED_OPERATIONS } from '../authorized-operations.js';
import { defineHandler } from '../handler.js';

const EndpointType = { BROKER: 1, CONTROLLER: 2 } as const;

export const describeCluster = defineHandler({
  apiKey: ApiKey.DescribeCluster,
  minVersion: 0,
  maxVersion: 2,
  handle(request, ctx) {
    const { services } = ctx;
    const response = defaultDescribeClusterResponse();
    if (request.endpointType !== EndpointType.BROKER) {
      const known = request.endpointType === EndpointType.CONTROLLER;
      response.errorCode = ctx.apiVersion === 0 ? ErrorCode.InvalidRequest : known ? ErrorCode.MismatchedEndpointType : ErrorCode.UnsupportedEndpointType;
      response.errorMessage = known
        ? 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER'
        : `Unsupported endpoint type ${request.endpointType}`;
      return response;
    }
    response.endpointType = EndpointType.BROKER;
    response.clusterId = services.clusterId;
    response.controllerId = services.cluster.controllerId();
    // Only live (registered) brokers are in the view, so none is fenced.
    response.brokers = services.cluster.brokers().map((b) => ({
      ...defaultDescribeClusterResponseDescribeClusterBroker(),
      brokerId: b.nodeId,
      host: b.host,
      port: b.port,
      rack: b.rack,
      isFenced: false,
    }));
    response.clusterAuthorizedOperations = request.includeClusterAuthorizedOperations ? CLUSTER_AUTHORIZED_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED;
    return response;
  },
});
