/**
 * The cluster id: generated once, kept in Kafka's meta.properties in every log directory, and
 * checked against what is stored on the next start.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MetaPropertiesError,
  ensureClusterId,
  generateClusterId,
  isValidClusterId,
  readMetaProperties,
  writeMetaProperties,
} from '../../src/config/meta-properties.js';
import { parseProperties } from '../../src/config/properties.js';

const made: string[] = [];
const tmp = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'gregor-meta-'));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe('generateClusterId', () => {
  it('makes 22-character URL-safe ids of 16 bytes that never start with "-"', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const id = generateClusterId();
      expect(isValidClusterId(id)).toBe(true);
      expect(id.startsWith('-')).toBe(false);
      ids.add(id);
    }
    expect(ids.size).toBe(500);
  });

  it('validates ids', () => {
    expect(isValidClusterId('MkU3OEVBNTcwNTJENDM2Qg')).toBe(true);
    expect(isValidClusterId('too-short')).toBe(false);
    expect(isValidClusterId('MkU3OEVBNTcwNTJENDM2Q+')).toBe(false);
  });
});

describe('meta.properties', () => {
  it('is absent in a fresh directory', async () => {
    expect(await readMetaProperties(tmp())).toBeNull();
  });

  it('round-trips, keeping unknown keys', async () => {
    const dir = tmp();
    await writeMetaProperties(dir, { version: 1, clusterId: 'MkU3OEVBNTcwNTJENDM2Qg', nodeId: 3, directoryId: 'AAAAAAAAAAAAAAAAAAAAAQ', extra: new Map([['custom', 'x']]) });
    const text = readFileSync(join(dir, 'meta.properties'), 'utf8');
    expect(Object.fromEntries(parseProperties(text))).toEqual({ 'cluster.id': 'MkU3OEVBNTcwNTJENDM2Qg', 'directory.id': 'AAAAAAAAAAAAAAAAAAAAAQ', 'node.id': '3', version: '1', custom: 'x' });
    expect(await readMetaProperties(dir)).toEqual({ version: 1, clusterId: 'MkU3OEVBNTcwNTJENDM2Qg', nodeId: 3, directoryId: 'AAAAAAAAAAAAAAAAAAAAAQ', extra: new Map([['custom', 'x']]) });
  });

  it('reads a ZooKeeper-era file that has broker.id', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'meta.properties'), '#\nversion=0\nbroker.id=0\ncluster.id=MkU3OEVBNTcwNTJENDM2Qg\n');
    expect(await readMetaProperties(dir)).toMatchObject({ version: 0, nodeId: 0, clusterId: 'MkU3OEVBNTcwNTJENDM2Qg' });
  });

  it('rejects a file without cluster.id or node.id', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'meta.properties'), 'version=1\nnode.id=1\n');
    await expect(readMetaProperties(dir)).rejects.toThrow(MetaPropertiesError);
    writeFileSync(join(dir, 'meta.properties'), 'version=1\ncluster.id=MkU3OEVBNTcwNTJENDM2Qg\n');
    await expect(readMetaProperties(dir)).rejects.toThrow('it has no node.id');
  });

  it('refuses a damaged file, naming the file and the line, and leaves it as it is', async () => {
    const dir = tmp();
    const file = join(dir, 'meta.properties');
    const good = '#Written by Gregor\ncluster.id=MkU3OEVBNTcwNTJENDM2Qg\nnode.id=1\nversion=1\n';
    // Cut short in the middle of the cluster id.
    writeFileSync(file, good.slice(0, 40));
    await expect(readMetaProperties(dir)).rejects.toThrow(
      `Error while reading meta.properties file ${file}: its cluster.id is not a cluster id of 22 characters of URL-safe base64 (line 2: cluster.id=MkU3OEVBNT). Encountered I/O error in log directory ${dir}. Cannot continue`,
    );
    expect(readFileSync(file, 'utf8')).toBe(good.slice(0, 40));
    writeFileSync(file, Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0a, 0x80, 0x81]));
    await expect(readMetaProperties(dir)).rejects.toThrow(new RegExp(`^Error while reading meta.properties file ${file}: it has no cluster.id \\(2 entries read from \\d+ bytes\\)`));
    writeFileSync(file, good.replace('version=1', 'version=7'));
    await expect(readMetaProperties(dir)).rejects.toThrow('unknown version (line 4: version=7)');
    writeFileSync(file, good.replace('node.id=1', 'node.id=x'));
    await expect(readMetaProperties(dir)).rejects.toThrow('its node.id is not a node id (line 3: node.id=x)');
  });
});

describe('ensureClusterId', () => {
  it('generates an id, writes it to every directory, and returns it again on the next start', async () => {
    const dirs = [join(tmp(), 'a'), join(tmp(), 'b')];
    const id = await ensureClusterId({ logDirs: dirs, nodeId: 1 });
    expect(isValidClusterId(id)).toBe(true);
    for (const dir of dirs) expect(await readMetaProperties(dir)).toMatchObject({ clusterId: id, nodeId: 1, version: 1 });
    const a = await readMetaProperties(dirs[0]);
    const b = await readMetaProperties(dirs[1]);
    expect(a!.directoryId).not.toBe(b!.directoryId);
    expect(await ensureClusterId({ logDirs: dirs, nodeId: 1 })).toBe(id);
  });

  it('uses a configured id and fills a new directory with the stored one', async () => {
    const first = tmp();
    expect(await ensureClusterId({ logDirs: [first], nodeId: 1, clusterId: 'MkU3OEVBNTcwNTJENDM2Qg' })).toBe('MkU3OEVBNTcwNTJENDM2Qg');
    const added = tmp();
    expect(await ensureClusterId({ logDirs: [first, added], nodeId: 1 })).toBe('MkU3OEVBNTcwNTJENDM2Qg');
    expect((await readMetaProperties(added))!.clusterId).toBe('MkU3OEVBNTcwNTJENDM2Qg');
  });

  it('refuses directories of another node or cluster, and bad configured ids', async () => {
    const dir = tmp();
    await ensureClusterId({ logDirs: [dir], nodeId: 1, clusterId: 'MkU3OEVBNTcwNTJENDM2Qg' });
    await expect(ensureClusterId({ logDirs: [dir], nodeId: 2 })).rejects.toThrow(/Stored node.id 1 in .*meta.properties does not match the configured node.id 2/);
    await expect(ensureClusterId({ logDirs: [dir], nodeId: 1, clusterId: 'AAAAAAAAAAAAAAAAAAAAAQ' })).rejects.toThrow(
      /Stored cluster.id MkU3OEVBNTcwNTJENDM2Qg in .* does not match AAAAAAAAAAAAAAAAAAAAAQ from the configuration \(cluster.id\)/,
    );
    const other = tmp();
    await ensureClusterId({ logDirs: [other], nodeId: 1, clusterId: 'AAAAAAAAAAAAAAAAAAAAAQ' });
    await expect(ensureClusterId({ logDirs: [dir, other], nodeId: 1 })).rejects.toThrow(/belongs to another cluster/);
    await expect(ensureClusterId({ logDirs: [tmp()], nodeId: 1, clusterId: 'nope' })).rejects.toThrow('Invalid value nope for configuration cluster.id');
    await expect(ensureClusterId({ logDirs: [], nodeId: 1 })).rejects.toThrow('no log directories');
  });
});
