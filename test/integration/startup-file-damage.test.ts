/**
 * The other files a start reads besides segments and state logs, damaged on a real data fx.dir, and
 * what the broker does about each, as Kafka does: meta.properties refuses the start (naming the
 * file and line, touching nothing); a producer state snapshot is rebuilt from the log; the log start
 * offset file counts as missing, with a warning; partition.metadata counts as missing, with a
 * warning, and is written again from the metadata; a leader-epoch-checkpoint is rebuilt from the
 * batches, with a warning. Record data is never removed.
 */
import { describe, expect, it } from '@jest/globals';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Admin } from '../../src/client/admin.js';
import { Consumer, type ConsumerRecord } from '../../src/client/consumer.js';
import { Producer } from '../../src/client/producer.js';
import { uuidToKafkaString } from '../../src/storage/partition-metadata-file.js';
import { RestartableBroker } from '../helpers/restartable-broker.js';

const fx = new RestartableBroker('gregor-startup-files-');
const client = () => fx.client();
const start = () => fx.start();
const stop = () => fx.stop();

async function createTopic(name: string): Promise<string> {
  const admin = new Admin(client());
  try {
    const [created] = await admin.createTopics([{ name, numPartitions: 1, replicationFactor: 1 }]);
    return created.topicId;
  } finally {
    await admin.close();
  }
}

/** Produces records `from` to `from + count - 1` of partition 0 with an idempotent producer. */
async function produce(topic: string, count: number, from = 0): Promise<void> {
  const producer = new Producer(client(), { lingerMs: 5, idempotent: true, acks: -1 });
  try {
    await Promise.all(Array.from({ length: count }, (_, i) => producer.send({ topic, partition: 0, value: Buffer.from(`${topic}/${from + i}`) })));
  } finally {
    await producer.close();
  }
}

/** Reads partition 0 from its earliest offset until `count` records came back. */
async function consume(topic: string, count: number): Promise<ConsumerRecord[]> {
  const consumer = new Consumer(client());
  try {
    consumer.assign([{ topic, partition: 0, offset: 'earliest' }]);
    const out: ConsumerRecord[] = [];
    while (out.length < count) out.push(...(await consumer.poll(1000)));
    return out;
  } finally {
    await consumer.close();
  }
}

const texts = (records: ConsumerRecord[]): string[] => records.map((r) => `${r.offset}:${r.value!.toString()}`);
const expected = (topic: string, from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `${from + i}:${topic}/${from + i}`);

