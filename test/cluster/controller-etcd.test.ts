/**
 * The controller over the etcd store, on a real etcd on loopback: the same decisions as over the
 * memory store, with a real watch, real compare-and-swap and brokers leaving through etcd.
 */
import { afterEach, expect, test } from '@jest/globals';
import { Controller } from '../../src/cluster/controller.js';
import { EtcdClusterStore } from '../../src/cluster/etcd-cluster-store.js';
import { resolveBrokerConfig } from '../../src/config/broker-config.js';
import type { PartitionState } from '../../src/metadata/partition-state.js';
import { ErrorCode } from '../../src/protocol/generated/errors.js';
import { systemClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { EtcdServer } from '../helpers/etcd.js';

let etcd: EtcdServer | undefined;
const stores: EtcdClusterStore[] = [];
let controller: Controller | undefined;

afterEach(async () => {
  await controller?.stop();
  for (const s of stores.splice(0)) await s.close({ graceful: true }).catch(() => undefined);
  await etcd?.stop();
  etcd = undefined;
});

/** Polls until `condition` holds; the test's own timeout bounds it. */
async function until(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 20));
}

test('creates topics, re-elects leaders when a broker leaves and moves leadership on controlled shutdown, all through etcd', async () => {
  const server = await EtcdServer.start();
  etcd = server;
  for (const nodeId of [1, 2, 3]) {
    const store = await EtcdClusterStore.connect({ endpoints: [server.endpoint], clusterId: 'controller-test' });
    await store.register({ nodeId, host: '127.0.0.1', port: 9090 + nodeId, rack: null });
    stores.push(store);
  }
  const [own, second, third] = stores;
  const config = resolveBrokerConfig({ flags: { 'node.id': '1' } });
  const c = new Controller({ store: own, nodeId: 1, brokerConfig: () => config, clock: systemClock, logger: silentLogger, random: () => 0 });
  controller = c;
  await own.campaign(1, () => void c.stop());
  await c.start();

  const [created] = await c.createTopics([{ name: 't', numPartitions: 2, replicationFactor: 3, configs: new Map(), validateOnly: false }]);
  expect(created.errorCode).toBe(ErrorCode.None);
  const [again] = await c.createTopics([{ name: 't', numPartitions: 1, replicationFactor: 1, configs: new Map(), validateOnly: false }]);
  expect(again.errorCode).toBe(ErrorCode.TopicAlreadyExists);
  const state = async (p: number): Promise<PartitionState | null> => third.partitionState('t', p);
  expect(await state(1)).toMatchObject({ leader: 2, leaderEpoch: 0, isr: [2, 3, 1], replicas: [2, 3, 1] });

  await second.unregister();
  await until(async () => (await state(1))?.leader === 3);
  expect(await state(1)).toMatchObject({ leader: 3, leaderEpoch: 1, isr: [3, 1] });
  await until(async () => (await state(0))?.isr.length === 2);
  expect(await state(0)).toMatchObject({ leader: 1, leaderEpoch: 0, isr: [1, 3] });

  const shutdown = await c.controlledShutdown(3);
  expect(shutdown).toEqual({ errorCode: ErrorCode.None, errorMessage: null, remaining: [] });
  expect(await state(1)).toMatchObject({ leader: 1, leaderEpoch: 2, isr: [1] });

  const [deleted] = await c.deleteTopics(['t']);
  expect(deleted.errorCode).toBe(ErrorCode.None);
  expect(await third.topics()).toEqual([]);
});
