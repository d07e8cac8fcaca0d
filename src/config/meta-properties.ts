/**
 * The cluster id, generated once and kept in Kafka's `meta.properties` in every log directory, so
 * a data directory formatted by Gregor looks like one formatted by `kafka-storage.sh format`:
 *
 *   #Written by Gregor
 *   cluster.id=<22 characters, base64url of 16 random bytes>
 *   directory.id=<the same kind of id, one per directory>
 *   node.id=1
 *   version=1
 *
 * On start, every directory that has the file must agree on cluster.id and node.id (a directory
 * from another cluster or node is refused, as Kafka refuses it); directories without it get one.
 * A cluster.id given in the configuration must match what is stored.
 *
 * A file that cannot be read or understood (garbage, cut short: no cluster.id, a cluster.id that
 * is not a 22-character id, no numeric node.id, an unknown version) refuses the start with a
 * message naming the file and the line, as Kafka refuses a metadata log directory whose
 * meta.properties it cannot read ("Encountered I/O error in metadata log directory ... Cannot
 * continue."). Kafka would take any other log directory offline instead; Gregor has no offline
 * directories, so it refuses those too. The file is never rewritten or removed over such damage:
 * the data beside it stays as it is until the file is repaired.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parsePropertyEntries, stringifyProperties, type PropertyEntry } from './properties.js';

export const META_PROPERTIES_FILE = 'meta.properties';

/** A Kafka-style id: 16 random bytes in URL-safe base64 without padding, never starting with '-'. */
export function generateClusterId(): string {
  for (;;) {
    const bytes = randomBytes(16);
    if (bytes.every((b) => b === 0)) continue;
    const id = bytes.toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** True for a 22-character base64url id (what Kafka's Uuid.fromString accepts). */
export function isValidClusterId(id: string): boolean {
  return /^[A-Za-z0-9_-]{22}$/.test(id) && Buffer.from(id, 'base64url').length === 16;
}

export interface MetaProperties {
  version: number;
  clusterId: string;
  nodeId: number;
  directoryId?: string;
  /** Other keys found in the file, kept when it is rewritten. */
  extra: Map<string, string>;
}

export class MetaPropertiesError extends Error {
  override readonly name = 'MetaPropertiesError';
}

/** Reads `<dir>/meta.properties`, or null when the file does not exist. */
export async function readMetaProperties(dir: string): Promise<MetaProperties | null> {
  const path = join(dir, META_PROPERTIES_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const unreadable = (reason: string): MetaPropertiesError =>
    new MetaPropertiesError(`Error while reading meta.properties file ${path}: ${reason}. Encountered I/O error in log directory ${dir}. Cannot continue: repair or restore ${path} (the data in ${dir} is left as it is)`);
  let entries: PropertyEntry[];
  try {
    entries = parsePropertyEntries(text, path);
  } catch (err) {
    throw unreadable((err as Error).message);
  }
  const props = new Map<string, PropertyEntry>();
  for (const e of entries) props.set(e.key, e);
  const at = (e: PropertyEntry): string => `line ${e.line}: ${e.key}=${e.value}`;
  const versionEntry = props.get('version');
  const version = versionEntry === undefined ? 0 : /^[01]$/.test(versionEntry.value.trim()) ? Number(versionEntry.value.trim()) : undefined;
  if (version === undefined) throw unreadable(`unknown version (${versionEntry === undefined ? '' : at(versionEntry)})`);
  const clusterIdEntry = props.get('cluster.id');
  const nodeIdEntry = props.get('node.id') ?? props.get('broker.id');
  if (clusterIdEntry === undefined) throw unreadable(`it has no cluster.id (${entries.length} entries read from ${Buffer.byteLength(text)} bytes)`);
  const clusterId = clusterIdEntry.value.trim();
  if (!isValidClusterId(clusterId)) throw unreadable(`its cluster.id is not a cluster id of 22 characters of URL-safe base64 (${at(clusterIdEntry)})`);
  if (nodeIdEntry === undefined) throw unreadable(`it has no node.id (${entries.length} entries read from ${Buffer.byteLength(text)} bytes)`);
  if (!/^[0-9]+$/.test(nodeIdEntry.value.trim()) || !Number.isSafeInteger(Number(nodeIdEntry.value.trim()))) {
    throw unreadable(`its ${nodeIdEntry.key} is not a node id (${at(nodeIdEntry)})`);
  }
  const extra = new Map([...props].map(([k, e]) => [k, e.value]));
  for (const k of ['version', 'cluster.id', 'node.id', 'broker.id', 'directory.id']) extra.delete(k);
  const meta: MetaProperties = { version, clusterId, nodeId: Number(nodeIdEntry.value.trim()), extra };
  const directoryId = props.get('directory.id');
  if (directoryId !== undefined) meta.directoryId = directoryId.value.trim();
  return meta;
}

/** Writes `<dir>/meta.properties` atomically (temporary file, then rename). */
export async function writeMetaProperties(dir: string, meta: MetaProperties): Promise<void> {
  await mkdir(dir, { recursive: true });
  const entries: [string, string][] = [['cluster.id', meta.clusterId]];
  if (meta.directoryId !== undefined) entries.push(['directory.id', meta.directoryId]);
  entries.push(['node.id', String(meta.nodeId)], ['version', String(meta.version)], ...meta.extra);
  const path = join(dir, META_PROPERTIES_FILE);
  const tmp = `${path}.tmp`;
  await writeFile(tmp, stringifyProperties(entries, { comments: 'Written by Gregor' }));
  await rename(tmp, path);
}

/**
 * Returns the cluster id of these log directories, creating meta.properties where it is missing.
 * `clusterId` (from the configuration) is used for a fresh start and must match stored ids.
 */
export async function ensureClusterId(options: { logDirs: readonly string[]; nodeId: number; clusterId?: string | null }): Promise<string> {
  if (options.logDirs.length === 0) throw new MetaPropertiesError('no log directories');
  const configured = options.clusterId ?? null;
  if (configured !== null && !isValidClusterId(configured)) {
    throw new MetaPropertiesError(`Invalid value ${configured} for configuration cluster.id: a cluster id is 22 characters of URL-safe base64 (16 bytes)`);
  }
  const found = await Promise.all(options.logDirs.map(async (dir) => ({ dir, meta: await readMetaProperties(dir) })));
  let clusterId = configured;
  let clusterIdFrom = 'the configuration (cluster.id)';
  for (const { dir, meta } of found) {
    if (meta === null) continue;
    const path = join(dir, META_PROPERTIES_FILE);
    if (meta.nodeId !== options.nodeId) {
      throw new MetaPropertiesError(`Stored node.id ${meta.nodeId} in ${path} does not match the configured node.id ${options.nodeId}; this directory belongs to another node`);
    }
    if (clusterId === null) {
      clusterId = meta.clusterId;
      clusterIdFrom = path;
    } else if (meta.clusterId !== clusterId) {
      throw new MetaPropertiesError(`Stored cluster.id ${meta.clusterId} in ${path} does not match ${clusterId} from ${clusterIdFrom}; this directory belongs to another cluster`);
    }
  }
  const id = clusterId ?? generateClusterId();
  for (const { dir, meta } of found) {
    if (meta === null) await writeMetaProperties(dir, { version: 1, clusterId: id, nodeId: options.nodeId, directoryId: generateClusterId(), extra: new Map() });
  }
  return id;
}
