/**
 * The transaction coordinator inside a broker on disk: transactional ids and their state come
 * back after a restart, and a new producer's InitProducerId continues from the stored epoch.
 */
import { describe, expect, it } from '@jest/globals';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Broker } from '../../../src/broker.js';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { defaultInitProducerIdRequest } from '../../../src/protocol/generated/messages/init-producer-id.js';
import { WireClient } from '../../helpers/wire-client.js';
import { tempDir } from '../../storage/helpers.js';

async function withBroker<T>(dir: string, run: (c: WireClient, b: Broker) => Promise<T>): Promise<T> {
  const b = await Broker.start({ port: 0, dataDir: dir });
  const c = await WireClient.connect(b.port);
  try {
    return await run(c, b);
  } finally {
    c.close();
    await b.stop();
  }
}

describe('transaction state across a broker restart', () => {
  it('ids, epochs and completed transactions are kept under __gregor_transactions', async () => {
    const d = await tempDir('gregor-txn-');
    try {
      const first = await withBroker(d.path, async (c, b) => {
        const init = await c.send(ApiKey.InitProducerId, 4, { ...defaultInitProducerIdRequest(), transactionalId: 'app', transactionTimeoutMs: 30_000 });
        expect(init.errorCode).toBe(ErrorCode.None);
        const p = { transactionalId: 'app', producerId: init.producerId, producerEpoch: init.producerEpoch };
        expect((await c.send(ApiKey.AddOffsetsToTxn, 3, { ...p, groupId: 'g', _unknownTaggedFields: undefined })).errorCode).toBe(ErrorCode.None);
        expect((await c.send(ApiKey.EndTxn, 3, { ...p, committed: true, _unknownTaggedFields: undefined })).errorCode).toBe(ErrorCode.None);
        await b.services.transactions.idle();
        await c.send(ApiKey.InitProducerId, 4, { ...defaultInitProducerIdRequest(), transactionalId: 'other', transactionTimeoutMs: 10_000 });
        return init;
      });
      expect((await readdir(join(d.path, '__gregor_transactions'))).length).toBeGreaterThan(0);
      await withBroker(d.path, async (c) => {
        const described = await c.send(ApiKey.DescribeTransactions, 0, { transactionalIds: ['app', 'other'], _unknownTaggedFields: undefined });
        expect(described.transactionStates.map((s) => [s.transactionalId, s.errorCode, s.transactionState, s.producerId, s.producerEpoch, s.transactionTimeoutMs])).toEqual([
          ['app', 0, 'CompleteCommit', first.producerId, 0, 30_000],
          ['other', 0, 'Empty', first.producerId + 1n, 0, 10_000],
        ]);
        const again = await c.send(ApiKey.InitProducerId, 4, { ...defaultInitProducerIdRequest(), transactionalId: 'app', transactionTimeoutMs: 30_000 });
        expect(again).toMatchObject({ errorCode: ErrorCode.None, producerId: first.producerId, producerEpoch: 1 });
      });
    } finally {
      await d.remove();
    }
  });
});
