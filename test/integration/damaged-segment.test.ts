/**
 * A batch damaged in the middle of the active segment, in a real data dir, as a consumer sees it:
 *
 * - after a clean shutdown (no recovery runs), the consumer gets every record before the damage and
 *   then CORRUPT_MESSAGE, which the broker logs once however often the consumer retries;
 * - after an unclean one (no clean-shutdown marker, as kill -9 leaves), recovery cuts the segment
 *   at the damage, logs the file, position, bytes and offsets, and the log goes on from there;
 * - either way the start prints one summary line with what it recovered and loaded.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, open, readFile, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Broker } from '../../src/broker.js';
import { Admin } from '../../src/client/admin.js';
import { Consumer, type ConsumerRecord } from '../../src/client/consumer.js';
import { KafkaProtocolError } from '../../src/client/errors.js';
import { GroupAdmin } from '../../src/client/group-admin.js';
import { Producer } from '../../src/client/producer.js';
import { ErrorCode } from '../../src/protocol/generated/errors.js';

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

const WARN = 40;
const SEGMENT = '00000000000000000000.log';

let dir: string | undefined;
let broker: Broker | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  await broker?.stop();
  broker = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Starts a broker on `dataDir` whose log lines are collected in `lines`. */
async function start(dataDir: string, lines: LogLine[] = []): Promise<Broker> {
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  broker = await Broker.start({ port: 0, dataDir, logger });
  return broker;
}

/** The value of record `i`: big enough that 40 batches get offset index entries (one per 4 KiB). */
const valueOf = (i: number): string => `record-${i}-`.padEnd(400, 'x');

/** 40 records on topic `dmg`, one batch each, then a clean stop. */
async function fill(dataDir: string): Promise<void> {
  const b = await start(dataDir);
  const admin = new Admin({ bootstrapServers: b.bootstrap });
  await admin.createTopics([{ name: 'dmg', numPartitions: 1 }]);
  await admin.close();
  const producer = new Producer({ bootstrapServers: b.bootstrap }, { lingerMs: 0 });
  for (let i = 0; i < 40; i++) await producer.send({ topic: 'dmg', partition: 0, value: Buffer.from(valueOf(i)) });
  await producer.close();
  await b.stop();
  broker = undefined;
}

/** File positions of the batches of a segment, by their length fields. */
async function batchPositions(file: string): Promise<number[]> {
  const bytes = await readFile(file);
  const out: number[] = [];
  for (let pos = 0; pos + 12 <= bytes.length; pos += 12 + bytes.readInt32BE(pos + 8)) out.push(pos);
  return out;
}

/** Overwrites the header of the batch at `position` (offset, length, magic) with 0xff bytes. */
async function garble(file: string, position: number): Promise<void> {
  const fh = await open(file, 'r+');
  try {
    await fh.write(Buffer.alloc(24, 0xff), 0, 24, position);
  } finally {
    await fh.close();
  }
}

function consumerOf(b: Broker): Consumer {
  const consumer = new Consumer({ bootstrapServers: b.bootstrap, retryBackoffMs: 20 }, { autoOffsetReset: 'earliest', fetchMaxWaitMs: 50 });
  closers.push(() => consumer.close());
  consumer.assign([{ topic: 'dmg', partition: 0, offset: 0n }]);
  return consumer;
}

/** Polls until `n` records came, or a poll throws (returned as the error); gives up after 100 polls. */
async function pollUntil(consumer: Consumer, n: number): Promise<{ records: ConsumerRecord[]; error: unknown }> {
  const records: ConsumerRecord[] = [];
  for (let polls = 0; records.length < n && polls < 100; polls++) {
    try {
      records.push(...(await consumer.poll(200)));
    } catch (error) {
      return { records, error };
    }
  }
  return { records, error: undefined };
}

function values(records: ConsumerRecord[]): string[] {
  return records.map((r) => r.value!.toString());
}

const expected = (n: number): string[] => Array.from({ length: n }, (_, i) => valueOf(i));

