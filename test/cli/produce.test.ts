/**
 * `gregor produce` against an in-process broker: lines from a pipe with keys and headers as
 * kafka-console-producer parses them, compression, idempotence, the requests the tool sends, the
 * terminal prompt and progress, exit codes, usage mistakes and an unreachable broker. The command
 * runs in-process with its input given; what needs a process (a pipe, Ctrl-C, a terminal) runs the
 * bin as a child process. What was written is read back with a plain Fetch through the codec
 * (readStoredBatches).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Broker } from '../../src/broker.js';
import { ApiKey } from '../../src/protocol/generated/api-table.js';
import { CompressionCodec } from '../../src/protocol/records/compression/index.js';
import { startBroker } from '../helpers/kafka.js';
import {
  RecordingProxy,
  TmuxSession,
  buildCli,
  freePort,
  haveTmux,
  readStoredBatches,
  removeCli,
  runCli,
  runCommand,
  startCli,
  until,
  type StoredBatch,
} from './helpers.js';
import { DEFAULT_REACH_TIMEOUT_MS } from '../../src/cli/tool-support.js';

let broker: Broker;
let bs: string[];
let scratch: string;
let cli: string;

beforeAll(async () => {
  cli = await buildCli();
  broker = await startBroker({ config: { 'num.partitions': 1 } });
  bs = ['--bootstrap-server', broker.bootstrap];
  scratch = mkdtempSync(join(tmpdir(), 'gregor-produce-'));
}, 30_000);

afterAll(async () => {
  await broker.stop();
  removeCli();
  rmSync(scratch, { recursive: true, force: true });
});

const records = (batches: StoredBatch[]): StoredBatch['records'] => batches.flatMap((b) => b.records);

describe('gregor produce from a pipe', () => {
  it('writes one record per line, without a key (the bin, reading a pipe)', async () => {
    const r = await runCli(['produce', ...bs, '--topic', 'lines'], { input: 'first\nsecond\r\nthird\rfourth' });
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const got = records(await readStoredBatches(broker.port, 'lines'));
    expect(got.map((x) => [x.key, x.value])).toEqual([
      [null, 'first'],
      [null, 'second'],
      [null, 'third'],
      [null, 'fourth'],
    ]);
    expect(got.every((x) => x.headers.length === 0)).toBe(true);
  });

  it('parses keys with parse.key and key.separator (several properties after one --property)', async () => {
    const r = await runCommand(['produce', ...bs, '--topic', 'keyed', '--property', 'parse.key=true', 'key.separator=:'], { input: 'k1:v1\nk2:v:2\n:empty key\n' });
    expect(r.code).toBe(0);
    expect(records(await readStoredBatches(broker.port, 'keyed')).map((x) => [x.key, x.value])).toEqual([
      ['k1', 'v1'],
      ['k2', 'v:2'],
      ['', 'empty key'],
    ]);
  });

  it('parses headers and keys as LineMessageReader does', async () => {
    const input = 'h1:v1,h2:v2\tkey-a\tvalue a\nsolo:x\tkey-b\tvalue b\n';
    const r = await runCommand(['produce', ...bs, '--topic', 'headed', '--property', 'parse.headers=true', '--property', 'parse.key=true'], { input });
    expect(r.code).toBe(0);
    expect(records(await readStoredBatches(broker.port, 'headed')).map((x) => [x.headers, x.key, x.value])).toEqual([
      [[['h1', 'v1'], ['h2', 'v2']], 'key-a', 'value a'],
      [[['solo', 'x']], 'key-b', 'value b'],
    ]);
  });

  it('honours the header separators and null.marker', async () => {
    const input = 'a=1;b=NIL|k|v\nNIL|NIL|NIL\n';
    const r = await runCommand(
      [
        'produce',
        ...bs,
        '--topic',
        'marked',
        '--property',
        'parse.headers=true',
        '--property',
        'parse.key=true',
        '--property',
        'headers.delimiter=|',
        '--property',
        'key.separator=|',
        '--property',
        'headers.separator=;',
        '--property',
        'headers.key.separator==',
        '--property',
        'null.marker=NIL',
      ],
      { input },
    );
    expect(r.code).toBe(0);
    expect(records(await readStoredBatches(broker.port, 'marked')).map((x) => [x.headers, x.key, x.value])).toEqual([
      [[['a', '1'], ['b', null]], 'k', 'v'],
      [[], null, null],
    ]);
  });

  it('stops at a line it cannot parse, after writing the lines before it', async () => {
    const r = await runCommand(['produce', ...bs, '--topic', 'broken', '--property', 'parse.key=true'], { input: 'k\tgood\nno separator here\nk\tnever\n' });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("gregor produce: No key separator found on line number 2: 'no separator here'\n");
    expect(records(await readStoredBatches(broker.port, 'broken')).map((x) => x.value)).toEqual(['good']);
  });

  it('writes a large file at full speed, quietly when stderr is not a terminal', async () => {
    const n = 50_000;
    const input = Array.from({ length: n }, (_, i) => `line ${i}`).join('\n') + '\n';
    const r = await runCommand(['produce', ...bs, '--topic', 'bulk'], { input });
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const got = records(await readStoredBatches(broker.port, 'bulk'));
    expect(got).toHaveLength(n);
    expect(got[n - 1].value).toBe(`line ${n - 1}`);
  });

  it('is idempotent by default (acks=all), and not with --request-required-acks 1', async () => {
    await runCommand(['produce', ...bs, '--topic', 'idem'], { input: 'a\nb\n' });
    const [idem] = await readStoredBatches(broker.port, 'idem');
    expect(idem.producerId).toBeGreaterThanOrEqual(0n);
    expect(idem.baseSequence).toBe(0);
    await runCommand(['produce', ...bs, '--topic', 'plain', '--request-required-acks', '1'], { input: 'a\n' });
    const [plain] = await readStoredBatches(broker.port, 'plain');
    expect(plain.producerId).toBe(-1n);
    await runCommand(['produce', ...bs, '--topic', 'fire', '--request-required-acks', '0'], { input: 'x\ny\n' });
    expect(records(await readStoredBatches(broker.port, 'fire')).map((x) => x.value)).toEqual(['x', 'y']);
  });

  it.each([
    ['gzip', CompressionCodec.Gzip],
    ['snappy', CompressionCodec.Snappy],
    ['lz4', CompressionCodec.Lz4],
    ['zstd', CompressionCodec.Zstd],
    ['none', CompressionCodec.None],
  ])('compresses with --compression-codec %s', async (codec, code) => {
    const topic = `compressed-${codec}`;
    const r = await runCommand(['produce', ...bs, '--topic', topic, '--compression-codec', codec], { input: 'one\ntwo\nthree\n' });
    expect(r.code).toBe(0);
    const batches = await readStoredBatches(broker.port, topic);
    expect(batches.map((b) => b.compression)).toEqual([code]);
    expect(records(batches).map((x) => x.value)).toEqual(['one', 'two', 'three']);
  });

  it('takes --compression-codec without a value as gzip, and producer properties', async () => {
    await runCommand(['produce', ...bs, '--topic', 'bare-codec', '--compression-codec', '--producer-property', 'linger.ms=0'], { input: 'z\n' });
    expect((await readStoredBatches(broker.port, 'bare-codec')).map((b) => b.compression)).toEqual([CompressionCodec.Gzip]);
    await runCommand(['produce', ...bs, '--topic', 'prop-codec', '--producer-property', 'compression.type=lz4', 'batch.size=1000'], { input: 'z\n' });
    expect((await readStoredBatches(broker.port, 'prop-codec')).map((b) => b.compression)).toEqual([CompressionCodec.Lz4]);
  });

  it('waits for each record with --sync', async () => {
    const r = await runCommand(['produce', ...bs, '--topic', 'synced', '--sync', '--timeout', '0'], { input: 'one\ntwo\n' });
    expect(r.code).toBe(0);
    const batches = await readStoredBatches(broker.port, 'synced');
    expect(batches.map((b) => b.records.length)).toEqual([1, 1]);
  });

  it('sends what it read on Ctrl-C and exits 130', async () => {
    // A linger far longer than the test: only the interrupt sends the record.
    const running = startCli(['produce', ...bs, '--topic', 'interrupted', '--timeout', '3600000']);
    running.child.stdin!.write('before the interrupt\n');
    // The tool looks the topic up (creating it) once it has read the line, its Ctrl-C handler in place.
    await until(() => broker.services.metadata.topics().some((t) => t.name === 'interrupted'), 'the topic to be looked up');
    running.child.kill('SIGINT');
    const r = await running.done;
    expect(r.code).toBe(130);
    expect(records(await readStoredBatches(broker.port, 'interrupted')).map((x) => x.value)).toEqual(['before the interrupt']);
  }, 120_000);
});

describe('gregor produce on the wire', () => {
  it('talks to the broker as the Java console producer does', async () => {
    const proxy = new RecordingProxy();
    const proxyPort = await proxy.listen();
    const b = await startBroker({ port: await freePort(), config: { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxyPort}` } });
    proxy.target = b.port;
    try {
      const r = await runCommand(['produce', '--bootstrap-server', `127.0.0.1:${proxyPort}`, '--topic', 'watched'], { input: 'hello\n' });
      expect(r.code).toBe(0);
      const seen = proxy.requests;
      // Every connection opens with ApiVersions at the newest version (4), as Java clients do.
      expect(seen[0]).toEqual({ apiKey: ApiKey.ApiVersions, apiVersion: 4, clientId: 'console-producer' });
      expect(seen.every((s) => s.clientId === 'console-producer')).toBe(true);
      const keys = seen.map((s) => s.apiKey);
      // Idempotent: a producer id before the first Produce, as Java's default producer gets one.
      expect(keys.indexOf(ApiKey.InitProducerId)).toBeGreaterThan(0);
      expect(keys.indexOf(ApiKey.InitProducerId)).toBeLessThan(keys.indexOf(ApiKey.Produce));
      // The highest versions both sides have, capped at what the Java 4.0 client sends.
      expect(seen.find((s) => s.apiKey === ApiKey.Produce)!.apiVersion).toBe(12);
      expect(seen.find((s) => s.apiKey === ApiKey.Metadata)!.apiVersion).toBe(13);
      expect(seen.find((s) => s.apiKey === ApiKey.InitProducerId)!.apiVersion).toBe(5);
    } finally {
      await b.stop();
      await proxy.close();
    }
  });
});

describe('gregor produce at a terminal', () => {
  const tmux = haveTmux() ? it : it.skip;

  tmux('prompts with > for each line, as the Java tool does on a console', async () => {
    const session = TmuxSession.start(`${process.execPath} ${cli} produce --bootstrap-server ${broker.bootstrap} --topic typed; echo EXIT=$?; sleep 30`);
    try {
      await session.waitFor((s) => s.startsWith('>'));
      session.type('typed by hand');
      session.keys('Enter');
      await session.waitFor((s) => s.includes('>typed by hand\n>'));
      session.type('and again');
      session.keys('Enter');
      await session.waitFor((s) => s.includes('>and again\n>'));
      session.keys('C-d');
      const screen = await session.waitFor((s) => s.includes('EXIT='));
      expect(screen).toContain('EXIT=0');
      expect(screen.split('\n').slice(0, 3).join('\n')).toBe('>typed by hand\n>and again\n>EXIT=0');
    } finally {
      session.kill();
    }
    expect(records(await readStoredBatches(broker.port, 'typed')).map((x) => x.value)).toEqual(['typed by hand', 'and again']);
  }, 120_000);

  tmux('shows progress and a summary on the terminal while writing a large file', async () => {
    const file = join(scratch, 'big.txt');
    writeFileSync(file, Array.from({ length: 300_000 }, (_, i) => `message number ${i}`).join('\n') + '\n');
    const session = TmuxSession.start(
      `${process.execPath} ${cli} produce --bootstrap-server ${broker.bootstrap} --topic big --producer-property linger.ms=0 < ${file}; echo EXIT=$?; sleep 30`,
    );
    try {
      const screen = await session.waitFor((s) => s.includes('EXIT='), 150_000);
      expect(screen).toContain('EXIT=0');
      expect(screen).toMatch(/300000 messages sent in \d+\.\d s \(\d+ messages\/s\)/);
    } finally {
      session.kill();
    }
  }, 180_000);
});

describe('gregor produce mistakes', () => {
  it('prints the usage and exits 2 on unknown or missing flags and bad values', async () => {
    for (const args of [
      [...bs],
      [...bs, '--topic', 't', '--bogus'],
      [...bs, '--topic', 't', '--request-required-acks', '2'],
      [...bs, '--topic', 't', '--compression-codec', 'brotli'],
      [...bs, '--topic', 't', 'stray'],
      ['--topic', 't'],
    ]) {
      const r = await runCommand(['produce', ...args], { input: 'never sent\n' });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('Usage: gregor produce');
    }
  });

  it('says clearly, within its timeout, that the broker cannot be reached', async () => {
    const port = await freePort();
    const r = await runCommand(['produce', '--bootstrap-server', `127.0.0.1:${port}`, '--topic', 't', '--max-block-ms', '1500'], { input: 'x\n' });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`gregor produce: cannot reach the broker: could not connect to 127.0.0.1:${port}: connection refused (is a broker running there?)\n`);
    // --max-block-ms bounds the wait, not the tool's own default.
    expect(r.ms).toBeLessThan(DEFAULT_REACH_TIMEOUT_MS);
  });
});
