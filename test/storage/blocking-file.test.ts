import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { blockingOpener } from '../../src/storage/blocking-file.js';
import { tempDir } from './helpers.js';

let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir('gregor-blocking-');
});
afterEach(async () => {
  await dir.remove();
});

describe('blockingOpener', () => {
  it('reads, writes, truncates, stats and syncs a file as the asynchronous one does', async () => {
    const open = blockingOpener();
    const path = join(dir.path, 'f');
    const f = await open(path, 'w+');
    expect((await f.write(Buffer.from('hello world'), 0, 11, 0)).bytesWritten).toBe(11);
    expect((await f.writev([Buffer.from('!'), Buffer.from('?')], 11)).bytesWritten).toBe(2);
    await f.sync();
    expect((await f.stat()).size).toBe(13);
    const buf = Buffer.alloc(5);
    expect((await f.read(buf, 0, 5, 6)).bytesRead).toBe(5);
    expect(buf.toString()).toBe('world');
    await f.truncate(5);
    await f.close();
    await f.close(); // twice is harmless
    expect(await readFile(path, 'utf8')).toBe('hello');
  });

  it('fails as a rejected promise, with the errno code', async () => {
    const open = blockingOpener();
    await expect(open(join(dir.path, 'missing'), 'r')).rejects.toMatchObject({ code: 'ENOENT' });
    await writeFile(join(dir.path, 'ro'), 'x');
    const f = await open(join(dir.path, 'ro'), 'r');
    await expect(f.write(Buffer.from('y'), 0, 1, 0)).rejects.toMatchObject({ code: 'EBADF' });
    await f.close();
  });

  it('lets the event loop run during a long stretch of work', async () => {
    const open = blockingOpener();
    const path = join(dir.path, 'big');
    await writeFile(path, Buffer.alloc(1 << 20));
    let turns = 0;
    let ticking = true;
    const tick = (): void => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const f = await open(path, 'r');
    const buf = Buffer.alloc(1 << 20);
    // Busy with synchronous reads until the event loop has had several turns (never without one).
    while (turns < 3) await f.read(buf, 0, buf.length, 0);
    ticking = false;
    await f.close();
    expect(turns).toBeGreaterThanOrEqual(3);
  });
});