describe('damaged startup files', () => {
  it('meta.properties: the start is refused, naming the file and line, and nothing is touched', async () => {
    await start();
    await createTopic('orders');
    await produce('orders', 30);
    await stop();
    const meta = join(fx.dir, 'meta.properties');
    const good = await readFile(meta, 'utf8');
    const segment = join(fx.dir, 'orders-0', '00000000000000000000.log');
    const segmentSize = (await stat(segment)).size;
    // Cut short in the middle of the cluster id.
    const cut = good.slice(0, good.indexOf('cluster.id=') + 'cluster.id='.length + 5);
    await writeFile(meta, cut);

    await expect(start()).rejects.toThrow(
      new RegExp(`^Error while reading meta.properties file ${meta}: its cluster.id is not a cluster id .*\\(line 2: cluster.id=.{5}\\)\\. Encountered I/O error in log directory ${fx.dir}\\. Cannot continue`),
    );
    expect(await readFile(meta, 'utf8')).toBe(cut);
    expect((await stat(segment)).size).toBe(segmentSize);

    // Repaired, the broker starts with its data.
    await writeFile(meta, good);
    await start();
    expect(texts(await consume('orders', 30))).toEqual(expected('orders', 0, 30));
  }, 120_000);

  it('a producer state snapshot: removed and rebuilt from the log, as Kafka does; the records stay', async () => {
    await start();
    await createTopic('orders');
    await produce('orders', 40);
    await stop();
    const partitionDir = join(fx.dir, 'orders-0');
    const [snapshotName] = (await readdir(partitionDir)).filter((f) => /^\d{20}\.snapshot$/.test(f));
    expect(snapshotName).toBeDefined();
    const snapshot = join(partitionDir, snapshotName);
    const bytes = await readFile(snapshot);
    bytes[bytes.length - 3] ^= 0xff;
    await writeFile(snapshot, bytes);

    await start();
    // Producer state is loaded when the partition is first produced to.
    await produce('orders', 10, 40);
    const warning = fx.lines.find((l) => l.file === snapshot);
    expect(warning).toBeDefined();
    expect(warning!.level).toBe(40);
    expect(warning!.msg).toContain(`producer state snapshot ${snapshot} is unreadable (Snapshot is corrupt (CRC is no longer valid).`);
    expect(warning!.msg).toContain(`${bytes.length} bytes from byte 0): removing it and rebuilding the producer state from the log`);
    expect(texts(await consume('orders', 50))).toEqual(expected('orders', 0, 50));
  }, 120_000);

  it('the leader epoch checkpoint: a warning naming the file, then the epochs rebuilt from the batches', async () => {
    await start();
    await createTopic('orders');
    await produce('orders', 20);
    await stop();
    const file = join(fx.dir, 'orders-0', 'leader-epoch-checkpoint');
    expect(await readFile(file, 'utf8')).toBe('0\n1\n0 0\n');
    await writeFile(file, '0\n1\n0 0 garbage\n');

    await start();
    const warning = fx.lines.find((l) => l.file === file);
    expect(warning).toBeDefined();
    expect(warning!.level).toBe(40);
    expect(warning!.msg).toBe(`${file}: malformed line 3: "0 0 garbage": the leader epochs were rebuilt from the log's batches (1 entry)`);
    expect(await readFile(file, 'utf8')).toBe('0\n1\n0 0\n');
    expect(texts(await consume('orders', 20))).toEqual(expected('orders', 0, 20));
  }, 120_000);

  it('the log start offset file: a warning naming file and line, then the log starts at its first segment, as Kafka does', async () => {
    await start();
    await createTopic('orders');
    await produce('orders', 30);
    expect(await fx.running.services.logs.get('orders', 0)!.deleteRecordsBefore(10n)).toBe(10n);
    await stop();
    const file = join(fx.dir, 'orders-0', 'log-start-offset');
    expect(await readFile(file, 'utf8')).toBe('0\n10\n');
    await writeFile(file, '0\n1x\n');

    await start();
    const warning = fx.lines.find((l) => l.file === file);
    expect(warning).toBeDefined();
    expect(warning!.level).toBe(40);
    expect(warning!.msg).toBe(`${file} line 2 (byte 2) holds "1x", not an offset: ignored, so the log starts at the base offset of its first segment (records below a DeleteRecords offset that were not yet removed are readable again until the next DeleteRecords)`);
    expect(fx.running.services.logs.get('orders', 0)!.logStartOffset).toBe(0n);
    expect(texts(await consume('orders', 30))).toEqual(expected('orders', 0, 30));
  }, 120_000);

  it('partition.metadata with garbage: a warning naming file and line, the data is served, the file is kept aside and written again', async () => {
    await start();
    const topicId = await createTopic('orders');
    await produce('orders', 30);
    await stop();
    const file = join(fx.dir, 'orders-0', 'partition.metadata');
    await writeFile(file, 'version: 0\ntopic_id: #### not an id ####\n');

    await start();
    const warning = fx.lines.find((l) => l.dir === join(fx.dir, 'orders-0'));
    expect(warning).toBeDefined();
    expect(warning!.msg).toBe(`Malformed line in partition metadata file [${file}]: topic_id: #### not an id ####: the partition's topic id is unknown`);
    // The metadata knows the topic: its id goes back beside the data.
    expect(await readFile(file, 'utf8')).toBe(`version: 0\ntopic_id: ${uuidToKafkaString(topicId)}\n`);
    // What was there is kept beside it, as the other damaged files are.
    expect(warning!.keptAs).toBe(`${file}.damaged`);
    expect(await readFile(`${file}.damaged`, 'utf8')).toBe('version: 0\ntopic_id: #### not an id ####\n');
    expect(texts(await consume('orders', 30))).toEqual(expected('orders', 0, 30));
  }, 120_000);
});
