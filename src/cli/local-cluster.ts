/**
 * `gregor cluster --brokers N`: a whole cluster on this machine, for development and tests: etcd on
 * loopback with a temporary data dir, and N brokers (`gregor start` child processes in cluster mode)
 * on consecutive ports. It prints each broker's address and stops everything on Ctrl-C (SIGINT) or
 * SIGTERM: the brokers first, with their controlled shutdown, then etcd.
 *
 *   gregor cluster --brokers 3 [--port 9092] [--data-dir DIR | --memory] [--log-level LEVEL]
 *
 * Without --data-dir the brokers' data lives in a temporary directory removed at the end; with it,
 * each broker keeps broker-<id>/ there across runs (etcd's state still starts empty: topics must be
 * created again, as a new cluster).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EtcdProcess } from '../cluster/etcd-process.js';
import { generateClusterId } from '../config/meta-properties.js';
import { PROCESS_IO, type CliIo } from './io.js';
import { parseToolFlags } from './tool-support.js';
import { UsageError } from './usage.js';

const USAGE = `Usage: gregor cluster --brokers N [options]

Start a cluster on this machine: etcd on loopback (Debian's etcd-server) and N brokers, until Ctrl-C.

Options:
  --brokers N         how many brokers (1 to 16)
  --port N            the first broker's port; broker i listens on N+i-1 (default 9092; 0: free ports)
  --data-dir DIR      keep each broker's data in DIR/broker-<id> (default: a temporary directory)
  --memory            keep the brokers' data in memory
  --log-level LEVEL   the brokers' log level (default warn)
  -h, --help          show this help
`;

interface Child {
  nodeId: number;
  process: ChildProcess;
  exited: Promise<void>;
  address: string;
}

export async function runLocalCluster(argv: string[], io: CliIo = PROCESS_IO, signals: NodeJS.EventEmitter = process): Promise<number> {
  const { values } = parseToolFlags(
    argv,
    {
      brokers: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      memory: { type: 'boolean' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    USAGE,
  );
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const count = Number(values.brokers);
  if (!Number.isInteger(count) || count < 1 || count > 16) throw new UsageError(`--brokers takes a number from 1 to 16, got '${values.brokers ?? ''}'`, USAGE);
  const basePort = Number(values.port ?? 9092);
  if (!Number.isInteger(basePort) || basePort < 0 || basePort + count - 1 > 65535) throw new UsageError(`--port takes a port number, got '${values.port ?? ''}'`, USAGE);
  if (values.memory && values['data-dir'] !== undefined) throw new UsageError('--memory and --data-dir cannot be combined', USAGE);

  const temporary = values['data-dir'] === undefined && !values.memory ? await mkdtemp(join(tmpdir(), 'gregor-cluster-')) : null;
  const etcd = await EtcdProcess.start().catch(async (err: unknown) => {
    if (temporary !== null) await rm(temporary, { recursive: true, force: true });
    throw err;
  });
  const dataRoot = values['data-dir'] !== undefined ? resolve(values['data-dir']) : temporary;
  const clusterId = generateClusterId();
  // The brokers are this same command (`gregor start`), run by the same Node.
  const main = process.argv[1];
  const children: Child[] = [];
  const stopAll = async (): Promise<void> => {
    for (const c of children) if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGTERM');
    await Promise.all(children.map((c) => c.exited));
    await etcd.stop();
    if (temporary !== null) await rm(temporary, { recursive: true, force: true });
  };
  try {
    io.stdout.write(`etcd listening on ${etcd.endpoint}\ncluster id ${clusterId}\n`);
    for (let nodeId = 1; nodeId <= count; nodeId++) {
      const port = basePort === 0 ? 0 : basePort + nodeId - 1;
      const args = [main, 'start', '--etcd', etcd.endpoint, '--cluster-id', clusterId, '--node-id', String(nodeId), '--host', '127.0.0.1', '--port', String(port)];
      args.push(...(dataRoot === null ? ['--memory'] : ['--data-dir', join(dataRoot, `broker-${nodeId}`)]), '--log-level', values['log-level'] ?? 'warn');
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise<void>((r) => child.once('exit', () => { r(); }));
      const entry: Child = { nodeId, process: child, exited, address: '' };
      children.push(entry);
      entry.address = await new Promise<string>((resolveListening, reject) => {
        let out = '';
        child.stdout.on('data', (b: Buffer) => {
          out += b.toString('utf8');
          const listening = /listening on (\S+:\d+)/.exec(out);
          if (listening) {
            child.stdout.removeAllListeners('data');
            child.stdout.resume();
            resolveListening(listening[1]);
          }
        });
        void exited.then(() => { reject(new Error(`broker ${nodeId} exited before it listened`)); });
      });
      io.stdout.write(`broker ${nodeId} listening on ${entry.address}\n`);
    }
    io.stdout.write(`bootstrap servers: ${children.map((c) => c.address).join(',')}\nCtrl-C stops the cluster.\n`);
    // Until a signal, or until every broker is gone.
    await new Promise<void>((resolveDone) => {
      signals.once('SIGINT', resolveDone);
      signals.once('SIGTERM', resolveDone);
      void Promise.all(children.map((c) => c.exited)).then(() => { resolveDone(); });
    });
    io.stdout.write('stopping the cluster\n');
    return 0;
  } finally {
    await stopAll();
  }
}
