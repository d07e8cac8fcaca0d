/**
 * InitProducerId over a real socket at every version, and through KafkaJS's idempotent producer.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Broker } from '../../../src/broker.js';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { defaultInitProducerIdRequest, type InitProducerIdRequest } from '../../../src/protocol/generated/messages/init-producer-id.js';
import { kafkaFor } from '../../helpers/kafka.js';
import { WireClient } from '../../helpers/wire-client.js';
import { tempDir } from '../../storage/helpers.js';
import { createTopic } from '../fetch/fixture.js';

let broker: Broker;
let client: WireClient;

beforeAll(async () => {
  broker = await Broker.start({ port: 0, storage: 'memory' });
  client = await WireClient.connect(broker.port);
});

afterAll(async () => {
  client.close();
  await broker.stop();
});

function req(over: Partial<InitProducerIdRequest> = {}): InitProducerIdRequest {
  return { ...defaultInitProducerIdRequest(), transactionalId: null, transactionTimeoutMs: 60_000, ...over };
}

describe('InitProducerId', () => {
  it('v0-6: an idempotent producer gets a new id with epoch 0 each time', async () => {
    const ids = new Set<bigint>();
    for (let v = 0; v <= 6; v++) {
      const r = await client.send(ApiKey.InitProducerId, v, req());
      expect(r).toMatchObject({ errorCode: ErrorCode.None, producerEpoch: 0, throttleTimeMs: 0 });
      expect(r.producerId).toBeGreaterThanOrEqual(0n);
      ids.add(r.producerId);
    }
    expect(ids.size).toBe(7);
    const v6 = await client.send(ApiKey.InitProducerId, 6, req());
    expect(v6).toMatchObject({ ongoingTxnProducerId: -1n, ongoingTxnProducerEpoch: -1 });
  });

  it('v3+: the id and epoch held by the client are both set or both -1 (else INVALID_REQUEST)', async () => {
    const held = await client.send(ApiKey.InitProducerId, 4, req());
    const again = await client.send(ApiKey.InitProducerId, 4, req({ producerId: held.producerId, producerEpoch: 0 }));
    expect(again.errorCode).toBe(ErrorCode.None);
    expect(again.producerId).not.toBe(held.producerId);
    expect(await client.send(ApiKey.InitProducerId, 3, req({ producerId: held.producerId, producerEpoch: -1 }))).toMatchObject({
      errorCode: ErrorCode.InvalidRequest,
      producerId: -1n,
      producerEpoch: -1,
    });
  });

  it('transactional ids: an id and epoch bumped on each init; bad ids and timeouts refused', async () => {
    const first = await client.send(ApiKey.InitProducerId, 1, req({ transactionalId: 'tx' }));
    expect(first).toMatchObject({ errorCode: ErrorCode.None, producerEpoch: 0 });
    for (let v = 0; v <= 6; v++) {
      expect(await client.send(ApiKey.InitProducerId, v, req({ transactionalId: 'tx' }))).toMatchObject({ errorCode: ErrorCode.None, producerId: first.producerId, producerEpoch: v + 1 });
    }
    expect((await client.send(ApiKey.InitProducerId, 2, req({ transactionalId: '' }))).errorCode).toBe(ErrorCode.InvalidRequest);
    expect((await client.send(ApiKey.InitProducerId, 5, req({ transactionalId: 'tx', transactionTimeoutMs: 3_600_000 }))).errorCode).toBe(ErrorCode.InvalidTransactionTimeout);
  });

  it('v3+ (KIP-360): a retry of a bump gets the same epoch; a stale epoch is PRODUCER_FENCED from v4, INVALID_PRODUCER_EPOCH before', async () => {
    const first = await client.send(ApiKey.InitProducerId, 4, req({ transactionalId: 'kip360' }));
    const held = { producerId: first.producerId, producerEpoch: first.producerEpoch };
    const bumped = await client.send(ApiKey.InitProducerId, 4, req({ transactionalId: 'kip360', ...held }));
    expect(bumped).toMatchObject({ errorCode: ErrorCode.None, producerId: first.producerId, producerEpoch: 1 });
    expect(await client.send(ApiKey.InitProducerId, 4, req({ transactionalId: 'kip360', ...held }))).toMatchObject({ errorCode: ErrorCode.None, producerEpoch: 1 });
    const stale = { producerId: first.producerId, producerEpoch: 9 };
    expect((await client.send(ApiKey.InitProducerId, 3, req({ transactionalId: 'kip360', ...stale }))).errorCode).toBe(ErrorCode.InvalidProducerEpoch);
    expect((await client.send(ApiKey.InitProducerId, 4, req({ transactionalId: 'kip360', ...stale }))).errorCode).toBe(ErrorCode.ProducerFenced);
  });

  it('v6: two-phase commit (enable2Pc) is refused with TRANSACTIONAL_ID_AUTHORIZATION_FAILED', async () => {
    expect(await client.send(ApiKey.InitProducerId, 6, req({ transactionalId: 'tx-2pc', enable2Pc: true }))).toMatchObject({ errorCode: ErrorCode.TransactionalIdAuthorizationFailed, producerId: -1n, ongoingTxnProducerId: -1n });
  });

  it('KafkaJS idempotent producer (InitProducerId v1) and ids not reused after a restart on disk', async () => {
    const d = await tempDir('gregor-pid-');
    try {
      let b = await Broker.start({ port: 0, dataDir: d.path });
      await createTopic(b, 'pid', 1);
      const producer = kafkaFor(b).producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      await producer.send({ topic: 'pid', acks: -1, messages: [{ value: 'x' }] });
      await producer.disconnect();
      const first = (await b.services.produce.producerState('pid', 0))!.activeProducers();
      expect(first.size).toBe(1);
      const used = [...first.keys()][0];
      await b.stop();
      b = await Broker.start({ port: 0, dataDir: d.path });
      const c = await WireClient.connect(b.port);
      const r = await c.send(ApiKey.InitProducerId, 0, req());
      c.close();
      await b.stop();
      expect(r.producerId).toBeGreaterThan(used);
    } finally {
      await d.remove();
    }
  });
});
