/**
 * Helpers for the console-tool tests: the `gregor` command run in-process with captured streams
 * (runCommand: what needs no process, such as usage, output and exit codes), or built from the
 * current sources and run as a child process, as a user runs it (for signals, terminals and the bin
 * itself), against a broker the test starts in-process.
 *
 * The command is bundled from src/cli/main.ts with esbuild (which tsx, a dev dependency, brings)
 * into a fresh directory under node_modules/.cache: about 0.2 s once per test file, after which each
 * run starts as fast as the built dist/ would (tsx would add a second to every run), and always
 * from the sources being tested. Packages stay external and resolve from the repository's
 * node_modules.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { ApiKey } from '../../src/protocol/generated/api-table.js';
import { defaultFetchRequest, defaultFetchRequestFetchPartition, defaultFetchRequestFetchTopic } from '../../src/protocol/generated/messages/fetch.js';
import { RecordBatchView, forEachBatch } from '../../src/protocol/records/record-batch.js';
import { run } from '../../src/cli/run.js';
import { WireClient } from '../helpers/wire-client.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

let builtDir: string | undefined;

/** Builds the CLI once per test file; returns the path of its entry point. */
export async function buildCli(): Promise<string> {
  if (builtDir) return join(builtDir, 'main.mjs');
  const base = join(REPO, 'node_modules', '.cache', 'gregor-cli-test');
  mkdirSync(base, { recursive: true });
  builtDir = mkdtempSync(join(base, 'build-'));
  await build({
    entryPoints: [join(REPO, 'src/cli/main.ts')],
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outdir: builtDir,
    outExtension: { '.js': '.mjs' },
    logLevel: 'error',
  });
  return join(builtDir, 'main.mjs');
}

/** Removes this file's build. */
export function removeCli(): void {
  if (builtDir) rmSync(builtDir, { recursive: true, force: true });
  builtDir = undefined;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
  ms: number;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  cwd?: string;
}

/** A stream that keeps what is written to it. */
class Captured extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(chunk);
    callback();
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/**
 * Runs `gregor <args>` in this process, as the bin would run it, with standard input from
 * `options.input` (empty if not given) and standard output and error captured.
 */
export async function runCommand(args: readonly string[], options: Pick<RunOptions, 'input'> = {}): Promise<RunResult> {
  const started = Date.now();
  const stdout = new Captured();
  const stderr = new Captured();
  const input = options.input === undefined ? [] : [Buffer.from(options.input)];
  const code = await run(args, { stdin: Readable.from(input), stdout, stderr });
  const stdoutBytes = stdout.bytes();
  return { code, signal: null, stdout: stdoutBytes.toString('utf8'), stderr: stderr.bytes().toString('utf8'), stdoutBytes, ms: Date.now() - started };
}

/** Runs `gregor <args>` to completion as a child process. */
export async function runCli(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const proc = startCli(args, options);
  if (options.input !== undefined) proc.child.stdin!.end(options.input);
  else proc.child.stdin!.end();
  return proc.done;
}

export interface RunningCli {
  child: ChildProcess;
  done: Promise<RunResult>;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout (or stderr) contains `text`; rejects after timeoutMs. */
  waitFor(text: string, stream?: 'stdout' | 'stderr', timeoutMs?: number): Promise<void>;
}

/** Starts `gregor <args>` with pipes on all three streams. */
export function startCli(args: readonly string[], options: RunOptions = {}): RunningCli {
  if (!builtDir) throw new Error('call buildCli() first (in beforeAll)');
  const started = Date.now();
  const child = spawn(process.execPath, [join(builtDir, 'main.mjs'), ...args], {
    cwd: options.cwd ?? REPO,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const listeners: (() => void)[] = [];
  child.stdout.on('data', (c: Buffer) => {
    out.push(c);
    for (const l of listeners) l();
  });
  child.stderr.on('data', (c: Buffer) => {
    err.push(c);
    for (const l of listeners) l();
  });
  child.stdin.on('error', () => undefined);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const done = new Promise<RunResult>((resolveDone) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolveDone({ code, signal, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes, ms: Date.now() - started });
    });
  });
  const stdout = (): string => Buffer.concat(out).toString('utf8');
  const stderr = (): string => Buffer.concat(err).toString('utf8');
  return {
    child,
    done,
    stdout,
    stderr,
    waitFor(text, stream = 'stdout', waitMs = 30_000) {
      return new Promise<void>((resolveWait, reject) => {
        const check = (): boolean => (stream === 'stdout' ? stdout() : stderr()).includes(text);
        if (check()) { resolveWait(); return; }
        const timer = setTimeout(() => {
          reject(new Error(`timed out waiting for ${JSON.stringify(text)} on ${stream}; stdout: ${JSON.stringify(stdout())} stderr: ${JSON.stringify(stderr())}`));
        }, waitMs);
        listeners.push(() => {
          if (check()) {
            clearTimeout(timer);
            resolveWait();
          }
        });
      });
    },
  };
}

