import { describe, expect, it } from '@jest/globals';
import { isTooManyOpenFiles, parseOpenFileLimit, readOpenFileLimit, tooManyOpenFilesAdvice } from '../../src/util/open-file-limit.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 524288               files
Max locked memory         8388608              8388608              bytes
`;

describe('the open files limit', () => {
  it('is read from the "Max open files" line of /proc/<pid>/limits', () => {
    expect(parseOpenFileLimit(LIMITS)).toEqual({ soft: 1024, hard: 524288 });
    expect(parseOpenFileLimit(LIMITS.replace('1024                 524288', 'unlimited            unlimited'))).toEqual({ soft: null, hard: null });
    expect(parseOpenFileLimit('Max cpu time unlimited unlimited seconds\n')).toBeUndefined();
  });

  it("is this process's own on Linux, with the soft limit already raised to the hard limit by Node.js", () => {
    const limit = readOpenFileLimit();
    if (process.platform !== 'linux') {
      expect(limit).toBeUndefined();
      return;
    }
    expect(limit).toBeDefined();
    expect(limit!.soft).toBe(limit!.hard);
  });

  it('recognizes EMFILE and ENFILE, also wrapped as a cause', () => {
    const emfile = Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' });
    expect(isTooManyOpenFiles(emfile)).toBe(true);
    expect(isTooManyOpenFiles(new Error('open failed', { cause: new Error('wrapped', { cause: emfile }) }))).toBe(true);
    expect(isTooManyOpenFiles(Object.assign(new Error('system table full'), { code: 'ENFILE' }))).toBe(true);
    expect(isTooManyOpenFiles(Object.assign(new Error('no space'), { code: 'ENOSPC' }))).toBe(false);
    expect(isTooManyOpenFiles(undefined)).toBe(false);
  });

  it('advice says EMFILE, the limit and what is held, what the partitions need, and how to raise the limit', () => {
    const text = tooManyOpenFilesAdvice({ partitions: 10_000, loading: 24 }, { soft: 1024, hard: 4096 }, 1020);
    expect(text).toContain('too many open files (EMFILE)');
    expect(text).toContain('soft limit 1024, hard limit 4096');
    expect(text).toContain('holds 1020');
    expect(text).toContain('With 10000 partitions the broker needs up to about 10280 descriptors');
    expect(text).toContain('ulimit -n 16384');
    expect(text).toContain('LimitNOFILE=16384');
    expect(text).toContain('--ulimit nofile=16384:16384');
    expect(text).toContain('Node.js already raised the soft limit to the hard limit');
  });

  it('advice without a partition count or a readable limit still says how to raise it', () => {
    const text = tooManyOpenFilesAdvice({}, null, null);
    expect(text).toContain('too many open files (EMFILE)');
    expect(text).not.toContain('This process may open');
    expect(text).toContain('one per partition written or read');
    expect(text).toContain('ulimit -n 4096');
  });
});
