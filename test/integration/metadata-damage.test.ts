/**
 * A damaged or lost metadata log never costs record data: on start, partition folders the metadata
 * does not account for are restored into it (topic id from partition.metadata) or set aside, never
 * removed, and the broker says what it cut and what it restored. Committed group offsets (another
 * log) stay as they were.
 */
import { describe, expect, it } from '@jest/globals';
import { cp, mkdtemp, open, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin } from '../../src/client/admin.js';
import { Consumer, type ConsumerRecord } from '../../src/client/consumer.js';
import { GroupAdmin } from '../../src/client/group-admin.js';
import { Producer } from '../../src/client/producer.js';
import { RestartableBroker, type LogLine } from '../helpers/restartable-broker.js';

const fx = new RestartableBroker('gregor-metadata-damage-');
const client = () => fx.client();
const start = () => fx.start();
const stop = () => fx.stop();

async function createTopic(name: string, partitions: number): Promise<string> {
  const admin = new Admin(client());
  try {
    const [created] = await admin.createTopics([{ name, numPartitions: partitions, replicationFactor: 1 }]);
    return created.topicId;
  } finally {
    await admin.close();
  }
}

async function describe1(name: string): Promise<{ topicId: string; partitions: number }> {
  const admin = new Admin(client());
  try {
    const [d] = await admin.describeTopics([name]);
    return { topicId: d.topicId, partitions: d.partitions.length };
  } finally {
    await admin.close();
  }
}

async function topicNames(): Promise<string[]> {
  const admin = new Admin(client());
  try {
    return (await admin.listTopics()).map((t) => t.name).sort();
  } finally {
    await admin.close();
  }
}

/** Produces `count` records to each of the partitions, values `<topic>/<partition>/<i>`. */
async function produce(topic: string, partitions: readonly number[], count: number, from = 0): Promise<void> {
  const producer = new Producer(client(), { lingerMs: 5 });
  try {
    const sends: Promise<unknown>[] = [];
    for (const partition of partitions) {
      for (let i = from; i < from + count; i++) sends.push(producer.send({ topic, partition, value: Buffer.from(`${topic}/${partition}/${i}`) }));
    }
    await Promise.all(sends);
  } finally {
    await producer.close();
  }
}

/** Reads each partition from the beginning until `count` records came back; returns them per partition. */
async function consume(topic: string, partitions: readonly number[], count: number): Promise<Map<number, ConsumerRecord[]>> {
  const consumer = new Consumer(client());
  try {
    consumer.assign(partitions.map((partition) => ({ topic, partition, offset: 'earliest' as const })));
    const out = new Map<number, ConsumerRecord[]>(partitions.map((p) => [p, []]));
    let total = 0;
    while (total < count * partitions.length) {
      for (const r of await consumer.poll(1000)) {
        out.get(r.partition)!.push(r);
        total++;
      }
    }
    return out;
  } finally {
    await consumer.close();
  }
}

/** Every partition holds exactly its `count` records, at offsets 0 to count - 1. */
function expectAllRecords(read: Map<number, ConsumerRecord[]>, topic: string, count: number): void {
  for (const [partition, records] of read) {
    expect(records).toHaveLength(count);
    records.forEach((r, i) => {
      if (r.offset !== BigInt(i) || r.value!.toString() !== `${topic}/${partition}/${i}`) {
        throw new Error(`partition ${partition}: record ${i} is ${r.offset}: ${r.value?.toString()}`);
      }
    });
  }
}

async function commitOffsets(group: string, offsets: { topic: string; partition: number; offset: bigint }[]): Promise<void> {
  const admin = new GroupAdmin(client());
  try {
    await admin.alterGroupOffsets(group, offsets);
  } finally {
    await admin.close();
  }
}

async function committed(group: string): Promise<string[]> {
  const admin = new GroupAdmin(client());
  try {
    return (await admin.listGroupOffsets(group)).map((o) => `${o.topic}-${o.partition}@${o.offset}`).sort();
  } finally {
    await admin.close();
  }
}

