/**
 * What the admin APIs change survives a restart on disk: topics with their ids, partition counts
 * and config overrides (the metadata log), deletions, and dynamic broker configs (the
 * dynamic-config log).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin, ConfigResourceTypes } from '@platformatic/kafka';
import type { Broker } from '../../src/broker.js';
import { ApiKey } from '../../src/protocol/generated/api-table.js';
import { defaultIncrementalAlterConfigsRequest } from '../../src/protocol/generated/messages/incremental-alter-configs.js';
import { startBroker } from '../helpers/kafka.js';
import { WireClient } from '../helpers/wire-client.js';

let dir: string | undefined;
let broker: Broker | undefined;
let admin: Admin | undefined;
afterEach(async () => {
  await admin?.close();
  await broker?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
  admin = undefined;
  broker = undefined;
  dir = undefined;
});

async function start(dataDir: string): Promise<Admin> {
  broker = await startBroker({ dataDir, config: { 'num.partitions': 2 } });
  admin = new Admin({ clientId: 'restart-test', bootstrapBrokers: [broker.bootstrap], retries: 2, retryDelay: 20 });
  return admin;
}

async function restart(dataDir: string): Promise<Admin> {
  await admin!.close();
  await broker!.stop();
  return start(dataDir);
}

describe('admin changes across a restart (disk)', () => {
  it('brings back topics, ids, partitions, overrides and dynamic broker configs', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gregor-restart-'));
    let a = await start(dir);
    const created = await a.createTopics({ topics: ['keep', 'grow', 'drop'], configs: [{ name: 'retention.ms', value: '3600000' }] });
    const ids = Object.fromEntries(created.map((t) => [t.name, t.id]));
    await a.createPartitions({ topics: [{ name: 'grow', count: 5 }] });
    await a.incrementalAlterConfigs({
      resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: 'keep', configs: [{ name: 'cleanup.policy', configOperation: 0, value: 'compact' }] }],
    });
    await a.deleteTopics({ topics: ['drop'] });
    const nodeId = String(broker!.services.nodeId);
    await a.incrementalAlterConfigs({
      resources: [
        { resourceType: ConfigResourceTypes.BROKER, resourceName: nodeId, configs: [{ name: 'log.retention.bytes', configOperation: 0, value: '5000000' }] },
      ],
    });
    // The cluster-wide default level (resource name ""), which neither @platformatic/kafka nor KafkaJS can address.
    const wire = await WireClient.connect(broker!.port);
    const altered = await wire.send(ApiKey.IncrementalAlterConfigs, 1, {
      ...defaultIncrementalAlterConfigsRequest(),
      resources: [
        {
          resourceType: ConfigResourceTypes.BROKER,
          resourceName: '',
          configs: [{ name: 'message.max.bytes', configOperation: 0, value: '2000000', _unknownTaggedFields: undefined }],
          _unknownTaggedFields: undefined,
        },
      ],
    });
    wire.close();
    expect(altered.responses[0].errorCode).toBe(0);

    a = await restart(dir);

    expect(await a.listTopics()).toEqual(['grow', 'keep']);
    const m = await a.metadata({ topics: ['keep', 'grow'] });
    expect(m.topics.get('keep')!.id).toBe(ids.keep);
    expect(m.topics.get('grow')!.id).toBe(ids.grow);
    expect(m.topics.get('keep')!.partitionsCount).toBe(2);
    expect(m.topics.get('grow')!.partitionsCount).toBe(5);
    expect(broker!.services.logs.get('grow', 4)).toBeDefined();
    expect(broker!.services.logs.get('drop', 0)).toBeUndefined();

    const [keep] = await a.describeConfigs({
      resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: 'keep', configurationKeys: ['retention.ms', 'cleanup.policy', 'max.message.bytes', 'retention.bytes'] }],
    });
    const values = Object.fromEntries(keep.configs.map((c) => [c.name, [c.value, c.configSource]]));
    expect(values).toEqual({
      'retention.ms': ['3600000', 1],
      'cleanup.policy': ['compact', 1],
      'max.message.bytes': ['2000000', 3],
      'retention.bytes': ['5000000', 2],
    });
    expect(broker!.services.logs.get('keep', 0)!.config).toMatchObject({ retentionMs: 3600000, retentionBytes: 5000000 });

    const [brokerConfigs] = await a.describeConfigs({
      resources: [{ resourceType: ConfigResourceTypes.BROKER, resourceName: nodeId, configurationKeys: ['log.retention.bytes', 'message.max.bytes'] }],
    });
    expect(Object.fromEntries(brokerConfigs.configs.map((c) => [c.name, [c.value, c.configSource]]))).toEqual({
      'log.retention.bytes': ['5000000', 2],
      'message.max.bytes': ['2000000', 3],
    });

    // A topic created after the restart gets a new id; the old names keep theirs.
    const [again] = await a.createTopics({ topics: ['drop'] });
    expect(again.id).not.toBe(ids.drop);
  });
});
