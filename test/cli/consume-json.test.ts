/**
 * `gregor consume --format json` in-process against an in-process broker: one JSON object per
 * record and line, text where the bytes are UTF-8 and base64 (said so) where they are not.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Broker } from '../../src/broker.js';
import { runConsume } from '../../src/cli/consume.js';
import { Admin } from '../../src/client/admin.js';
import { Producer } from '../../src/client/producer.js';
import { startBroker } from '../helpers/kafka.js';
import { runTool } from './in-process.js';

let broker: Broker;
let bs: string[];
const T0 = 1_700_000_000_000;

beforeAll(async () => {
  broker = await startBroker();
  bs = ['--bootstrap-server', broker.bootstrap];
  const admin = new Admin({ bootstrapServers: broker.bootstrap });
  await admin.createTopics([{ name: 'mixed', numPartitions: 1 }]);
  await admin.close();
  const producer = new Producer({ bootstrapServers: broker.bootstrap });
  await producer.send({ topic: 'mixed', partition: 0, key: Buffer.from('k1'), value: Buffer.from('héllo'), timestamp: T0, headers: [{ key: 'h', value: Buffer.from('v') }] });
  await producer.send({ topic: 'mixed', partition: 0, key: null, value: Buffer.from([0xff, 0xfe, 0x00]), timestamp: T0 + 1, headers: [{ key: 'n', value: null }] });
  await producer.close();
}, 30_000);

afterAll(async () => {
  await broker.stop();
});

describe('gregor consume --format json', () => {
  it('prints JSON Lines with every field, base64 where the bytes are not UTF-8', async () => {
    const r = await runTool(runConsume, [...bs, '--topic', 'mixed', '--from-beginning', '--max-messages', '2', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('Processed a total of 2 messages\n');
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown);
    expect(lines).toEqual([
      { topic: 'mixed', partition: 0, offset: 0, timestamp: T0, timestampType: 'CreateTime', key: 'k1', value: 'héllo', headers: [{ key: 'h', value: 'v' }] },
      {
        topic: 'mixed',
        partition: 0,
        offset: 1,
        timestamp: T0 + 1,
        timestampType: 'CreateTime',
        key: null,
        value: Buffer.from([0xff, 0xfe, 0x00]).toString('base64'),
        valueEncoding: 'base64',
        headers: [{ key: 'n', value: null }],
      },
    ]);
  });

  it('refuses text formatting properties with json (usage error, exit 2)', async () => {
    const r = await runTool(runConsume, [...bs, '--topic', 'mixed', '--format', 'json', '--property', 'print.key=true']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--format json prints every field of a record');
  });
});
