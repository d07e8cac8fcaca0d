/**
 * The `gregor` bin (dist/cli/main.js, as `npm install` builds it) started as a child process on a
 * data dir, for tests that kill the broker with SIGKILL and start it again on the same dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = join(REPO, 'dist', 'cli', 'main.js');

export { ensureDistBuilt } from './dist-build.js';

export class GregorProcess {
  private stderr = '';
  private stdout = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly bootstrap: string,
    private readonly exited: Promise<void>,
  ) {
    child.stderr?.on('data', (b: Buffer) => {
      this.stderr = (this.stderr + b.toString('utf8')).slice(-20_000);
    });
    child.stdout?.on('data', (b: Buffer) => {
      this.stdout = (this.stdout + b.toString('utf8')).slice(-200_000);
    });
  }

  /** The broker's log lines since it listened (JSON on stdout), the latest 200 kB. */
  get output(): string {
    return this.stdout;
  }

  /** What the broker wrote to stderr lately (warnings and errors at --log-level warn). */
  get log(): string {
    return this.stderr;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** `gregor start` on `dataDir`, a free port, and `config` as --override flags; resolves once it listens. */
  static async start(options: { dataDir: string; config?: Record<string, string | number | boolean>; args?: readonly string[]; port?: number; timeoutMs?: number }): Promise<GregorProcess> {
    const overrides = [...Object.entries(options.config ?? {}).flatMap(([k, v]) => ['--override', `${k}=${String(v)}`]), ...(options.args ?? [])];
    const child = spawn(
      process.execPath,
      [MAIN, 'start', '--port', String(options.port ?? 0), '--host', '127.0.0.1', '--data-dir', options.dataDir, '--log-level', 'warn', ...overrides],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<void>((r) => child.once('exit', () => { r(); }));
    let out = '';
    let err = '';
    const onErr = (b: Buffer): void => {
      err += b.toString('utf8');
    };
    child.stderr.on('data', onErr);
    const timeoutMs = options.timeoutMs ?? 60_000;
    try {
      const address = await new Promise<string>((res, rej) => {
        const timer = setTimeout(() => {
          rej(new Error(`gregor start did not listen within ${timeoutMs} ms\n${out}\n${err}`));
        }, timeoutMs);
        child.stdout.on('data', (b: Buffer) => {
          out += b.toString('utf8');
          const m = /listening on (\S+:\d+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            child.stdout.removeAllListeners('data');
            child.stdout.resume();
            res(m[1]);
          }
        });
        void exited.then(() => {
          clearTimeout(timer);
          rej(new Error(`gregor start exited (${child.exitCode ?? child.signalCode}) before listening\n${out}\n${err}`));
        });
      });
      return new GregorProcess(child, address, exited);
    } catch (e) {
      child.kill('SIGKILL');
      throw e;
    } finally {
      child.stderr.off('data', onErr);
    }
  }

  /** SIGSTOP: the process stays, frozen (its leases lapse, its connections go quiet). */
  pause(): void {
    if (this.alive) this.child.kill('SIGSTOP');
  }

  /** SIGCONT after pause(). */
  resume(): void {
    if (this.alive) this.child.kill('SIGCONT');
  }

  /** kill -9: no shutdown work at all. */
  async kill9(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM and the clean shutdown (SIGKILL after `timeoutMs`). */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}
