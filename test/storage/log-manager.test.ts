import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildRecordBatch } from '../../src/protocol/records/batch-builder.js';
import {
  LogDirLockedError,
  openLogManager,
  type DiskPartitionLogOpener,
  type LogManager,
  type LogManagerOptions,
} from '../../src/storage/log-manager.js';
import { openDiskPartitionLog } from '../../src/storage/disk-partition-log.js';
import { ManualClock } from '../../src/util/clock.js';
import { DEFAULT_LOG_CONFIG, StorageError, type PartitionLog } from '../../src/storage/types.js';
import { readPartitionMetadata } from '../../src/storage/partition-metadata-file.js';
import { pino } from 'pino';
import type { Logger } from '../../src/util/logger.js';

/** A real logger whose lines (warnings and up) are kept instead of printed. */
function capturingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) }), { lines });
}

interface Opened {
  name: string;
  cleanShutdown: boolean;
  log: PartitionLog;
  closed: boolean;
}

/**
 * The real disk opener, watched: records what each partition was opened with and when it is
 * closed; `fail` makes chosen operations fail (after doing the real work, so no file stays open).
 */
function watchedOpener(fail: { open?: (name: string) => boolean; close?: (name: string) => boolean } = {}): {
  opener: DiskPartitionLogOpener;
  opened: Opened[];
} {
  const opened: Opened[] = [];
  const opener: DiskPartitionLogOpener = async (dir, topic, partition, config, options) => {
    const name = `${topic}-${partition}`;
    if (fail.open?.(name)) throw new Error(`corrupt beyond repair: ${name}`);
    const log = await openDiskPartitionLog(dir, topic, partition, config, options);
    const entry: Opened = { name, cleanShutdown: options.cleanShutdown, log, closed: false };
    const realClose = log.close.bind(log);
    log.close = async () => {
      await realClose();
      entry.closed = true;
      if (fail.close?.(name)) throw new Error(`EIO closing ${name}`);
    };
    opened.push(entry);
    return log;
  };
  return { opener, opened };
}

const batch = (text: string): Buffer => buildRecordBatch([{ value: text }], { now: 1_700_000_000_000 });
const append = (log: PartitionLog, text: string) => log.append(batch(text), { leaderEpoch: 0 });

let tmp: string;
let dirs: string[];
const toClose: LogManager[] = [];

beforeEach(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'gregor-log-manager-'));
  dirs = [path.join(tmp, 'data')];
});
afterEach(async () => {
  for (const m of toClose.splice(0)) await m.close().catch(() => undefined);
  await rm(tmp, { recursive: true, force: true });
});

async function openDisk(options: Partial<LogManagerOptions> = {}): Promise<LogManager> {
  const manager = await openLogManager({ storage: 'disk', dirs, ...options });
  toClose.push(manager);
  return manager;
}

const ls = async (dir: string): Promise<string[]> => (await readdir(dir)).sort();
const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

