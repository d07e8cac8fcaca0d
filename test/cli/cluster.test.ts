/**
 * `gregor cluster` in-process against an in-process broker: the summary, kafka-broker-api-versions'
 * block with the versions the broker advertises, and json output.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Broker } from '../../src/broker.js';
import { runCluster } from '../../src/cli/cluster.js';
import { Admin } from '../../src/client/admin.js';
import { gregorVersion } from '../../src/cli/version.js';
import { ApiKey } from '../../src/protocol/generated/api-table.js';
import type { ApiVersionsResponse } from '../../src/protocol/generated/messages/api-versions.js';
import { WireClient } from '../helpers/wire-client.js';
import { startBroker } from '../helpers/kafka.js';
import { runTool } from './in-process.js';

let broker: Broker;
let bs: string[];
let clusterId: string | null;

beforeAll(async () => {
  broker = await startBroker();
  bs = ['--bootstrap-server', broker.bootstrap];
  const admin = new Admin({ bootstrapServers: broker.bootstrap });
  clusterId = (await admin.describeCluster()).clusterId;
  await admin.close();
}, 30_000);

afterAll(async () => {
  await broker.stop();
});

const run = (...argv: string[]) => runTool(runCluster, [...bs, ...argv]);

/** The broker's own ApiVersions answer, read with the codec rather than the client under test. */
async function advertised(): Promise<ApiVersionsResponse> {
  const c = await WireClient.connect(broker.port);
  try {
    return await c.send(ApiKey.ApiVersions, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1', _unknownTaggedFields: undefined });
  } finally {
    c.close();
  }
}

describe('gregor cluster', () => {
  it('prints the cluster id, the brokers with the controller marked, and the tool version', async () => {
    const r = await run();
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`CLUSTER\n=======\n${clusterId}\n`);
    expect(r.stdout).toContain(`BROKERS\n=======\nID  HOST       PORT`);
    expect(r.stdout).toMatch(new RegExp(`\\n1\\*  127\\.0\\.0\\.1  ${broker.port}\\n`));
    expect(r.stdout).toContain('CONTROLLER\n==========\n1\n');
    expect(r.stdout).toContain(`gregor ${gregorVersion()}\n`);
  });

  it("prints kafka-broker-api-versions' block with the ranges the broker advertises", async () => {
    const r = await run('--api-versions');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`127.0.0.1:${broker.port} (id: 1 rack: null) -> (`);
    expect(lines.at(-1)).toBe(')');
    const produce = (await advertised()).apiKeys.find((k) => k.apiKey === ApiKey.Produce)!;
    expect(lines[1]).toBe(`\tProduce(0): ${produce.minVersion} to ${produce.maxVersion} [usable: ${Math.min(produce.maxVersion, 12)}],`);
    for (const line of lines.slice(1, -1)) expect(line).toMatch(/^\t\w+\(\d+\): (\d+( to \d+)? \[(usable: \d+|unusable: node too (old|new))\]|UNSUPPORTED),?$/);
  });

  it('prints json with every broker and api', async () => {
    const doc = JSON.parse((await run('--format', 'json')).stdout) as {
      clusterId: string;
      controller: number;
      brokers: { id: number; port: number; apis: { key: number; maxVersion: number | null; usable: number | null }[] }[];
      finalizedFeatures: { name: string }[];
    };
    expect(doc).toMatchObject({ clusterId: clusterId, controller: 1, brokers: [{ id: 1, port: broker.port }] });
    const fetch = doc.brokers[0].apis.find((a) => a.key === ApiKey.Fetch)!;
    expect(fetch.usable).toBe(17);
    expect(doc.finalizedFeatures.map((f) => f.name)).toContain('group.version');
  });
});
