import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { defaultDescribeLogDirsRequest, type DescribeLogDirsRequest } from '../../../src/protocol/generated/messages/describe-log-dirs.js';
import { buildRecordBatch } from '../../../src/protocol/records/index.js';
import { startHarness, type AdminHarness } from './admin-harness.js';

let h: AdminHarness | undefined;
let dir: string | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

const request = (topics: Record<string, number[]> | null): DescribeLogDirsRequest => ({
  ...defaultDescribeLogDirsRequest(),
  topics: topics === null ? null : Object.entries(topics).map(([topic, partitions]) => ({ topic, partitions, _unknownTaggedFields: undefined })),
});

async function setup(harness: AdminHarness): Promise<void> {
  const store = harness.broker.services.metadata;
  await store.createTopic({ name: 'a', numPartitions: 2, replicationFactor: 1, configs: new Map(), validateOnly: false });
  await store.createTopic({ name: 'b', numPartitions: 1, replicationFactor: 1, configs: new Map(), validateOnly: false });
  const batch = buildRecordBatch([{ value: Buffer.from('hello') }]);
  await harness.broker.services.logs.get('a', 1)!.append(batch, { leaderEpoch: 0 });
}

describe('DescribeLogDirs', () => {
  it('lists every partition of the data directory with sizes and volume space (disk)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gregor-logdirs-'));
    h = await startHarness({ dataDir: dir });
    await setup(h);
    const r = await h.call(ApiKey.DescribeLogDirs, 4, request(null));
    expect(r.errorCode).toBe(0);
    expect(r.results).toHaveLength(1);
    const d = r.results[0];
    expect(d).toMatchObject({ errorCode: 0, logDir: h.broker.services.logs.dirs[0] });
    expect(d.totalBytes).toBeGreaterThan(0n);
    expect(d.usableBytes).toBeGreaterThan(0n);
    expect(d.usableBytes).toBeLessThanOrEqual(d.totalBytes);
    const topics = Object.fromEntries(d.topics.map((t) => [t.name, t.partitions]));
    expect(Object.keys(topics).sort()).toEqual(['a', 'b']);
    expect(topics.a.map((p) => p.partitionIndex)).toEqual([0, 1]);
    expect(topics.a[0].partitionSize).toBe(0n);
    expect(topics.a[1].partitionSize).toBeGreaterThan(0n);
    expect(topics.a.every((p) => p.offsetLag === 0n && !p.isFutureKey)).toBe(true);
  });

  it('filters by the partitions named, leaving unknown ones out', async () => {
    h = await startHarness();
    await setup(h);
    const r = await h.call(ApiKey.DescribeLogDirs, 1, request({ a: [1, 7], missing: [0] }));
    expect(r.results[0].topics).toEqual([expect.objectContaining({ name: 'a', partitions: [expect.objectContaining({ partitionIndex: 1 })] })]);
  });

  it('reports one pseudo directory for memory storage', async () => {
    h = await startHarness();
    await setup(h);
    for (let version = 0; version <= 5; version++) {
      const r = await h.call(ApiKey.DescribeLogDirs, version, request(null));
      expect(r.results).toHaveLength(1);
      expect(r.results[0]).toMatchObject({ errorCode: 0, logDir: '(memory)' });
      expect(r.results[0].topics.map((t) => t.name).sort()).toEqual(['a', 'b']);
      if (version >= 4) expect(r.results[0].totalBytes).toBeGreaterThan(0n);
      else expect(r.results[0].totalBytes).toBe(-1n);
    }
  });
});
