/**
 * A cluster for integration tests: a real etcd on loopback (EtcdServer) and `gregor start` child
 * processes in cluster mode (--etcd, --node-id, --cluster-id), each on its own data dir, that a test
 * can kill with SIGKILL, freeze with SIGSTOP and start again on the same data dir and node id.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateClusterId } from '../../src/config/meta-properties.js';
import { EtcdServer } from './etcd.js';
import { ensureDistBuilt, GregorProcess } from './gregor-process.js';

export class TestCluster {
  readonly brokers = new Map<number, GregorProcess>();

  private constructor(
    readonly etcd: EtcdServer,
    private readonly root: string,
    readonly clusterId: string,
    private readonly config: Record<string, string | number | boolean>,
  ) {}

  /** etcd, then brokers 1..count, each resolved once it listens and is registered. */
  static async start(count: number, config: Record<string, string | number | boolean> = {}): Promise<TestCluster> {
    ensureDistBuilt();
    const etcd = await EtcdServer.start();
    const root = await mkdtemp(join(tmpdir(), 'gregor-cluster-'));
    const cluster = new TestCluster(etcd, root, generateClusterId(), config);
    try {
      for (let id = 1; id <= count; id++) await cluster.startBroker(id);
    } catch (e) {
      await cluster.stop();
      throw e;
    }
    return cluster;
  }

  /** Every live broker's address, for a client's bootstrap list. */
  get bootstrap(): string[] {
    return [...this.brokers.values()].filter((b) => b.alive).map((b) => b.bootstrap);
  }

  broker(id: number): GregorProcess {
    const b = this.brokers.get(id);
    if (!b) throw new Error(`no broker ${id}`);
    return b;
  }

  /** Starts broker `id` (again) on its own data dir, and on the port it had before, as a restarted server is. */
  async startBroker(id: number): Promise<GregorProcess> {
    const before = this.brokers.get(id);
    const port = before ? Number(before.bootstrap.slice(before.bootstrap.lastIndexOf(':') + 1)) : 0;
    const broker = await GregorProcess.start({
      dataDir: join(this.root, `broker-${id}`),
      config: this.config,
      port,
      args: ['--etcd', this.etcd.endpoint, '--node-id', String(id), '--cluster-id', this.clusterId],
    });
    this.brokers.set(id, broker);
    return broker;
  }

  /** The data dir of broker `id`. */
  dataDir(id: number): string {
    return join(this.root, `broker-${id}`);
  }

  async stop(): Promise<void> {
    for (const b of this.brokers.values()) {
      b.resume();
      await b.stop();
    }
    await this.etcd.stop();
    await rm(this.root, { recursive: true, force: true });
  }
}