describe('LogManager on disk', () => {
  it("lays partitions out as Kafka does and finds them again after a restart, data included", async () => {
    const manager = await openDisk();
    const topics = ['orders', 'my.events_v2', 'a-b-c', 'x-1'];
    for (const topic of topics) for (const p of [0, 1, 10]) await manager.create(topic, p, DEFAULT_LOG_CONFIG);
    await append(manager.get('a-b-c', 10)!, 'hello');
    await append(manager.get('a-b-c', 10)!, 'world');
    expect(manager.all()).toHaveLength(12);
    expect(manager.get('x-1', 0)?.topic).toBe('x-1');
    expect(manager.get('x', 10)).toBeUndefined(); // 'x-10' is not 'x-1' partition 0
    expect(manager.dirOf('orders', 1)).toBe(dirs[0]);
    expect(await ls(dirs[0])).toEqual(
      ['.lock', ...topics.flatMap((t) => [`${t}-0`, `${t}-1`, `${t}-10`])].sort(),
    );
    await manager.close();

    const configFor = (topic: string) => ({ ...DEFAULT_LOG_CONFIG, retentionMs: topic.length });
    const reopened = await openDisk({ configFor });
    const found = reopened
      .all()
      .map((l) => `${l.topic}/${l.partition}/${l.config.retentionMs}`)
      .sort();
    expect(found).toEqual(topics.flatMap((t) => [0, 1, 10].map((p) => `${t}/${p}/${t.length}`)).sort());
    const log = reopened.get('a-b-c', 10)!;
    expect(log.logEndOffset).toBe(2n);
    const read = await log.read(0n, { maxBytes: 1 << 20 });
    expect(read.records).toHaveLength(2);
    expect(Buffer.concat(read.records).includes('hello')).toBe(true);
    expect(Buffer.concat(read.records).includes('world')).toBe(true);
  });

  it('create returns the existing log and applies the new config to it', async () => {
    const manager = await openDisk();
    const first = await manager.create('t', 0, DEFAULT_LOG_CONFIG);
    const config = { ...DEFAULT_LOG_CONFIG, retentionMs: 1234 };
    const [a, b] = await Promise.all([manager.create('t', 1, config), manager.create('t', 1, config)]);
    expect(a).toBe(b);
    const again = await manager.create('t', 0, config);
    expect(again).toBe(first);
    expect(again.config.retentionMs).toBe(1234);
  });

  it('refuses names that are not topics or partitions', async () => {
    const manager = await openDisk();
    for (const [topic, partition] of [
      ['../escape', 0],
      ['a/b', 0],
      ['', 0],
      ['.', 0],
      ['..', 0],
      ['x'.repeat(250), 0],
      ['ok', -1],
      ['ok', 1.5],
    ] as const) {
      await expect(manager.create(topic, partition, DEFAULT_LOG_CONFIG)).rejects.toThrow(TypeError);
    }
    expect(await ls(dirs[0])).toEqual(['.lock']);
  });

  it('places new partitions in the dir holding the fewest, also for concurrent creates', async () => {
    dirs = ['a', 'b', 'c'].map((d) => path.join(tmp, d));
    let manager = await openDisk();
    await Promise.all([0, 1, 2].map((p) => manager.create('t', p, DEFAULT_LOG_CONFIG)));
    expect([0, 1, 2].map((p) => manager.dirOf('t', p)).sort()).toEqual(dirs);
    await manager.close();

    // Start unbalanced: 'a' holds 3 more partitions than the others.
    for (const p of [3, 4, 5]) await mkdir(path.join(dirs[0], `t-${p}`));
    manager = await openDisk();
    for (const p of [6, 7, 8, 9, 10, 11]) await manager.create('t', p, DEFAULT_LOG_CONFIG);
    const perDir = dirs.map((d) => manager.all().filter((l) => manager.dirOf(l.topic, l.partition) === d).length);
    expect(perDir).toEqual([4, 4, 4]);
  });

  it('deletes a partition: gone at once, folder renamed Kafka-style, then removed', async () => {
    const watched = watchedOpener();
    const manager = await openDisk({ openPartitionLog: watched.opener });
    const log = await manager.create('my.topic-x', 3, DEFAULT_LOG_CONFIG);
    await append(log, 'doomed');
    await manager.create('my.topic-x', 4, DEFAULT_LOG_CONFIG);

    const deleting = manager.delete('my.topic-x', 3);
    expect(manager.get('my.topic-x', 3)).toBeUndefined(); // before the promise settles
    expect(manager.all().map((l) => l.partition)).toEqual([4]);
    expect(await deleting).toBe(true);
    expect(watched.opened.find((o) => o.log === log)?.closed).toBe(true);
    const names = await ls(dirs[0]);
    expect(names).not.toContain('my.topic-x-3');
    for (const name of names.filter((n) => n.endsWith('-delete'))) expect(name).toMatch(/^my\.topic-x-3\.[0-9a-f]{32}-delete$/);

    expect(await manager.delete('my.topic-x', 3)).toBe(false);
    expect(await manager.delete('never', 0)).toBe(false);
    await manager.close();
    expect(await ls(dirs[0])).toEqual(['.kafka_cleanshutdown', 'my.topic-x-4']);

    const reopened = await openDisk();
    expect(reopened.get('my.topic-x', 3)).toBeUndefined();
    const recreated = await reopened.create('my.topic-x', 3, DEFAULT_LOG_CONFIG);
    expect(recreated.logEndOffset).toBe(0n); // a new, empty partition
  });

  it('removes the deleted folder in the background without waiting for close', async () => {
    const manager = await openDisk();
    const log = await manager.create('t', 0, DEFAULT_LOG_CONFIG);
    for (let i = 0; i < 50; i++) await append(log, `record ${i}`);
    await manager.delete('t', 0);
    const deadline = Date.now() + 5000;
    while ((await ls(dirs[0])).some((n) => n.endsWith('-delete')) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await ls(dirs[0])).toEqual(['.lock']);
  });

  it('a create waits for a delete of the same partition and starts empty', async () => {
    const manager = await openDisk();
    await append(await manager.create('t', 0, DEFAULT_LOG_CONFIG), 'old');
    const [deleted, created] = await Promise.all([manager.delete('t', 0), manager.create('t', 0, DEFAULT_LOG_CONFIG)]);
    expect(deleted).toBe(true);
    expect(created.logEndOffset).toBe(0n);
    expect(manager.get('t', 0)).toBe(created);
  });

  it('removes leftover -delete folders on open and ignores what is not a partition', async () => {
    const dir = dirs[0];
    await mkdir(path.join(dir, 'gone-0.0123456789abcdef0123456789abcdef-delete', 'nested'), { recursive: true });
    await writeFile(path.join(dir, 'gone-0.0123456789abcdef0123456789abcdef-delete', '00000000000000000000.log'), 'x');
    await mkdir(path.join(dir, '__gregor_state'));
    await mkdir(path.join(dir, 'lost+found'));
    await mkdir(path.join(dir, 'weird-007')); // not how Kafka writes partition 7
    await mkdir(path.join(dir, 'kept-2'));
    await writeFile(path.join(dir, 'meta.properties'), 'node.id=1\n');
    const manager = await openDisk();
    expect(manager.all().map((l) => `${l.topic}-${l.partition}`)).toEqual(['kept-2']);
    await manager.close();
    expect(await ls(dir)).toEqual(['.kafka_cleanshutdown', '__gregor_state', 'kept-2', 'lost+found', 'meta.properties', 'weird-007']);
  });

  describe('topic ids beside the data (partition.metadata)', () => {
    const idA = '11111111-2222-4333-8444-555555555555';
    const idB = '99999999-8888-4777-8666-555555555555';

    it('writes the topic id into a new partition and finds it again after a restart', async () => {
      const manager = await openDisk();
      await manager.create('orders', 0, DEFAULT_LOG_CONFIG, idA);
      await manager.create('orders', 1, DEFAULT_LOG_CONFIG);
      expect(manager.topicIdOf('orders', 0)).toBe(idA);
      expect(manager.topicIdOf('orders', 1)).toBeUndefined();
      expect(await readPartitionMetadata(path.join(dirs[0], 'orders-0'))).toBe(idA);
      expect(await ls(path.join(dirs[0], 'orders-0'))).toContain('partition.metadata');
      await manager.close();

      const reopened = await openDisk();
      expect(reopened.topicIdOf('orders', 0)).toBe(idA);
      expect(reopened.topicIdOf('orders', 1)).toBeUndefined();
      // The upgrade path: a partition written before the file existed gets it on request.
      await reopened.recordTopicId('orders', 1, idA);
      expect(reopened.topicIdOf('orders', 1)).toBe(idA);
      expect(await readPartitionMetadata(path.join(dirs[0], 'orders-1'))).toBe(idA);
      await expect(reopened.recordTopicId('orders', 7, idA)).rejects.toThrow(/no such partition/);
    });

    it('reports a malformed partition.metadata and loads the partition with its topic id unknown', async () => {
      const manager = await openDisk();
      await append(await manager.create('t', 0, DEFAULT_LOG_CONFIG, idA), 'kept');
      await manager.close();
      await writeFile(path.join(dirs[0], 't-0', 'partition.metadata'), 'version: 0\ntopic_id: garbage\n');
      const logger = capturingLogger();
      const reopened = await openDisk({ logger });
      expect(reopened.get('t', 0)!.logEndOffset).toBe(1n);
      expect(reopened.topicIdOf('t', 0)).toBeUndefined();
      expect(logger.lines.join('\n')).toMatch(/Malformed line in partition metadata file \[.*t-0.partition\.metadata\]: topic_id: garbage/);
    });

    it('sets a partition aside: its data stays under a -stray folder that later opens skip and report', async () => {
      const manager = await openDisk();
      const log = await manager.create('t', 0, DEFAULT_LOG_CONFIG, idB);
      await append(log, 'not ours');
      await manager.create('t', 1, DEFAULT_LOG_CONFIG, idB);
      const target = await manager.setAside('t', 0);
      expect(target).toMatch(/[/\\]t-0\.[0-9a-f]{32}-stray$/);
      expect(manager.get('t', 0)).toBeUndefined();
      expect(await manager.setAside('t', 0)).toBeUndefined();
      expect(await readPartitionMetadata(target!)).toBe(idB);
      expect((await ls(target!)).some((f) => f.endsWith('.log'))).toBe(true);
      await manager.close();

      const logger = capturingLogger();
      const reopened = await openDisk({ logger });
      expect(reopened.all().map((l) => `${l.topic}-${l.partition}`)).toEqual(['t-1']);
      expect(logger.lines.join('\n')).toContain(`partition folder ${target} was set aside earlier`);
      await reopened.close();
      expect(await exists(target!)).toBe(true);
      // A partition of the same name can be created again beside it.
      const again = await openDisk();
      expect((await again.create('t', 0, DEFAULT_LOG_CONFIG, idA)).logEndOffset).toBe(0n);
    });
  });

  it('refuses to start when a partition is in two dirs', async () => {
    dirs = [path.join(tmp, 'a'), path.join(tmp, 'b')];
    for (const d of dirs) await mkdir(path.join(d, 't-0'), { recursive: true });
    await expect(openDisk()).rejects.toThrow(/t-0 is in two log dirs/);
    // The failed open released its locks.
    await rm(path.join(dirs[1], 't-0'), { recursive: true });
    expect((await openDisk()).all()).toHaveLength(1);
  });

  describe('clean shutdown marker', () => {
    it('is written by close, removed by open, and lets the logs skip recovery', async () => {
      const spy = watchedOpener();
      dirs = [path.join(tmp, 'a'), path.join(tmp, 'b')];
      const manager = await openDisk({ openPartitionLog: spy.opener });
      await manager.create('t', 0, DEFAULT_LOG_CONFIG);
      await manager.create('t', 1, DEFAULT_LOG_CONFIG);
      expect(spy.opened.map((o) => o.cleanShutdown)).toEqual([true, true]); // new folders: nothing to recover
      for (const d of dirs) expect(await exists(path.join(d, '.kafka_cleanshutdown'))).toBe(false);
      await manager.close();
      for (const d of dirs) {
        expect(await exists(path.join(d, '.kafka_cleanshutdown'))).toBe(true);
        expect(await exists(path.join(d, '.lock'))).toBe(false);
      }

      spy.opened.length = 0;
      const reopened = await openDisk({ openPartitionLog: spy.opener });
      expect(spy.opened.map((o) => o.cleanShutdown)).toEqual([true, true]);
      // Removed while running: a crash from now on must not look clean.
      for (const d of dirs) expect(await exists(path.join(d, '.kafka_cleanshutdown'))).toBe(false);
      await reopened.close();
    });

    it('is absent after a crash, so every partition is recovered on the next start', async () => {
      const manager = await openDisk();
      await append(await manager.create('t', 0, DEFAULT_LOG_CONFIG), 'acked');
      await manager.create('u', 0, DEFAULT_LOG_CONFIG);
      // What kill -9 leaves on disk: the files as they are, the lock of a process that is gone,
      // no marker. Copy them while the broker still runs.
      const crashed = path.join(tmp, 'crashed');
      await cp(dirs[0], crashed, { recursive: true });
      expect(await ls(crashed)).toEqual(['.lock', 't-0', 'u-0']);

      const spy = watchedOpener();
      dirs = [crashed];
      const recovered = await openDisk({ openPartitionLog: spy.opener });
      expect(spy.opened.map((o) => [o.name, o.cleanShutdown]).sort()).toEqual([
        ['t-0', false],
        ['u-0', false],
      ]);
      expect(recovered.get('t', 0)!.logEndOffset).toBe(1n);
    });

    it('after kill -9 of a broker, the next start takes over its lock, recovers, and keeps every acknowledged batch', async () => {
      const managerModule = new URL('../../src/storage/log-manager.ts', import.meta.url).href;
      const builderModule = new URL('../../src/protocol/records/batch-builder.ts', import.meta.url).href;
      const child = `
        const { openLogManager } = await import(${JSON.stringify(managerModule)});
        const { buildRecordBatch } = await import(${JSON.stringify(builderModule)});
        const manager = await openLogManager({ storage: 'disk', dirs: ${JSON.stringify(dirs)} });
        const config = { segmentBytes: 4096, segmentMs: 7 * 24 * 3600 * 1000, segmentIndexBytes: 10 * 1024 * 1024,
          indexIntervalBytes: 4096, retentionMs: -1, retentionBytes: -1, flushMessages: Number.MAX_SAFE_INTEGER,
          flushMs: Number.MAX_SAFE_INTEGER, fileDeleteDelayMs: 60000 };
        const logs = [];
        for (const p of [0, 1, 2]) logs.push(await manager.create('crash.topic', p, config));
        for (let i = 0; ; i++) {
          const log = logs[i % 3];
          const { baseOffset } = await log.append(buildRecordBatch([{ value: 'record ' + i }]), { leaderEpoch: 0 });
          process.stdout.write('ack ' + log.partition + ' ' + baseOffset + '\\n');
        }`;
      const acked = new Map<number, bigint>();
      await new Promise<void>((resolve, reject) => {
        const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        let count = 0;
        proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          out += chunk;
          const lines = out.split('\n');
          out = lines.pop()!;
          for (const line of lines) {
            const [, p, offset] = line.split(' ');
            acked.set(Number(p), BigInt(offset));
            count++;
          }
          if (count >= 300 && proc.exitCode === null) proc.kill('SIGKILL');
        });
        proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
        proc.on('exit', (_code, signal) => {
          if (signal === 'SIGKILL') resolve();
          else reject(new Error(err));
        });
      });
      expect(await ls(dirs[0])).toEqual(['.lock', 'crash.topic-0', 'crash.topic-1', 'crash.topic-2']);

      const watched = watchedOpener();
      const manager = await openDisk({ openPartitionLog: watched.opener });
      expect(watched.opened.map((o) => o.cleanShutdown)).toEqual([false, false, false]);
      for (const p of [0, 1, 2]) {
        const log = manager.get('crash.topic', p)!;
        expect(log.logEndOffset).toBeGreaterThan(acked.get(p)!);
        const read = await log.read(acked.get(p)!, { maxBytes: 1 << 20 });
        expect(read.records.length).toBeGreaterThan(0);
      }
      expect(await readFile(path.join(dirs[0], '.lock'), 'utf8')).toBe(`${process.pid}\n`);
    }, 120_000);

    it('is not written for a dir where a log failed to close', async () => {
      dirs = [path.join(tmp, 'a'), path.join(tmp, 'b')];
      const watched = watchedOpener({ close: (name) => name === 'bad-0' });
      const manager = await openDisk({ openPartitionLog: watched.opener });
      await manager.create('bad', 0, DEFAULT_LOG_CONFIG);
      await manager.create('good', 0, DEFAULT_LOG_CONFIG);
      const badDir = manager.dirOf('bad', 0)!;
      const goodDir = manager.dirOf('good', 0)!;
      await expect(manager.close()).rejects.toThrow(StorageError);
      expect(await exists(path.join(badDir, '.kafka_cleanshutdown'))).toBe(false);
      expect(await exists(path.join(goodDir, '.kafka_cleanshutdown'))).toBe(true);
      expect(await exists(path.join(badDir, '.lock'))).toBe(false);
    });
  });

  describe('lock', () => {
    it('keeps a second manager out of a dir in use, in this process', async () => {
      await openDisk();
      await expect(openDisk()).rejects.toThrow(LogDirLockedError);
    });

    it('lets exactly one of two concurrent opens of a dir win', async () => {
      const results = await Promise.allSettled([openDisk(), openDisk()]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const failure = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(failure.reason).toBeInstanceOf(LogDirLockedError);
    });

    it('removes lock files that a start killed mid-way left behind', async () => {
      await mkdir(dirs[0], { recursive: true });
      const leftover = `.lock.${process.pid}.0b0e5b1c-6a57-4c50-9a43-c1f1b8a6a2c4.tmp`;
      await writeFile(path.join(dirs[0], leftover), `${process.pid}\n`);
      await openDisk();
      expect(await ls(dirs[0])).toEqual(['.lock']);
    });

    it('keeps out while another live process holds the lock, and takes over a dead one', async () => {
      await mkdir(dirs[0], { recursive: true });
      const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
      try {
        await writeFile(path.join(dirs[0], '.lock'), `${holder.pid}\n`);
        await expect(openDisk()).rejects.toThrow(new RegExp(`in use by process ${holder.pid}`));
      } finally {
        const exited = new Promise((r) => holder.once('exit', r));
        holder.kill('SIGKILL');
        await exited;
      }
      const manager = await openDisk();
      expect(await readFile(path.join(dirs[0], '.lock'), 'utf8')).toBe(`${process.pid}\n`);
      await manager.close();
      // No temporary lock files are left behind.
      expect(await ls(dirs[0])).toEqual(['.kafka_cleanshutdown']);
    });
  });

  it('fails to open, releasing everything, when a partition cannot be loaded', async () => {
    let manager = await openDisk();
    for (const p of [0, 1, 2, 3]) await manager.create('t', p, DEFAULT_LOG_CONFIG);
    await manager.close();
    const watched = watchedOpener({ open: (name) => name === 't-2' });
    await expect(openDisk({ openPartitionLog: watched.opener, concurrency: 1 })).rejects.toThrow(/cannot open partition t-2/);
    expect(watched.opened.length).toBeGreaterThan(0);
    for (const o of watched.opened) expect(o.closed).toBe(true);
    // Nothing was marked clean: the next start recovers.
    expect(await exists(path.join(dirs[0], '.kafka_cleanshutdown'))).toBe(false);
    manager = await openDisk();
    expect(manager.all()).toHaveLength(4);
  });

  it('explains a partition that cannot be opened for lack of file descriptors', async () => {
    let manager = await openDisk();
    for (const p of [0, 1, 2]) await manager.create('t', p, DEFAULT_LOG_CONFIG);
    await manager.close();
    const emfile: DiskPartitionLogOpener = async (dir, topic, partition, config, options) => {
      if (partition === 1) throw Object.assign(new Error(`EMFILE: too many open files, open '${dir}/00000000000000000000.index'`), { code: 'EMFILE' });
      return openDiskPartitionLog(dir, topic, partition, config, options);
    };
    const failure = await openDisk({ openPartitionLog: emfile, concurrency: 4 }).catch((err: unknown) => err as Error);
    expect(failure).toBeInstanceOf(StorageError);
    const message = (failure as Error).message;
    expect(message).toMatch(/^cannot open partition t-1 in .*: too many open files \(EMFILE\)/);
    // What the partitions need (3 partitions, 4 opened at a time with 3 files each) and how to raise the limit.
    expect(message).toMatch(/With 3 partitions the broker needs up to about 271 descriptors/);
    expect(message).toMatch(/ulimit -n 4096/);
    expect(message).toMatch(/LimitNOFILE=4096/);
    if (process.platform === 'linux') expect(message).toMatch(/soft limit \d+, hard limit \d+, from \/proc\/self\/limits/);
    manager = await openDisk();
    expect(manager.all()).toHaveLength(3);
  });

  it('refuses work after close', async () => {
    const manager = await openDisk();
    await manager.create('t', 0, DEFAULT_LOG_CONFIG);
    await manager.close();
    await manager.close();
    expect(manager.get('t', 0)).toBeUndefined();
    expect(manager.all()).toEqual([]);
    await expect(manager.create('t', 1, DEFAULT_LOG_CONFIG)).rejects.toThrow(/closed/);
    await expect(manager.delete('t', 0)).rejects.toThrow(/closed/);
  });

  it('gives every log it opens, created or found on disk, its own batch cache and sync-write policy, not another manager\'s', async () => {
    const seen: { name: string; batchCache: unknown; syncWritePolicy: unknown }[] = [];
    const opener: DiskPartitionLogOpener = (dir, topic, partition, config, options) => {
      seen.push({ name: `${topic}-${partition}`, batchCache: options.batchCache, syncWritePolicy: options.syncWritePolicy });
      return openDiskPartitionLog(dir, topic, partition, config, options);
    };
    const first = await openDisk({ openPartitionLog: opener });
    await first.create('t', 0, DEFAULT_LOG_CONFIG);
    await first.close();
    const manager = await openDisk({ openPartitionLog: opener });
    await manager.create('t', 1, DEFAULT_LOG_CONFIG);
    expect(seen.map((s) => s.name)).toEqual(['t-0', 't-0', 't-1']);
    for (const s of seen.slice(1)) {
      expect(s.batchCache).toBe(manager.batchCache);
      expect(s.syncWritePolicy).toBe(manager.syncWritePolicy);
    }
    expect(manager.batchCache).not.toBeNull();
    expect(manager.batchCache).not.toBe(first.batchCache);
    expect(manager.syncWritePolicy).not.toBe(first.syncWritePolicy);

    // Small appends to both partitions land in the one cache, and are read back from it.
    await append(manager.get('t', 0)!, 'zero');
    await append(manager.get('t', 1)!, 'one');
    const appended = batch('zero').length + batch('one').length;
    expect(manager.batchCache!.size).toBe(appended);
    expect(first.batchCache!.size).toBe(0);
    const read = await manager.get('t', 1)!.read(0n, { maxBytes: 1 << 20 });
    expect(Buffer.concat(read.records).includes('one')).toBe(true);
  });

  it('needs at least one dir, each listed once', async () => {
    await expect(openLogManager({ storage: 'disk' })).rejects.toThrow(TypeError);
    await expect(openLogManager({ storage: 'disk', dirs: [tmp, `${tmp}/.`] })).rejects.toThrow(/listed twice/);
  });
});

