/**
 * The broker under test, started by the suite: in-process (`Broker.start`, disk storage in a temp
 * dir) for most scenarios, or as a separate `gregor start` process where that matters (restart
 * through the CLI, kill -9). The separate process runs the current sources through tsx, so the suite
 * never tests a stale dist/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Broker } from '../../src/broker.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Settings every compat broker gets. Only one departs from Kafka's defaults, as Kafka's own
 * integration tests do: no initial rebalance delay, so a consumer group forms at once instead of
 * after 3 s per join.
 */
export const COMPAT_BROKER_CONFIG: Readonly<Record<string, string | number | boolean>> = {
  'group.initial.rebalance.delay.ms': 0,
};

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `gregor-compat-${prefix}-`));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export interface InProcessBroker {
  broker: Broker;
  bootstrap: string;
  dataDir: string;
  stop(): Promise<void>;
}

/** An in-process broker with disk storage in `dataDir` (a fresh temp dir by default). */
export async function startInProcess(
  options: { dataDir?: string; config?: Record<string, string | number | boolean> } = {},
): Promise<InProcessBroker> {
  const dataDir = options.dataDir ?? (await tempDir('data'));
  const broker = await Broker.start({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    storage: 'disk',
    config: { ...COMPAT_BROKER_CONFIG, ...(options.config ?? {}) },
  });
  return { broker, bootstrap: broker.bootstrap, dataDir, stop: () => broker.stop() };
}

/** Creates a topic directly in the broker's metadata (setup, not under test). */
export async function createTopicInProcess(
  broker: Broker,
  name: string,
  partitions: number,
  configs: Record<string, string> = {},
): Promise<void> {
  const result = await broker.services.metadata.createTopic({
    name,
    numPartitions: partitions,
    replicationFactor: -1,
    configs: new Map(Object.entries(configs)),
    validateOnly: false,
  });
  if (result.errorCode !== 0) throw new Error(`creating ${name}: error ${result.errorCode} ${result.errorMessage ?? ''}`);
}

/** `gregor start` as a child process. */
export class CliBroker {
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderr: string;

  /** `startupStderr`: what the process wrote to stderr before it was listening. */
  private constructor(
    private readonly child: ChildProcess,
    readonly bootstrap: string,
    readonly dataDir: string,
    readonly startupLine: string,
    exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
    startupStderr: string,
  ) {
    this.exited = exited;
    this.stderr = startupStderr.slice(-20_000);
    child.stderr?.on('data', (b: Buffer) => {
      this.stderr = (this.stderr + b.toString('utf8')).slice(-20_000);
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get log(): string {
    return this.stderr;
  }

  static async start(options: { dataDir: string; config?: Record<string, string | number | boolean>; timeoutMs?: number }): Promise<CliBroker> {
    const overrides = Object.entries({ ...COMPAT_BROKER_CONFIG, ...(options.config ?? {}) }).flatMap(([k, v]) => [
      '--override',
      `${k}=${String(v)}`,
    ]);
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(REPO_ROOT, 'src', 'cli', 'main.ts'),
        'start',
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        '--data-dir',
        options.dataDir,
        '--log-level',
        'warn',
        ...overrides,
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
      child.on('exit', (code, signal) => { res({ code, signal }); }),
    );
    let stderr = '';
    // Only until the broker listens: from then on the instance's own listener keeps the (bounded) log.
    const onStartupStderr = (b: Buffer) => {
      stderr += b.toString('utf8');
    };
    child.stderr.on('data', onStartupStderr);
    const line = await new Promise<string>((res, rej) => {
      let out = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        rej(new Error(`gregor start printed no address within ${options.timeoutMs ?? 20_000} ms\n${stderr}`));
      }, options.timeoutMs ?? 20_000);
      // Log lines (pino JSON, e.g. a warning about a stale lock after kill -9) may come first.
      let found = false;
      child.stdout.on('data', (b: Buffer) => {
        if (found) return;
        out += b.toString('utf8');
        const line = out.split('\n').find((l) => l.includes('listening on'));
        if (line) {
          found = true;
          clearTimeout(timer);
          res(line);
        }
      });
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        rej(new Error(`gregor start exited (${code ?? signal}) before listening\n${stderr}`));
      });
    }).finally(() => child.stderr.off('data', onStartupStderr));
    const m = /listening on (\S+:\d+)/.exec(line);
    if (!m) {
      child.kill('SIGKILL');
      throw new Error(`unexpected startup line: ${line}`);
    }
    return new CliBroker(child, m[1], options.dataDir, line, exited, stderr);
  }

  /** SIGTERM and wait for the clean shutdown; returns the exit code. */
  async stop(timeoutMs = 20_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const { code } = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** kill -9: no shutdown work at all. */
  async kill9(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}
