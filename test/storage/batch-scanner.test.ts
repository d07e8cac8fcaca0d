import { afterEach, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BatchScanner } from '../../src/storage/batch-scanner.js';
import { stampBatch } from '../../src/storage/log-rules.js';
import { openStorageFile, type StorageFile } from '../../src/storage/segment-files.js';
import { batch, sizedBatch, tempDir } from './helpers.js';

describe('BatchScanner', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  async function fileOf(content: Buffer): Promise<StorageFile> {
    const d = await tempDir();
    const path = join(d.path, 'f.log');
    await writeFile(path, content);
    const fh = await openStorageFile(path, 'r+');
    cleanups.push(async () => {
      await fh.close();
      await d.remove();
    });
    return fh;
  }

  async function walk(s: BatchScanner): Promise<bigint[]> {
    const out: bigint[] = [];
    while (await s.fill()) {
      while (s.next()) out.push(s.baseOffset);
      if (s.stop !== null) break;
    }
    return out;
  }

  function stamped(n: number, size = 50): Buffer {
    return Buffer.concat(
      Array.from({ length: n }, (_, i) => {
        const b = sizedBatch(size + ((i * 37) % 300));
        stampBatch(b, 0, b.length, BigInt(i), 0, undefined);
        return b;
      }),
    );
  }

  it('reads into a buffer the caller reuses from walk to walk, and into a larger one only when a batch needs it', async () => {
    const content = stamped(60);
    const file = await fileOf(content);
    const given = Buffer.alloc(1000);
    const first = new BatchScanner(file, 0, content.length, 1000, true, false, given);
    expect(await walk(first)).toEqual(Array.from({ length: 60 }, (_, i) => BigInt(i)));
    // Chunks carry partial batches over, so the walk needed room beyond the 1000 bytes given.
    expect(first.buffer.length).toBeGreaterThan(given.length);
    const grown = first.buffer;
    const second = new BatchScanner(file, 0, content.length, 1000, true, false, grown);
    expect(await walk(second)).toEqual(Array.from({ length: 60 }, (_, i) => BigInt(i)));
    expect(second.buffer).toBe(grown);
  });

  for (const prefetch of [false, true]) {
    it(`walks every batch across chunk boundaries, batches larger than a chunk included (prefetch: ${prefetch})`, async () => {
      const big = sizedBatch(300_000);
      const content = Buffer.concat([stamped(40), sizedBatch(5000), stamped(3), big, stamped(2)]);
      const file = await fileOf(content);
      // Restamp so that offsets run 0, 1, 2, ...
      let pos = 0;
      for (let i = 0; pos < content.length; i++) {
        const end = pos + 12 + content.readInt32BE(pos + 8);
        stampBatch(content, pos, end, BigInt(i), 0, undefined);
        pos = end;
      }
      await file.write(content, 0, content.length, 0);
      for (const chunk of [128, 1000, 64 * 1024]) {
        const s = new BatchScanner(file, 0, content.length, chunk, true, prefetch);
        expect(await walk(s)).toEqual(Array.from({ length: 47 }, (_, i) => BigInt(i)));
        expect([s.stop, s.position]).toEqual(['end', content.length]);
      }
      const from = stamped(40).length;
      const s = new BatchScanner(file, from, content.length, 700, true, prefetch);
      expect((await walk(s))[0]).toBe(40n);
    });

    it(`stops at a torn tail and zeros (prefetch: ${prefetch})`, async () => {
      const good = stamped(30);
      const content = Buffer.concat([good, batch(['x']).subarray(0, 30), Buffer.alloc(100)]);
      const s = new BatchScanner(await fileOf(content), 0, content.length, 256, true, prefetch);
      expect((await walk(s)).length).toBe(30);
      expect(s.position).toBe(good.length);
      await s.settle();
    });
  }

  it('stops at a torn batch, an impossible length, a wrong magic, or (when asked) a bad CRC', async () => {
    const good = stamped(5);
    const torn = Buffer.concat([good, batch(['x']).subarray(0, 30)]);
    let s = new BatchScanner(await fileOf(torn), 0, torn.length, 64, true);
    expect((await walk(s)).length).toBe(5);
    expect([s.stop, s.position]).toEqual(['truncated', good.length]);

    const zeros = Buffer.concat([good, Buffer.alloc(100)]);
    s = new BatchScanner(await fileOf(zeros), 0, zeros.length, 64, true);
    await walk(s);
    expect([s.stop, s.position]).toEqual(['bad length', good.length]);

    const magic = Buffer.concat([good, batch(['x'])]);
    magic[good.length + 16] = 1;
    s = new BatchScanner(await fileOf(magic), 0, magic.length, 1 << 20, true);
    await walk(s);
    expect(s.stop).toBe('bad magic');

    const crc = Buffer.concat([good, batch(['x'])]);
    crc[crc.length - 1] ^= 0xff;
    s = new BatchScanner(await fileOf(crc), 0, crc.length, 1 << 20, true);
    await walk(s);
    expect([s.stop, s.position]).toEqual(['bad crc', good.length]);
    s = new BatchScanner(await fileOf(crc), 0, crc.length, 1 << 20, false);
    expect((await walk(s)).length).toBe(6);
  });

  it('reports a file shorter than expected as truncated', async () => {
    const good = stamped(3);
    const s = new BatchScanner(await fileOf(good), 0, good.length + 500, 1 << 20, false);
    expect((await walk(s)).length).toBe(3);
    expect(s.stop).toBe('truncated');
  });
});