describe('LogManager in memory', () => {
  async function openMemory(): Promise<LogManager> {
    const manager = await openLogManager({ storage: 'memory', clock: new ManualClock(1_700_000_000_000) });
    toClose.push(manager);
    return manager;
  }

  /** Appending is refused once a log is closed. */
  const isClosed = (log: PartitionLog) =>
    append(log, 'probe').then(
      () => false,
      (err: unknown) => err instanceof StorageError && /closed/.test(err.message),
    );

  it('creates, finds, deletes and closes partitions without touching the disk', async () => {
    const manager = await openMemory();
    expect(manager.storage).toBe('memory');
    expect(manager.dirs).toEqual([]);
    const log = await manager.create('my.topic-x', 0, DEFAULT_LOG_CONFIG);
    await append(log, 'kept in memory');
    expect(log.logEndOffset).toBe(1n);
    expect(await manager.create('my.topic-x', 0, { ...DEFAULT_LOG_CONFIG, retentionMs: 5 })).toBe(log);
    expect(log.config.retentionMs).toBe(5);
    await manager.create('my.topic-x', 1, DEFAULT_LOG_CONFIG);
    expect(manager.get('my.topic-x', 0)).toBe(log);
    expect(manager.dirOf('my.topic-x', 0)).toBeUndefined();
    expect(manager.all()).toHaveLength(2);

    await manager.create('ids', 0, DEFAULT_LOG_CONFIG, '11111111-2222-4333-8444-555555555555');
    expect(manager.topicIdOf('ids', 0)).toBe('11111111-2222-4333-8444-555555555555');
    expect(await manager.setAside('ids', 0)).toBeUndefined();
    expect(manager.get('ids', 0)).toBeUndefined();
    expect(manager.topicIdOf('ids', 0)).toBeUndefined();

    const deleting = manager.delete('my.topic-x', 0);
    expect(manager.get('my.topic-x', 0)).toBeUndefined();
    expect(await deleting).toBe(true);
    expect(await isClosed(log)).toBe(true);
    expect(await manager.delete('my.topic-x', 0)).toBe(false);
    await expect(manager.create('../x', 0, DEFAULT_LOG_CONFIG)).rejects.toThrow(TypeError);

    const other = manager.get('my.topic-x', 1)!;
    await manager.close();
    expect(await isClosed(other)).toBe(true);
    await expect(manager.create('t', 0, DEFAULT_LOG_CONFIG)).rejects.toThrow(/closed/);
  });
});
