import { afterEach, describe, expect, it } from '@jest/globals';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  offsetPrefix,
  parsePartitionDirName,
  parseSegmentFileName,
  partitionDirName,
  inspectLogStartOffset,
  segmentFileName,
  writeFully,
  openStorageFile,
  readFully,
  writeLogStartOffset,
  replaceFileDurably,
  type OpenFile,
  type StorageFile,
} from '../../src/storage/segment-files.js';
import { tempDir } from './helpers.js';

describe('segment file names', () => {
  it('are the base offset in 20 digits with Kafka suffixes', () => {
    expect(segmentFileName(0n, 'log')).toBe('00000000000000000000.log');
    expect(segmentFileName(1234n, 'index')).toBe('00000000000000001234.index');
    expect(segmentFileName(9223372036854775807n, 'timeindex')).toBe('09223372036854775807.timeindex');
    expect(offsetPrefix(42n)).toHaveLength(20);
    expect(() => offsetPrefix(-1n)).toThrow(RangeError);
  });

  it('parse back, deleted ones included; anything else is null', () => {
    expect(parseSegmentFileName('00000000000000001234.log')).toEqual({ baseOffset: 1234n, kind: 'log', deleted: false });
    expect(parseSegmentFileName('00000000000000001234.timeindex.deleted')).toEqual({ baseOffset: 1234n, kind: 'timeindex', deleted: true });
    for (const name of ['1234.log', '00000000000000001234.txt', 'log-start-offset', '00000000000000001234.log.tmp', 'a0000000000000001234.log']) {
      expect(parseSegmentFileName(name)).toBeNull();
    }
  });

  it('name partition directories <topic>-<partition>', () => {
    expect(partitionDirName('orders', 7)).toBe('orders-7');
    expect(parsePartitionDirName('orders-7')).toEqual({ topic: 'orders', partition: 7 });
    expect(parsePartitionDirName('my-topic-12')).toEqual({ topic: 'my-topic', partition: 12 });
    for (const name of ['orders', '-3', 'orders-', 'orders-x', 'orders-99999999999']) expect(parsePartitionDirName(name)).toBeNull();
  });
});

describe('log start offset file', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it('round-trips through an atomic replace, and says when it is missing or unreadable', async () => {
    const d = await tempDir();
    cleanups.push(d.remove);
    expect(await inspectLogStartOffset(d.path)).toEqual({ missing: true });
    await writeLogStartOffset(d.path, 12345678901234n);
    expect(await inspectLogStartOffset(d.path)).toEqual({ offset: 12345678901234n });
    expect(await readdir(d.path)).toEqual(['log-start-offset']);
    await writeFile(join(d.path, 'log-start-offset'), 'garbage');
    expect(await inspectLogStartOffset(d.path)).toEqual({ problem: expect.stringContaining('not the version 0') });
  });

  it('keeps the old file and leaves no temporary file when a replace fails', async () => {
    const d = await tempDir();
    cleanups.push(d.remove);
    await writeLogStartOffset(d.path, 7n);
    const failingSync: OpenFile = async (path, flags) => {
      const inner = await openStorageFile(path, flags);
      return { ...bind(inner), sync: () => Promise.reject(Object.assign(new Error('injected EIO'), { code: 'EIO' })) };
    };
    await expect(replaceFileDurably(d.path, 'log-start-offset', Buffer.from('0\n8\n'), failingSync)).rejects.toMatchObject({ code: 'EIO' });
    expect(await readdir(d.path)).toEqual(['log-start-offset']);
    expect(await inspectLogStartOffset(d.path)).toEqual({ offset: 7n });
  });
});

/** The methods of `f` bound to it, so that single ones can be overridden in a copy. */
function bind(f: StorageFile): StorageFile {
  return {
    read: (b, o, l, p) => f.read(b, o, l, p),
    write: (b, o, l, p) => f.write(b, o, l, p),
    writev: (bs, p) => f.writev(bs, p),
    truncate: (l) => f.truncate(l),
    sync: () => f.sync(),
    stat: () => f.stat(),
    close: () => f.close(),
  };
}

describe('readFully / writeFully', () => {
  it('loop over short reads and short writes', async () => {
    const data = Buffer.from('0123456789abcdef');
    const store = Buffer.alloc(32);
    const file = {
      read: async (b: Buffer, o: number, l: number, p: number) => {
        const n = Math.min(3, l, 16 - p);
        store.copy(b, o, p, p + Math.max(n, 0));
        return { bytesRead: Math.max(n, 0) };
      },
      write: async (b: Buffer, o: number, l: number, p: number) => {
        const n = Math.min(5, l);
        b.copy(store, p, o, o + n);
        return { bytesWritten: n };
      },
      writev: async (bs: Buffer[], p: number) => {
        const all = Buffer.concat(bs);
        const n = Math.min(5, all.length);
        all.copy(store, p, 0, n);
        return { bytesWritten: n };
      },
    } as unknown as StorageFile;
    await writeFully(file, [data.subarray(0, 7), data.subarray(7)], 0);
    expect(store.subarray(0, 16).equals(data)).toBe(true);
    const out = Buffer.alloc(20);
    expect(await readFully(file, out, 0, 20, 0)).toBe(16);
    expect(out.subarray(0, 16).equals(data)).toBe(true);
  });

  it('work on real files', async () => {
    const d = await tempDir();
    const fh = await openStorageFile(join(d.path, 'f'), 'w+');
    await writeFully(fh, [Buffer.from('abc'), Buffer.from('def')], 2);
    const out = Buffer.alloc(10);
    expect(await readFully(fh, out, 0, 10, 0)).toBe(8);
    expect(out.subarray(2, 8).toString()).toBe('abcdef');
    await fh.close();
    await d.remove();
  });
});