/** A TCP port nothing listens on (bound, read and released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => { r(); }));
  return port;
}

export interface SeenRequest {
  apiKey: number;
  apiVersion: number;
  clientId: string | null;
}

/**
 * A TCP proxy in front of a broker that records the header of every request passing through:
 * what a client says to the broker, api by api and version by version. Clients must be pointed at
 * the proxy and the broker must advertise the proxy's address (so that later connections also go
 * through it): start the broker with advertised.listeners naming `proxy.port`.
 */
export class RecordingProxy {
  readonly requests: SeenRequest[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  async listen(port = 0): Promise<number> {
    this.server = createServer((client) => { this.accept(client); });
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  target = 0;

  private accept(client: Socket): void {
    const upstream = connect(this.target, '127.0.0.1');
    this.sockets.add(client).add(upstream);
    let buffered = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4) {
        const size = buffered.readInt32BE(0);
        if (buffered.length < 4 + size) break;
        const frame = buffered.subarray(4, 4 + size);
        const clientIdLength = frame.readInt16BE(8);
        this.requests.push({
          apiKey: frame.readInt16BE(0),
          apiVersion: frame.readInt16BE(2),
          clientId: clientIdLength < 0 ? null : frame.toString('utf8', 10, 10 + clientIdLength),
        });
        buffered = buffered.subarray(4 + size);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => {
      if (this.server) this.server.close(() => { r(); });
      else r();
    });
  }
}

/** True when tmux can run here (the pseudo-terminal tests need it). */
export function haveTmux(): boolean {
  return spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until `check` holds, asking again every 20 ms; fails after `timeoutMs` (generous: on a busy
 * machine a process start alone can take seconds).
 */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * A program running in a tmux pane (a real pseudo-terminal), for what a person sees at a terminal:
 * keys are typed with send-keys, the screen read with capture-pane.
 */
export class TmuxSession {
  private constructor(readonly name: string) {}

  static start(command: string, env: NodeJS.ProcessEnv = {}): TmuxSession {
    const name = `gregor-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    const r = spawnSync('tmux', ['new-session', '-d', '-s', name, '-x', '200', '-y', '50', ...envArgs, command], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tmux new-session failed: ${r.stderr}`);
    return new TmuxSession(name);
  }

  keys(...keys: string[]): void {
    spawnSync('tmux', ['send-keys', '-t', this.name, ...keys]);
  }

  /** Types text literally (no key names). */
  type(text: string): void {
    spawnSync('tmux', ['send-keys', '-t', this.name, '-l', text]);
  }

  screen(): string {
    return spawnSync('tmux', ['capture-pane', '-p', '-t', this.name], { encoding: 'utf8' }).stdout;
  }

  async waitFor(predicate: (screen: string) => boolean, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = this.screen();
      if (predicate(s)) return s;
      if (Date.now() > deadline) throw new Error(`timed out; the screen shows:\n${s}`);
      await sleep(50);
    }
  }

  kill(): void {
    spawnSync('tmux', ['kill-session', '-t', this.name]);
  }
}

export interface StoredBatch {
  compression: number;
  producerId: bigint;
  baseSequence: number;
  records: { offset: bigint; key: string | null; value: string | null; headers: [string, string | null][]; timestamp: bigint }[];
}

/**
 * The batches stored in a partition, read with a plain Fetch v11 through the codec (not through
 * src/client), so what a tool wrote is checked independently of the client it is built on.
 */
export async function readStoredBatches(port: number, topic: string, partition = 0): Promise<StoredBatch[]> {
  const client = await WireClient.connect(port);
  try {
    const body = await client.send(ApiKey.Fetch, 11, {
      ...defaultFetchRequest(),
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 64 * 1024 * 1024,
      topics: [{ ...defaultFetchRequestFetchTopic(), topic, partitions: [{ ...defaultFetchRequestFetchPartition(), partition, fetchOffset: 0n, partitionMaxBytes: 64 * 1024 * 1024 }] }],
    });
    const p = body.responses[0].partitions[0];
    if (p.errorCode) throw new Error(`fetch error ${p.errorCode}`);
    const out: StoredBatch[] = [];
    const records = p.records ?? Buffer.alloc(0);
    forEachBatch(records, (start, end) => {
      const view = new RecordBatchView(records, start, end);
      out.push({
        compression: view.compression,
        producerId: view.producerId,
        baseSequence: view.baseSequence,
        records: view.readRecords().map((r) => ({
          offset: r.offset,
          key: r.key?.toString('utf8') ?? null,
          value: r.value?.toString('utf8') ?? null,
          headers: r.headers.map((h) => [h.key, h.value?.toString('utf8') ?? null] as [string, string | null]),
          timestamp: r.timestamp,
        })),
      });
    });
    return out;
  } finally {
    client.close();
  }
}
