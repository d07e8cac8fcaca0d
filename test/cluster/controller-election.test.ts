import { describe, expect, it } from '@jest/globals';
import { ControllerElection } from '../../src/cluster/controller-election.js';
import { MemoryCluster, type MemoryClusterStore } from '../../src/cluster/memory-cluster-store.js';
import { resolveBrokerConfig } from '../../src/config/broker-config.js';
import { ErrorCode } from '../../src/protocol/generated/errors.js';
import { ManualClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (condition()) return;
    await settle();
  }
  throw new Error(`never happened: ${what}`);
}

describe('controller election', () => {
  it('runs the controller on the elected broker only, and on the next one when it is gone', async () => {
    const clock = new ManualClock();
    const shared = new MemoryCluster('c1');
    const stores: MemoryClusterStore[] = [];
    const elections: ControllerElection[] = [];
    for (const nodeId of [1, 2]) {
      const store = shared.connect();
      await store.register({ nodeId, host: 'localhost', port: 9090 + nodeId, rack: null });
      stores.push(store);
      const config = resolveBrokerConfig({ flags: { 'node.id': String(nodeId) } });
      const election = new ControllerElection({ store, nodeId, brokerConfig: () => config, clock, logger: silentLogger });
      election.start();
      elections.push(election);
    }
    const [first, second] = elections;
    await until(() => first.controller !== undefined, 'broker 1 controls');
    expect(second.controller).toBeUndefined();
    const [created] = (await first.controller?.createTopics([{ name: 't', numPartitions: 1, replicationFactor: 2, configs: new Map(), validateOnly: false }])) ?? [];
    expect(created.errorCode).toBe(ErrorCode.None);

    shared.expire(1);
    await until(() => second.controller !== undefined, 'broker 2 controls');
    expect(first.controller).toBeUndefined();
    await until(() => second.controller?.partitionState('t', 0)?.leader === 2, 'broker 2 leads t-0');

    await second.close();
    await until(() => first.controller !== undefined, 'broker 1 controls again');
    expect((await stores[0].controller())?.nodeId).toBe(1);
    await first.close();
    expect(await stores[1].controller()).toBeNull();
    for (const s of stores) await s.close({ graceful: true });
  });
});
