import { describe, expect, it } from '@jest/globals';
import { AUTHORIZED_OPERATIONS_OMITTED, CLUSTER_AUTHORIZED_OPERATIONS, TOPIC_AUTHORIZED_OPERATIONS } from '../../src/server/authorized-operations.js';

describe('authorized operations', () => {
  it("are Kafka's bit fields of every supported operation when no authorizer is configured", () => {
    // What a Kafka broker without an authorizer reports (KIP-430).
    expect(TOPIC_AUTHORIZED_OPERATIONS).toBe(3576);
    expect(CLUSTER_AUTHORIZED_OPERATIONS).toBe(8096);
    expect(AUTHORIZED_OPERATIONS_OMITTED).toBe(-(2 ** 31));
  });
});
