import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '../../src/protocol/generated/errors.js';
import { buildRecordBatch } from '../../src/protocol/records/index.js';
import { describeLogDirs, MEMORY_LOG_DIR } from '../../src/storage/describe-log-dirs.js';
import { openLogManager, type LogManager } from '../../src/storage/log-manager.js';
import { DEFAULT_LOG_CONFIG } from '../../src/storage/types.js';

let root: string | undefined;
let logs: LogManager | undefined;
afterEach(async () => {
  await logs?.close();
  logs = undefined;
  if (root) await rm(root, { recursive: true, force: true });
  root = undefined;
});

describe('describeLogDirs', () => {
  it('groups partitions by data directory with their sizes and volume space', async () => {
    root = await mkdtemp(join(tmpdir(), 'gregor-dld-'));
    const dirs = [join(root, 'd1'), join(root, 'd2')];
    logs = await openLogManager({ storage: 'disk', dirs });
    for (let p = 0; p < 4; p++) await logs.create('t', p, DEFAULT_LOG_CONFIG);
    await logs.get('t', 0)!.append(buildRecordBatch([{ value: Buffer.alloc(100) }]), { leaderEpoch: 0 });

    const result = await describeLogDirs(logs, null);
    expect(result.map((d) => d.logDir)).toEqual(dirs);
    const all = result.flatMap((d) => [...d.topics].flatMap(([topic, ps]) => ps.map((p) => ({ topic, dir: d.logDir, ...p }))));
    expect(all.map((p) => p.partition).sort()).toEqual([0, 1, 2, 3]);
    for (const p of all) expect(p.dir).toBe(logs.dirOf('t', p.partition));
    expect(all.find((p) => p.partition === 0)!.size).toBe(logs.get('t', 0)!.size);
    expect(all.find((p) => p.partition === 0)!.size).toBeGreaterThan(100);
    for (const d of result) {
      expect(d.errorCode).toBe(ErrorCode.None);
      expect(d.totalBytes).toBeGreaterThan(0n);
      expect(d.usableBytes).toBeLessThanOrEqual(d.totalBytes);
    }
  });

  it('keeps only the named partitions', async () => {
    logs = await openLogManager({ storage: 'memory' });
    for (let p = 0; p < 3; p++) await logs.create('t', p, DEFAULT_LOG_CONFIG);
    await logs.create('u', 0, DEFAULT_LOG_CONFIG);
    const [dir] = await describeLogDirs(logs, new Map([['t', new Set([2, 9])], ['v', new Set([0])]]));
    expect(dir.logDir).toBe(MEMORY_LOG_DIR);
    expect([...dir.topics]).toEqual([['t', [{ partition: 2, size: 0 }]]]);
  });

  it('reports KAFKA_STORAGE_ERROR for a directory that cannot be read', async () => {
    root = await mkdtemp(join(tmpdir(), 'gregor-dld-'));
    const dir = join(root, 'gone');
    logs = await openLogManager({ storage: 'disk', dirs: [dir] });
    await rm(dir, { recursive: true, force: true });
    const [d] = await describeLogDirs(logs, null);
    expect(d).toMatchObject({ errorCode: ErrorCode.KafkaStorageError, logDir: dir, totalBytes: -1n });
    // Closing cannot write its clean-shutdown marker into the vanished directory.
    await logs.close().catch(() => undefined);
    logs = undefined;
  });
});
