import { describe, expect, it } from '@jest/globals';
import { editDistance, nearestName } from '../../src/util/nearest-name.js';

describe('nearestName', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('--topci', '--topic')).toBe(1);
    expect(editDistance('abc', 'abc')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests the nearest flag for a typo, a missing letter or a wrong case', () => {
    const flags = ['--bootstrap-server', '--topic', '--partitions', '--describe', '--delete'];
    expect(nearestName('--topci', flags)).toBe('--topic');
    expect(nearestName('--partition', flags)).toBe('--partitions');
    expect(nearestName('--bootstrap-servers', flags)).toBe('--bootstrap-server');
    expect(nearestName('--DESCRIBE', flags)).toBe('--describe');
  });

  it('takes an abbreviation as the flag it starts', () => {
    expect(nearestName('--boot', ['--topic', '--bootstrap-server'])).toBe('--bootstrap-server');
  });

  it('suggests nothing for a name like no candidate', () => {
    expect(nearestName('--zookeeper', ['--topic', '--bootstrap-server', '--list'])).toBeUndefined();
    expect(nearestName('x', ['--topic'])).toBeUndefined();
  });
});
