/**
 * A single-member etcd (Debian's etcd-server) on loopback, for `gregor cluster --brokers N` and for
 * the cluster tests: free client and peer ports on 127.0.0.1, a fresh data dir, and control over the
 * process, so a test can take the coordination service away and bring it back on the same ports and
 * data (a restart keeps every key, lease and revision, as a production etcd member does).
 *
 * Without the binary, start() fails with the reason: the cluster tests have no skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const READY_TIMEOUT_MS = 60_000;
const POLL_MS = 50;
const STOP_TIMEOUT_MS = 20_000;

function findEtcdBinary(): string {
  const candidates = [process.env.ETCD_BIN, '/usr/bin/etcd', ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'etcd'))];
  for (const c of candidates) {
    if (c === undefined || c === '' || c === 'etcd') continue;
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // try the next place
    }
  }
  throw new Error('etcd is not installed: a local cluster needs it (apt-get install etcd-server, or set ETCD_BIN to its path)');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => { resolve(port); });
    });
  });
}

export class EtcdProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private output = '';

  private constructor(
    private readonly binary: string,
    readonly dataDir: string,
    readonly clientPort: number,
    readonly peerPort: number,
  ) {}

  /** Starts etcd and resolves once it answers its health check. */
  static async start(): Promise<EtcdProcess> {
    const binary = findEtcdBinary();
    const dataDir = await mkdtemp(join(tmpdir(), 'gregor-etcd-'));
    const clientPort = await freePort();
    let peerPort = await freePort();
    while (peerPort === clientPort) peerPort = await freePort();
    const server = new EtcdProcess(binary, dataDir, clientPort, peerPort);
    try {
      await server.launch();
    } catch (e) {
      await server.stop();
      throw e;
    }
    return server;
  }

  /** The client URL, as the store's `endpoints` take it. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.clientPort}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** What etcd printed lately, for failure messages. */
  get log(): string {
    return this.output;
  }

  /** SIGTERM, wait for the exit; the data dir stays for restart(). */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === null) return;
    this.child = null;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGTERM');
    }
    // A member that ignores SIGTERM must not outlive the test (and keep jest from exiting).
    const force = setTimeout(() => { child.kill('SIGKILL'); }, STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(force);
  }

  /** Starts etcd again on the same ports and data dir. */
  async restart(): Promise<void> {
    if (this.child !== null) throw new Error('etcd is running');
    await this.launch();
  }

  /**
   * SIGSTOP: the process keeps its sockets but answers nothing (a hung or partitioned member).
   * Resolves once every thread has stopped: on a busy machine a thread can still answer a request
   * between the signal and the group stop.
   */
  async pause(): Promise<void> {
    const pid = this.child?.pid;
    if (pid === undefined) throw new Error('etcd is not running');
    this.child?.kill('SIGSTOP');
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const tasks = await readdir(`/proc/${pid}/task`);
      const states = await Promise.all(tasks.map(async (t) => {
        const stat = await readFile(`/proc/${pid}/task/${t}/stat`, 'utf8').catch(() => '');
        // the state follows the parenthesised command name
        return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      }));
      if (states.every((st) => st === 'T' || st === '')) return;
      if (Date.now() > deadline) throw new Error(`etcd did not stop: thread states ${states.join('')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** Stops etcd and removes its data dir. */
  async stop(): Promise<void> {
    await this.kill();
    await rm(this.dataDir, { recursive: true, force: true });
  }

  private async launch(): Promise<void> {
    const client = this.endpoint;
    const peer = `http://127.0.0.1:${this.peerPort}`;
    const child = spawn(
      this.binary,
      [
        '--name', 'gregor-local',
        '--data-dir', this.dataDir,
        '--listen-client-urls', client,
        '--advertise-client-urls', client,
        '--listen-peer-urls', peer,
        '--initial-advertise-peer-urls', peer,
        '--initial-cluster', `gregor-local=${peer}`,
        '--initial-cluster-state', 'new',
        '--logger', 'zap',
        '--log-level', 'warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (b: Buffer): void => {
      this.output = (this.output + b.toString('utf8')).slice(-20_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    this.child = child;
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', () => { resolve(); });
      child.once('error', (e) => {
        keep(Buffer.from(String(e)));
        resolve();
      });
    });
    await this.waitHealthy(child);
  }

  /** Polls /health until etcd reports itself healthy (it has a leader and serves reads). */
  private async waitHealthy(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    const state = { exited: false };
    void this.exited.then(() => { state.exited = true; });
    for (;;) {
      if (state.exited) throw new Error(`etcd exited before it was ready:\n${this.output}`);
      try {
        const res = await fetch(`${this.endpoint}/health`, { signal: AbortSignal.timeout(2_000) });
        const body = (await res.json()) as { health?: string };
        if (res.ok && body.health === 'true') return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`etcd did not become healthy within ${READY_TIMEOUT_MS} ms:\n${this.output}`);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
}
