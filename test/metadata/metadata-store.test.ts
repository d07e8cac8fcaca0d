/**
 * The metadata store over a real data dir: what it does on open with partition folders the
 * replayed metadata does not explain. The broker-level cases (damaged metadata log, lost log, stray
 * folder) are in test/integration/metadata-damage.test.ts; these are the ones below the wire.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadBrokerConfig } from '../../src/config/broker-config.js';
import { LocalMetadataStore } from '../../src/metadata/metadata-store.js';
import { buildRecordBatch } from '../../src/protocol/records/batch-builder.js';
import { openLogManager, type LogManager } from '../../src/storage/log-manager.js';
import { readPartitionMetadata, writePartitionMetadata } from '../../src/storage/partition-metadata-file.js';
import { openStateLog, type StateLog } from '../../src/storage/state-log.js';

let dir: string;
let open: { logs: LogManager; stateLog: StateLog } | undefined;
let lines: string[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gregor-metadata-store-'));
});
afterEach(async () => {
  await close();
  await rm(dir, { recursive: true, force: true });
});

/** Opens the store as the broker does: the log manager first, then the metadata replayed over it. */
async function openStore(): Promise<LocalMetadataStore> {
  lines = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
  const logs = await openLogManager({ storage: 'disk', dirs: [dir], logger });
  const stateLog = await openStateLog(join(dir, '__gregor_metadata'), { name: 'metadata', logger });
  open = { logs, stateLog };
  const brokerConfig = await loadBrokerConfig({ env: {}, flags: { 'log.dirs': dir } });
  return LocalMetadataStore.open({ stateLog, logs, brokerConfig, logger });
}

async function close(): Promise<void> {
  if (!open) return;
  await open.stateLog.close();
  await open.logs.close();
  open = undefined;
}

const create = (store: LocalMetadataStore, name: string, partitions: number) =>
  store.createTopic({ name, numPartitions: partitions, replicationFactor: -1, configs: new Map(), validateOnly: false });

describe('MetadataStore on open', () => {
  it('writes partition.metadata with each new partition, and for older partitions of known topics', async () => {
    const store = await openStore();
    const { topic } = await create(store, 't', 2);
    expect(await readPartitionMetadata(join(dir, 't-0'))).toBe(topic!.topicId);
    expect(await readPartitionMetadata(join(dir, 't-1'))).toBe(topic!.topicId);
    await close();
    // A folder written before the file existed.
    await rm(join(dir, 't-1', 'partition.metadata'));
    await openStore();
    expect(await readPartitionMetadata(join(dir, 't-1'))).toBe(topic!.topicId);
    expect(lines.join('\n')).not.toMatch(/restored|set aside/);
  });

  it('a topic recorded again under another id (its deletion lost with a damaged log) replaces the old one; the old data is set aside, not removed', async () => {
    let store = await openStore();
    const { topic: first } = await create(store, 'orders', 1);
    await open!.logs.get('orders', 0)!.append(buildRecordBatch([{ value: 'old' }], { now: 1_700_000_000_000 }), { leaderEpoch: 0 });
    await close();
    // What remains of a log whose delete record was lost: the topic created again, a new id.
    const secondId = '11111111-2222-4333-8444-555555555555';
    const stateLog = await openStateLog(join(dir, '__gregor_metadata'), { name: 'metadata' });
    for await (const _ of stateLog.replay());
    await stateLog.append({ type: 'topic', name: 'orders', topicId: secondId, partitions: 1, overrides: [] });
    await stateLog.close();

    store = await openStore();
    expect(store.topic('orders')!.topicId).toBe(secondId);
    expect(store.topicById(first!.topicId)).toBeUndefined();
    const stray = (await readdir(dir)).filter((f) => f.startsWith('orders-0.') && f.endsWith('-stray'));
    expect(stray).toHaveLength(1);
    expect(await readPartitionMetadata(join(dir, stray[0]))).toBe(first!.topicId);
    expect(open!.logs.get('orders', 0)!.logEndOffset).toBe(0n);
  });

  it('removes the folder of a deleted topic whose removal failed, also after a snapshot compacted the deletion away', async () => {
    let store = await openStore();
    await create(store, 'gone', 1);
    await create(store, 'busy', 1);
    await open!.logs.get('gone', 0)!.append(buildRecordBatch([{ value: 'x' }], { now: 1_700_000_000_000 }), { leaderEpoch: 0 });
    await close();

    // The folder cannot be renamed away (a disk error): the deletion is recorded, the folder stays.
    lines = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const logs = await openLogManager({ storage: 'disk', dirs: [dir], logger });
    const stateLog = await openStateLog(join(dir, '__gregor_metadata'), { name: 'metadata', logger });
    open = { logs, stateLog };
    const failingLogs: LogManager = Object.assign(Object.create(logs) as LogManager, {
      delete: async () => {
        throw new Error('EIO: rename failed');
      },
    });
    const brokerConfig = await loadBrokerConfig({ env: {}, flags: { 'log.dirs': dir } });
    store = await LocalMetadataStore.open({ stateLog, logs: failingLogs, brokerConfig, logger });
    await expect(store.deleteTopic('gone')).rejects.toThrow(/EIO/);
    expect(store.topic('gone')).toBeUndefined();
    // Enough changes for the store to compact its log into a snapshot: the deletion record goes.
    for (let i = 0; i < 1000; i++) await store.setTopicOverrides('busy', new Map([['retention.ms', String(60_000 + i)]]), false);
    await close();
    expect((await readdir(join(dir, '__gregor_metadata'))).filter((f) => f.endsWith('.snapshot'))).toHaveLength(1);
    expect(await readdir(dir)).toContain('gone-0');

    store = await openStore();
    expect(store.topic('gone')).toBeUndefined();
    expect(open.logs.get('gone', 0)).toBeUndefined();
    expect(lines.join('\n')).toMatch(/removing partition gone-0: the metadata log records the deletion of its topic/);
    expect(lines.join('\n')).not.toMatch(/restored/);
    expect(store.topic('busy')!.overrides.get('retention.ms')).toBe('60999');
  });

  it('sets aside folders of an unknown topic that disagree on its topic id, and restores the rest', async () => {
    let store = await openStore();
    const { topic: first } = await create(store, 'mixed', 3);
    await close();
    // Partition 2 holds data written for another topic id.
    const otherId = '0f0e0d0c-0b0a-4908-8706-050403020100';
    await writePartitionMetadata(join(dir, 'mixed-2'), otherId);
    for (const f of await readdir(join(dir, '__gregor_metadata'))) await rm(join(dir, '__gregor_metadata', f));

    store = await openStore();
    const restored = store.topic('mixed')!;
    expect(restored.topicId).toBe(first!.topicId);
    // The count comes from the folders that belong to it.
    expect(restored.partitions).toBe(2);
    expect(open!.logs.get('mixed', 2)).toBeUndefined();
    const names = await readdir(dir);
    expect(names.filter((n) => /^mixed-2\.[0-9a-f]{32}-stray$/.test(n))).toHaveLength(1);
    expect(lines.join('\n')).toMatch(/set aside partition folder .*mixed-2 .*names topic id 0f0e0d0c-0b0a-4908-8706-050403020100, but the other folders of topic mixed name/);
  });
});
