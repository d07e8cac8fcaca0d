/**
 * Transactions, as each client's users write them:
 *
 * - commit-abort: one transactional producer runs three transactions into a 3-partition topic
 *   (30 keyed messages each): commit, abort, commit. A read_committed consumer of the same client
 *   reads exactly the 60 committed messages, once each and in order; a read_uncommitted one reads
 *   all 90 (the aborted ones are in the log, only hidden). A client without transactions but with
 *   isolation.level (kcat) reads a topic KafkaJS wrote the same way.
 * - send-offsets: consume-transform-produce (confluent-kafka's send_offsets_to_transaction,
 *   KafkaJS's sendOffsets, @platformatic/kafka's addConsumer/addOffset): a group reads 15 of 40
 *   input messages and commits their transformed copies with its offsets; the group's committed
 *   offsets are then what the transaction sent. The next 15 are transformed and aborted: the
 *   offsets stay. The next round resumes from the committed offsets and commits the remaining 25.
 *   read_committed sees the 40 transformed messages exactly once; read_uncommitted also the 15
 *   aborted copies. Each round is a new producer instance with the same transactional id, as a
 *   restarted application.
 *
 * As with Kafka, EndTxn answers once the outcome is decided and the markers follow: the checks of
 * what a commit or abort left wait for the transaction to be complete (committed offsets to show;
 * every output partition's last stable offset back at its high watermark).
 */
import { Kafka, logLevel } from 'kafkajs';
import { Admin as GregorAdmin } from '../../src/client/admin.js';
import { CLIENTS, kafkajs } from '../clients/index.js';
import { createTopicInProcess } from '../lib/broker.js';
import { assertConsumed } from '../lib/messages.js';
import { notApplicable, passWithNote, Recorder } from '../lib/results.js';
import { messagesFor, readBack, unsupportedReason, useBroker } from '../lib/scenario.js';
import type { ClientDriver, OutMessage, TransactionStep } from '../lib/types.js';

const rec = new Recorder('transactions');
const broker = useBroker();