describe('a damaged batch in the middle of the active segment', () => {
  it('after a clean shutdown: the records before it, then CORRUPT_MESSAGE, logged once', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gregor-damage-'));
    await fill(dir);
    const file = join(dir, 'dmg-0', SEGMENT);
    const positions = await batchPositions(file);
    expect(positions).toHaveLength(40);
    await garble(file, positions[25]);
    // The clean open checks only the batches after the last offset index entry: the damage is before it.
    const index = await readFile(join(dir, 'dmg-0', '00000000000000000000.index'));
    const lastIndexed = index.readInt32BE(index.length - 4);
    expect(lastIndexed).toBeGreaterThan(positions[25]);

    const lines: LogLine[] = [];
    const b = await start(dir, lines);
    const consumer = consumerOf(b);
    const got = await pollUntil(consumer, 40);
    expect(values(got.records)).toEqual(expected(25));
    expect(got.error).toBeInstanceOf(KafkaProtocolError);
    expect((got.error as KafkaProtocolError).code).toBe(ErrorCode.CorruptMessage);
    // The consumer keeps asking; each answer is the same error.
    for (let i = 0; i < 3; i++) {
      const again = await pollUntil(consumer, 1);
      expect(again.records).toEqual([]);
      expect((again.error as KafkaProtocolError).code).toBe(ErrorCode.CorruptMessage);
    }
    const reports = lines.filter((l) => l.msg.includes('damaged batch'));
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ topic: 'dmg', partition: 0, file, position: positions[25] });
    // Nothing was cut: no recovery ran after the clean shutdown.
    expect((await stat(file)).size).toBeGreaterThan(positions[39]);
  });

  it('after an unclean shutdown: recovery cuts the segment at the damage and says what it cut', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gregor-damage-'));
    await fill(dir);
    const file = join(dir, 'dmg-0', SEGMENT);
    const positions = await batchPositions(file);
    const sizeBefore = (await stat(file)).size;
    await garble(file, positions[25]);
    // What kill -9 leaves: no clean-shutdown marker, so the active segment is recovered.
    await unlink(join(dir, '.kafka_cleanshutdown'));

    const lines: LogLine[] = [];
    const b = await start(dir, lines);
    const cuts = lines.filter((l) => l.msg.startsWith('recovery cut'));
    expect(cuts).toHaveLength(1);
    expect(cuts[0]).toMatchObject({
      level: WARN,
      file,
      position: positions[25],
      bytes: sizeBefore - positions[25],
      keptOffsets: '0-24',
      // Garbage over the header hides the offsets of what follows it.
      droppedOffsets: 'unreadable',
    });
    expect((await stat(file)).size).toBe(positions[25]);

    const summary = lines.filter((l) => l.msg.startsWith('started in'));
    expect(summary).toHaveLength(1);
    expect(summary[0]).toMatchObject({ topics: 1, partitions: 1, segmentsRecovered: 1, bytesTruncated: sizeBefore - positions[25], groups: 0, offsets: 0 });
    expect(typeof summary[0].ms).toBe('number');

    // The intact records are served, and the log carries on after them.
    const producer = new Producer({ bootstrapServers: b.bootstrap }, { lingerMs: 0 });
    closers.push(() => producer.close());
    const meta = await producer.send({ topic: 'dmg', partition: 0, value: Buffer.from('after') });
    expect(meta.offset).toBe(25n);
    const got = await pollUntil(consumerOf(b), 26);
    expect(got.error).toBeUndefined();
    expect(values(got.records)).toEqual([...expected(25), 'after']);
  });

  it('a CRC failure leaves the header readable: the cut names the offsets it dropped', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gregor-damage-'));
    await fill(dir);
    const file = join(dir, 'dmg-0', SEGMENT);
    const positions = await batchPositions(file);
    // One byte of the records of batch 30: its CRC no longer matches.
    const fh = await open(file, 'r+');
    await fh.write(Buffer.from([0x00]), 0, 1, positions[31] - 3);
    await fh.close();
    await unlink(join(dir, '.kafka_cleanshutdown'));

    const lines: LogLine[] = [];
    await start(dir, lines);
    const cuts = lines.filter((l) => l.msg.startsWith('recovery cut'));
    expect(cuts).toHaveLength(1);
    expect(cuts[0]).toMatchObject({ file, position: positions[30], reason: 'bad crc', keptOffsets: '0-29', droppedOffsets: '30-39' });
  });

  it('a clean restart prints the summary with the groups and offsets it loaded', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gregor-damage-'));
    await fill(dir);
    const b = await start(dir);
    // The committed offsets of an (empty) group, as kafka-consumer-groups --reset-offsets writes them.
    const groupAdmin = new GroupAdmin({ bootstrapServers: b.bootstrap });
    await groupAdmin.alterGroupOffsets('g1', [{ topic: 'dmg', partition: 0, offset: 40n }]);
    await groupAdmin.close();
    await b.stop();

    const lines: LogLine[] = [];
    await start(dir, lines);
    const summary = lines.filter((l) => l.msg.startsWith('started in'));
    expect(summary).toHaveLength(1);
    expect(summary[0]).toMatchObject({ level: 30, topics: 1, partitions: 1, segmentsRecovered: 0, bytesTruncated: 0, groups: 1, offsets: 1 });
    expect(lines.some((l) => l.msg.startsWith('recovery cut'))).toBe(false);
  });
});