/** The metadata log files (the state log "metadata" under the first log fx.dir). */
async function metadataLogs(): Promise<string[]> {
  const stateDir = join(fx.dir, '__gregor_metadata');
  return (await readdir(stateDir)).filter((f) => /^metadata-\d{20}\.log$/.test(f)).sort().map((f) => join(stateDir, f));
}

const warnings = (): string => fx.lines.map((l) => l.msg).join('\n');

/** The WARN line restoring topic orders (two partitions), whose reason names the damaged `file`. */
function expectRestoreLine(file: string): LogLine {
  const restored = fx.lines.find((l) => /^restored topic orders/.test(l.msg));
  expect(restored).toBeDefined();
  expect(restored!.level).toBe(40);
  expect(restored!.msg).toContain(join(fx.dir, 'orders-0'));
  expect(restored!.msg).toContain(join(fx.dir, 'orders-1'));
  expect(restored!.msg).toMatch(/2 partitions/);
  expect(restored!.msg).toContain(`the metadata log was damaged and cut back:`);
  expect(restored!.msg).toContain(file);
  expect(warnings()).toMatch(/metadata reconciled with the partition folders on disk: restored topics \[orders\]/);
  return restored!;
}

describe('a damaged metadata log does not cost record data', () => {
  const RECORDS = 10_000; // per partition: 20,000 in all

  async function seed(): Promise<{ topicId: string }> {
    await start();
    const topicId = await createTopic('orders', 2);
    await produce('orders', [0, 1], RECORDS);
    await commitOffsets('billing', [
      { topic: 'orders', partition: 0, offset: 7000n },
      { topic: 'orders', partition: 1, offset: 9000n },
    ]);
    await stop();
    return { topicId };
  }

  /** After the damage: the topic is back with its id, every record is readable, offsets are kept, and a restart keeps it all. */
  async function expectRestored(topicId: string): Promise<void> {
    expect(await topicNames()).toEqual(['orders']);
    expect(await describe1('orders')).toEqual({ topicId, partitions: 2 });
    expectAllRecords(await consume('orders', [0, 1], RECORDS), 'orders', RECORDS);
    expect(await committed('billing')).toEqual(['orders-0@7000', 'orders-1@9000']);
    // New records go after the old ones, not at offset 0 of an empty topic.
    await produce('orders', [0], 1, RECORDS);
    expect(fx.running.services.logs.get('orders', 0)!.logEndOffset).toBe(BigInt(RECORDS + 1));

    // The restoration was recorded: the next start has nothing to restore.
    await stop();
    await start();
    expect(warnings()).not.toMatch(/restored/);
    expect(await describe1('orders')).toEqual({ topicId, partitions: 2 });
    expect(fx.running.services.logs.get('orders', 1)!.logEndOffset).toBe(BigInt(RECORDS));
  }

  it('survives its last 30 bytes being overwritten', async () => {
    const { topicId } = await seed();
    const [file] = await metadataLogs();
    const size = (await stat(file)).size;
    const fh = await open(file, 'r+');
    await fh.write(Buffer.alloc(30, 0x5a), 0, 30, size - 30);
    await fh.close();

    await start();
    // The state log says what it cut, where, and where the bytes went.
    const cut = fx.lines.find((l) => l.file === file && typeof l.position === 'number');
    expect(cut).toBeDefined();
    expect(cut!.level).toBe(50); // a complete frame that fails its CRC: damage, not a torn write
    expect(cut!.msg).toContain(`${file} has a frame failing its CRC at byte ${cut!.position as number}: truncating ${size - (cut!.position as number)} bytes`);
    const copy = `${file}.damaged-${cut!.position as number}`;
    expect((await readFile(copy)).subarray(-30)).toEqual(Buffer.alloc(30, 0x5a));
    process.stderr.write(fx.lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const restored = expectRestoreLine(file);
    expect(restored.msg).toContain(`topic id ${topicId}`);
    expect(restored.msg).toContain('with its topic id from partition.metadata');

    await expectRestored(topicId);
  }, 120_000);

  it('survives 10 bytes cut off its end', async () => {
    const { topicId } = await seed();
    const [file] = await metadataLogs();
    const size = (await stat(file)).size;
    await truncate(file, size - 10);

    await start();
    const cut = fx.lines.find((l) => l.file === file && typeof l.position === 'number');
    expect(cut).toBeDefined();
    expect(cut!.level).toBe(40); // a frame cut short at the end: what a crash leaves
    expect(cut!.msg).toMatch(/has a torn frame/);
    expectRestoreLine(file);

    await expectRestored(topicId);
  }, 120_000);
});

describe('reconciling partition folders with the metadata on start', () => {
  it('restores every topic when the metadata log is gone', async () => {
    await start();
    const ids = { a: await createTopic('a.events', 3), b: await createTopic('b-2', 1) };
    await produce('a.events', [0, 1, 2], 50);
    await produce('b-2', [0], 70);
    await commitOffsets('g', [{ topic: 'b-2', partition: 0, offset: 5n }]);
    await stop();
    for (const f of await metadataLogs()) await rm(f);

    await start();
    expect(await topicNames()).toEqual(['a.events', 'b-2']);
    expect(await describe1('a.events')).toEqual({ topicId: ids.a, partitions: 3 });
    expect(await describe1('b-2')).toEqual({ topicId: ids.b, partitions: 1 });
    expectAllRecords(await consume('a.events', [0, 1, 2], 50), 'a.events', 50);
    expectAllRecords(await consume('b-2', [0], 70), 'b-2', 70);
    expect(await committed('g')).toEqual(['b-2-0@5']);
    expect(warnings()).toMatch(/restored topic a\.events .*3 partitions.*because the metadata log does not account for these folders/);
    expect(warnings()).toMatch(/restored topic b-2 /);
  }, 120_000);

  it('raises a partition count whose CreatePartitions record was lost', async () => {
    await start();
    const topicId = await createTopic('grow', 1);
    const admin = new Admin(client());
    await admin.createPartitions(new Map([['grow', 3]]));
    await admin.close();
    await produce('grow', [0, 1, 2], 20);
    await stop();
    // The CreatePartitions record is the last one: tear it.
    const [file] = await metadataLogs();
    await truncate(file, (await stat(file)).size - 3);

    await start();
    expect(await describe1('grow')).toEqual({ topicId, partitions: 3 });
    expectAllRecords(await consume('grow', [0, 1, 2], 20), 'grow', 20);
    expect(warnings()).toMatch(/restored partitions of topic grow: its partition count went from 1 to 3, because partition folders .*grow-1, .*grow-2 are on disk/);
  }, 120_000);

  it('sets aside, never deletes, a folder whose topic id is not the topic\'s', async () => {
    await start();
    const topicId = await createTopic('orders', 2);
    await produce('orders', [0, 1], 30);
    await stop();
    // orders-0 holds the data of another incarnation of "orders" that the metadata never heard of.
    const strangerId = '0f0e0d0c-0b0a-4908-8706-050403020100';
    await writeFile(join(fx.dir, 'orders-0', 'partition.metadata'), `version: 0\ntopic_id: ${Buffer.from(strangerId.replaceAll('-', ''), 'hex').toString('base64url')}\n`);

    await start();
    process.stderr.write(fx.lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const stray = (await readdir(fx.dir)).filter((f) => /^orders-0\.[0-9a-f]{32}-stray$/.test(f));
    expect(stray).toHaveLength(1);
    const strayDir = join(fx.dir, stray[0]);
    // The data is all there, with its own topic id beside it.
    expect((await readFile(join(strayDir, 'partition.metadata'), 'utf8'))).toContain(Buffer.from(strangerId.replaceAll('-', ''), 'hex').toString('base64url'));
    expect((await stat(join(strayDir, '00000000000000000000.log'))).size).toBeGreaterThan(0);
    expect(warnings()).toContain(`set aside partition folder ${join(fx.dir, 'orders-0')} as ${strayDir}: its partition.metadata names topic id ${strangerId}, but topic orders has id ${topicId}`);
    // The topic goes on with its own id; the partition set aside starts again empty.
    expect(await describe1('orders')).toEqual({ topicId, partitions: 2 });
    expect(fx.running.services.logs.get('orders', 0)!.logEndOffset).toBe(0n);
    expectAllRecords(await consume('orders', [1], 30), 'orders', 30);

    // Later starts leave it where it is and say so.
    await stop();
    await start();
    expect(warnings()).toContain(`partition folder ${strayDir} was set aside earlier`);
    expect((await stat(join(strayDir, '00000000000000000000.log'))).size).toBeGreaterThan(0);
  }, 120_000);

  it('still removes the folder of a deleted topic, and only that', async () => {
    await start();
    const oldId = await createTopic('orders', 1);
    await produce('orders', [0], 10);
    await stop();
    // Keep the old folder, as a crash between the deletion record and the rename would.
    const saved = join(await mkdtemp(join(tmpdir(), 'gregor-saved-')), 'orders-0');
    await cp(join(fx.dir, 'orders-0'), saved, { recursive: true });
    await start();
    const admin = new Admin(client());
    await admin.deleteTopics(['orders']);
    await admin.close();
    await stop();
    await cp(saved, join(fx.dir, 'orders-0'), { recursive: true });
    await rm(join(saved, '..'), { recursive: true, force: true });

    await start();
    expect(await topicNames()).toEqual([]);
    expect(warnings()).toContain('removing partition orders-0: the metadata log records the deletion of its topic');
    expect((await readdir(fx.dir)).filter((f) => f.startsWith('orders-0') && !f.endsWith('-delete'))).toEqual([]);
    // A topic created again under the name is new.
    expect(await createTopic('orders', 1)).not.toBe(oldId);
  }, 120_000);
});

describe('a damaged snapshot does not stop the broker', () => {
  /** Flips one byte of `file` at `at` (from the end when negative). */
  async function flipByte(file: string, at: number): Promise<Buffer> {
    const bytes = await readFile(file);
    bytes[at < 0 ? bytes.length + at : at] ^= 0xff;
    await writeFile(file, bytes);
    return bytes;
  }

  it('a damaged metadata snapshot: topics and records are intact, the log names the file and position', async () => {
    await start();
    const ordersId = await createTopic('orders', 2);
    await produce('orders', [0, 1], 500);
    await commitOffsets('billing', [{ topic: 'orders', partition: 1, offset: 400n }]);
    // 1000 metadata records make the store write a snapshot: the topic and 999 config changes.
    for (let i = 0; i < 999; i++) await fx.running.services.metadata.setTopicOverrides('orders', new Map([['retention.ms', String(86_400_000 + i)]]), false);
    const lateId = await createTopic('late', 1);
    await produce('late', [0], 20);
    await stop();
    const snapshot = join(fx.dir, '__gregor_metadata', 'metadata-00000000000000000001.snapshot');
    const damaged = await flipByte(snapshot, 40);

    await start();
    const line = fx.lines.find((l) => l.file === snapshot && l.level === 50);
    expect(line).toBeDefined();
    expect(line).toMatchObject({ position: 0, bytes: damaged.length, copy: `${snapshot}.damaged-0`, stateLost: true });
    expect(line!.msg).toContain(`snapshot ${snapshot} has a frame failing its CRC (somewhere in its ${damaged.length} bytes) (${damaged.length} bytes from byte 0); it is set aside as ${snapshot}.damaged-0`);
    // Set aside byte for byte, never removed.
    expect(await readFile(`${snapshot}.damaged-0`)).toEqual(damaged);
    // The topic the snapshot held is restored from its folders; the one recorded after it replays.
    const restored = expectRestoreLine(snapshot);
    expect(restored.msg).toContain(`topic id ${ordersId}`);
    expect(warnings()).toMatch(/the state lost with the damaged metadata log was rebuilt from the partition folders .* 2 topics are known/);
    expect(await topicNames()).toEqual(['late', 'orders']);
    expect(await describe1('orders')).toEqual({ topicId: ordersId, partitions: 2 });
    expect(await describe1('late')).toEqual({ topicId: lateId, partitions: 1 });
    expectAllRecords(await consume('orders', [0, 1], 500), 'orders', 500);
    expectAllRecords(await consume('late', [0], 20), 'late', 20);
    expect(await committed('billing')).toEqual(['orders-1@400']);

    // What was rebuilt is written down: the next start reports nothing.
    await stop();
    await start();
    expect(fx.lines.filter((l) => l.level >= 40)).toEqual([]);
    expect(await describe1('orders')).toEqual({ topicId: ordersId, partitions: 2 });
  }, 120_000);

  it('a damaged coordinator snapshot: the broker starts and says which groups it could not load', async () => {
    await start();
    await createTopic('orders', 1);
    await produce('orders', [0], 20);
    await commitOffsets('g-lost', [{ topic: 'orders', partition: 0, offset: 5n }]);
    await commitOffsets('g-partly', [{ topic: 'orders', partition: 0, offset: 7n }]);
    await fx.running.services.groups.snapshot();
    await commitOffsets('g-partly', [{ topic: 'orders', partition: 0, offset: 9n }]);
    await commitOffsets('g-later', [{ topic: 'orders', partition: 0, offset: 3n }]);
    await stop();
    const snapshot = join(fx.dir, '__gregor_groups', 'groups-00000000000000000001.snapshot');
    // The last byte lies in the value of the snapshot's last record: the keys stay readable.
    const damaged = await flipByte(snapshot, -1);

    await start();
    const cut = fx.lines.find((l) => l.file === snapshot && l.level === 50);
    expect(cut).toMatchObject({ position: 0, bytes: damaged.length, copy: `${snapshot}.damaged-0` });
    const report = fx.lines.find((l) => /^group coordinator: committed offsets and group metadata in the damaged snapshot/.test(l.msg));
    expect(report).toBeDefined();
    expect(report!.level).toBe(50);
    expect(report).toMatchObject({ groupsNotLoaded: ['g-lost'], groupsPartlyLoaded: ['g-partly'] });
    expect(report!.msg).toContain(`the damaged snapshot ${snapshot} (set aside as ${snapshot}.damaged-0)`);
    expect(report!.msg).toContain('groups it held that could not be loaded: [g-lost]');
    expect(report!.msg).toMatch(/loaded only from the records written after it.*: \[g-partly\]/);
    // What was committed after the snapshot is there; the partition data is untouched.
    expect(await committed('g-partly')).toEqual(['orders-0@9']);
    expect(await committed('g-later')).toEqual(['orders-0@3']);
    expect(await committed('g-lost')).toEqual([]);
    expectAllRecords(await consume('orders', [0], 20), 'orders', 20);

    await stop();
    await start();
    expect(fx.lines.filter((l) => l.level >= 40)).toEqual([]);
    expect(await committed('g-partly')).toEqual(['orders-0@9']);
  }, 120_000);
});

describe('a damaged coordinator log', () => {
  it('names the groups whose commits were in the bytes cut, and loads what came before', async () => {
    await start();
    await createTopic('orders', 1);
    await produce('orders', [0], 20);
    await commitOffsets('g-before', [{ topic: 'orders', partition: 0, offset: 4n }]);
    const logFile = join(fx.dir, '__gregor_groups', 'groups-00000000000000000000.log');
    const intact = (await stat(logFile)).size;
    await commitOffsets('g-cut', [{ topic: 'orders', partition: 0, offset: 6n }]);
    await commitOffsets('g-before', [{ topic: 'orders', partition: 0, offset: 8n }]);
    await stop();
    // One flipped byte in the frame after the first commit: a complete frame failing its CRC.
    const bytes = await readFile(logFile);
    bytes[intact + 12] ^= 0xff;
    await writeFile(logFile, bytes);

    await start();
    const report = fx.lines.find((l) => /^group coordinator: the records cut from/.test(l.msg));
    expect(report).toBeDefined();
    expect(report).toMatchObject({ level: 50, file: logFile, position: intact, bytes: bytes.length - intact, groups: ['g-before', 'g-cut'] });
    expect(report!.msg).toContain(`the records cut from ${logFile} at byte ${intact} (${bytes.length - intact} bytes, kept in ${logFile}.damaged-${intact}) are lost: they name groups [g-before, g-cut]`);
    expect(await committed('g-before')).toEqual(['orders-0@4']);
    expect(await committed('g-cut')).toEqual([]);
  }, 120_000);
});