/** The group's committed offsets (partition -> offset, -1 for none), asked with KafkaJS's admin as a tool would. */
async function groupOffsets(bootstrap: string, group: string, topic: string): Promise<Map<number, number>> {
  const admin = new Kafka({ clientId: 'gregor-compat-observer', brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return new Map(t.partitions.map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

/** Waits until no transaction is open or completing on `topic`: read_committed and read_uncommitted ends agree. */
async function settled(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const admin = new GregorAdmin({ bootstrapServers: bootstrap, clientId: 'gregor-compat-observer' });
  try {
    const ps = Array.from({ length: partitions }, (_, partition) => ({ topic, partition, timestamp: -1n }));
    const ends = async (isolationLevel: 0 | 1): Promise<string> =>
      [...(await admin.listOffsets(ps, { isolationLevel })).values()].map((o) => (o.ok ? String(o.value.offset) : 'error')).join(',');
    await until(async () => (await ends(1)) === (await ends(0)), `${topic}: the transaction to complete`);
  } finally {
    await admin.close();
  }
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits for the group's committed offsets to be `expected`; fails with what they are after `timeoutMs`. */
async function expectGroupOffsets(bootstrap: string, group: string, topic: string, expected: Map<number, number>, what: string): Promise<void> {
  let last = new Map<number, number>();
  try {
    await until(async () => {
      last = await groupOffsets(bootstrap, group, topic);
      try {
        expectOffsets(last, expected, what);
        return true;
      } catch {
        return false;
      }
    }, what);
  } catch {
    expectOffsets(last, expected, what);
  }
}

const show = (m: Map<number, number>): string => [...m].sort(([a], [b]) => a - b).map(([p, o]) => `${p}:${o}`).join(',');

function expectOffsets(actual: Map<number, number>, expected: Map<number, number>, what: string): void {
  const want = new Map(expected);
  for (const p of actual.keys()) if (!want.has(p)) want.set(p, -1);
  if (show(actual) !== show(want)) throw new Error(`${what}: group offsets ${show(actual)}, expected ${show(want)}`);
}

test.each(CLIENTS.map((c) => [c.name, c] as const))('%s: commit and abort, read_committed and read_uncommitted', (_name, client) =>
  rec.run(client.name, 'commit-abort', async () => {
    const isolation = await unsupportedReason(client, { kind: 'isolation-level' });
    if (isolation) return notApplicable(isolation);
    const cannotProduce = await client.unsupported({ kind: 'transactions' });
    const writer: ClientDriver = cannotProduce ? kafkajs : client;
    const b = broker();
    const topic = `txn-${client.name}`;
    await createTopicInProcess(b.broker, topic, 3);
    const messages = await messagesFor(client, { count: 90, seed: `txn-${client.name}` });
    const [first, aborted, last] = [messages.slice(0, 30), messages.slice(30, 60), messages.slice(60)];
    const steps: TransactionStep[] = [
      { messages: first, end: 'commit' },
      { messages: aborted, end: 'abort' },
      { messages: last, end: 'commit' },
    ];
    if (!writer.produceTransactions) throw new Error(`${writer.name} declares transactions but has no produceTransactions`);
    await writer.produceTransactions(b.bootstrap, topic, `txn-${client.name}`, steps);

    const committed = await readBack(client, b.bootstrap, topic, 60, { isolation: 'read_committed' });
    assertConsumed([...first, ...last], committed, { partitions: 3 });
    const everything = await readBack(client, b.bootstrap, topic, 90, { isolation: 'read_uncommitted' });
    assertConsumed(messages, everything, { partitions: 3 });
    const detail = 'commit, abort, commit of 30 each: read_committed reads the 60 committed once in order, read_uncommitted all 90';
    return cannotProduce ? passWithNote(detail, `written by KafkaJS transactions: ${cannotProduce}`) : detail;
  }),
);

test.each(CLIENTS.map((c) => [c.name, c] as const))('%s: consume-transform-produce with offsets in the transaction', (_name, client) =>
  rec.run(client.name, 'send-offsets', async () => {
    const reason = await unsupportedReason(client, { kind: 'transactional-offsets' }, { kind: 'group' });
    if (reason) return notApplicable(reason);
    if (!client.transform) throw new Error(`${client.name} declares transactional offsets but has no transform`);
    const b = broker();
    const input = `txin-${client.name}`;
    const output = `txout-${client.name}`;
    const group = `txgroup-${client.name}`;
    await createTopicInProcess(b.broker, input, 2);
    await createTopicInProcess(b.broker, output, 2);
    const messages = await messagesFor(client, { count: 40, seed: `txin-${client.name}` });
    expect((await client.produce(b.bootstrap, input, messages, { idempotent: false })).acked).toBe(40);
    const prefix = 'T|';
    const request = { input, output, group, transactionalId: `txloop-${client.name}`, prefix };

    const firstRound = await client.transform(b.bootstrap, { ...request, count: 15, end: 'commit' });
    const sum = (m: Map<number, number>): number => [...m.values()].reduce((a, x) => a + x, 0);
    if (sum(firstRound.offsets) !== 15) throw new Error(`the first round sent offsets ${show(firstRound.offsets)} for 15 records read from the beginning`);
    await expectGroupOffsets(b.bootstrap, group, input, firstRound.offsets, 'after the committed round');

    const abortedRound = await client.transform(b.bootstrap, { ...request, count: 15, end: 'abort' });
    await settled(b.bootstrap, output, 2);
    expectOffsets(await groupOffsets(b.bootstrap, group, input), firstRound.offsets, `after the aborted round (which sent ${show(abortedRound.offsets)})`);

    const lastRound = await client.transform(b.bootstrap, { ...request, count: 25, end: 'commit' });
    const ends = await client.listOffsets(b.bootstrap, input, [0, 1], 'latest');
    expectOffsets(lastRound.offsets, ends, 'the last round resumed from the committed offsets and read to the end');
    await expectGroupOffsets(b.bootstrap, group, input, ends, 'after the last round');

    const transformed: OutMessage[] = messages.map((m) => ({ key: m.key, value: Buffer.concat([Buffer.from(prefix), m.value]), headers: [] }));
    const committed = await readBack(client, b.bootstrap, output, 40, { isolation: 'read_committed' });
    assertConsumed(transformed, committed, { headers: false, partitions: 2 });
    const everything = await readBack(client, b.bootstrap, output, 55, { isolation: 'read_uncommitted' });
    if (everything.length !== 55) throw new Error(`read_uncommitted read ${everything.length} of 55 records (40 committed, 15 aborted)`);
    const detail = `15 committed (offsets ${show(firstRound.offsets)}), 15 aborted (offsets unchanged), 25 committed from there (offsets ${show(ends)}); read_committed: the 40 transformed once each`;
    return client.transactionCaveat ? passWithNote(detail, client.transactionCaveat) : detail;
  }),
);
