/**
 * Faults and bad input that need a real client (issue 4, "Bad input and faults"):
 *  - kill -9 of a `gregor start` process during a steady acks=all produce load from confluent-kafka
 *    (librdkafka, printing every delivery report as it arrives), then a restart on the same data
 *    dir: every acknowledged message is there, at the offset the broker acknowledged, byte for byte;
 *  - a consumer positioned beyond the log end is told OFFSET_OUT_OF_RANGE (kcat, with
 *    auto.offset.reset=error so that librdkafka reports it rather than resetting);
 *  - a produce to a missing topic with auto.create.topics.enable=false fails with
 *    UNKNOWN_TOPIC_OR_PARTITION (KafkaJS), and the broker keeps serving.
 */
import { spawn } from 'node:child_process';
import { confluentKafka, kafkajs, kcat } from '../clients/index.js';
import { KCAT } from '../clients/kcat.js';
import { CliBroker, createTopicInProcess, removeDir, startInProcess, tempDir } from '../lib/broker.js';
import { run, sleep } from '../lib/process.js';
import { Recorder } from '../lib/results.js';
import { ClientError } from '../lib/types.js';

const rec = new Recorder('faults');

test('kill -9 during an acks=all load from confluent-kafka, then restart: every acknowledged message is there', () =>
  rec.run('confluent-kafka', 'kill -9 under load', async () => {
    const dataDir = await tempDir('kill9');
    let broker = await CliBroker.start({ dataDir });
    const PARTITIONS = 3;
    const VALUE_BYTES = 100;
    try {
      await kafkajs.createTopic(broker.bootstrap, { name: 'kill9', partitions: PARTITIONS });
      const { python, script } = await confluentKafka.streamCommand();
      const load = spawn(python, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
      load.stdin.end(
        JSON.stringify({ op: 'produce_stream', bootstrap: broker.bootstrap, topic: 'kill9', partitions: PARTITIONS, seconds: 30, rate: 10_000, value_bytes: VALUE_BYTES }),
      );
      const acked = new Map<string, number>(); // "partition:offset" -> message index
      let failed = 0;
      let twice = 0;
      let buffered = '';
      let stderr = '';
      load.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
      load.stdout.on('data', (b: Buffer) => {
        buffered += b.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) {
          const [kind, a, b2, c] = line.split(' ');
          if (kind === 'A') {
            const key = `${a}:${b2}`;
            if (acked.has(key)) twice++;
            acked.set(key, Number(c));
          } else if (kind === 'E') failed++;
        }
      });
      const loadExited = new Promise<void>((r) => load.on('exit', () => { r(); }));
      // A steady load for a while, then kill -9 mid-stream.
      const started = Date.now();
      while (acked.size < 20_000 && Date.now() - started < 8_000) await sleep(100);
      const ackedBeforeKill = acked.size;
      if (ackedBeforeKill < 1000) throw new Error(`the load got only ${ackedBeforeKill} acknowledgements before the kill\n${stderr}\n${broker.log}`);
      await broker.kill9();
      await sleep(1500); // deliveries already in flight are reported failed, none can succeed now
      load.kill('SIGKILL');
      await loadExited;
      const ackedTotal = acked.size;
      if (twice > 0) throw new Error(`${twice} offsets were acknowledged for two different messages`);

      broker = await CliBroker.start({ dataDir });
      // Read every partition back to its end with kcat (librdkafka, no group).
      const consumed = await kcat.consume(broker.bootstrap, 'kill9', { count: Number.MAX_SAFE_INTEGER, timeoutMs: 60_000 });
      const stored = new Map(consumed.map((m) => [`${m.partition}:${m.offset}`, m]));
      let missing = 0;
      let wrong = 0;
      const examples: string[] = [];
      for (const [where, index] of acked) {
        const m = stored.get(where);
        const value = Buffer.concat([Buffer.from(`v${index}|`), Buffer.alloc(Math.max(0, VALUE_BYTES - 24), 'x')]);
        if (!m) {
          missing++;
          if (examples.length < 5) examples.push(`missing ${where} (message ${index})`);
        } else if (m.key?.toString() !== `kill9-${index}` || !m.value?.equals(value)) {
          wrong++;
          if (examples.length < 5) examples.push(`at ${where}: key ${m.key?.toString()}, expected kill9-${index}`);
        }
      }
      if (missing || wrong) throw new Error(`${missing} acknowledged messages missing, ${wrong} different after kill -9 and restart: ${examples.join('; ')}`);
      return `${ackedTotal} acknowledged (${failed} reported failed at the kill), all ${ackedTotal} present and identical after restart; ${consumed.length} stored in all`;
    } finally {
      await broker.stop();
      await removeDir(dataDir);
    }
  }));

test('a consumer beyond the log end gets OFFSET_OUT_OF_RANGE (kcat)', () =>
  rec.run('kcat', 'offset out of range', async () => {
    const b = await startInProcess();
    try {
      await createTopicInProcess(b.broker, 'oor', 1);
      await kcat.produce(b.bootstrap, 'oor', [{ key: Buffer.from('k'), value: Buffer.from('v'), headers: [] }]);
      const r = await run(KCAT, ['-b', b.bootstrap, '-C', '-t', 'oor', '-p', '0', '-o', '500', '-e', '-X', 'auto.offset.reset=error'], { timeoutMs: 20_000 });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/Offset out of range/i);
      // The broker still serves: the one message reads back.
      const got = await kcat.consume(b.bootstrap, 'oor', { count: 1 });
      expect(got.map((m) => m.value?.toString())).toEqual(['v']);
      return `kcat: ${/[^\n]*Offset out of range[^\n]*/i.exec(r.stderr)?.[0]?.trim()}`;
    } finally {
      await b.stop();
      await removeDir(b.dataDir);
    }
  }));

test('a produce to a missing topic with auto-create off gets UNKNOWN_TOPIC_OR_PARTITION (KafkaJS)', () =>
  rec.run('kafkajs', 'unknown topic, auto-create off', async () => {
    const b = await startInProcess({ config: { 'auto.create.topics.enable': false } });
    try {
      const err = await kafkajs
        .produce(b.bootstrap, 'no-such-topic', [{ key: Buffer.from('k'), value: Buffer.from('v'), headers: [] }], { timeoutMs: 30_000 })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(ClientError);
      expect((err as ClientError).code).toBe(3);
      expect(b.broker.services.metadata.topic('no-such-topic')).toBeUndefined();
      await createTopicInProcess(b.broker, 'exists', 1);
      expect((await kafkajs.produce(b.bootstrap, 'exists', [{ key: null, value: Buffer.from('v'), headers: [] }])).acked).toBe(1);
      return `KafkaJS: ${(err as ClientError).errorName}; topic not created; the broker still serves`;
    } finally {
      await b.stop();
      await removeDir(b.dataDir);
    }
  }));
