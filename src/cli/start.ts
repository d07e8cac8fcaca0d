/**
 * `gregor start`: runs a broker until SIGINT or SIGTERM, then shuts down cleanly.
 *
 *   gregor start [--config server.properties] [--override key=value]... [--port N] [--host H]
 *                [--data-dir DIR] [--memory] [--log-level LEVEL]
 *                [--node-id N --etcd URL[,URL...] --cluster-id ID [--rack RACK]]
 *
 * Settings are Kafka's server.properties keys: the --config file, then GREGOR_* environment
 * variables (GREGOR_NUM_PARTITIONS=3), then --override flags and the shorthands, each overriding
 * the one before. Prints one line with the address and the data directory once it is listening.
 */
import { Broker, LogDirError, type BrokerOptions } from '../broker.js';
import { ClusterUnavailableError } from '../cluster/cluster-store.js';
import { createLogger, type LogLevel } from '../util/logger.js';
import { parseToolFlags } from './tool-support.js';
import { UsageError } from './usage.js';
import { PROCESS_IO, type CliIo } from './io.js';

const USAGE = `Usage: gregor start [options] [server.properties]

Options:
  --config FILE          read Kafka server.properties settings from FILE (or give it last)
  --override KEY=VALUE   set any server.properties key (repeatable)
  --port N               listen on port N (0 picks a free port); default the listeners port, 9092
  --host HOST            interface to listen on; default all interfaces
  --data-dir DIR         where partitions live (log.dirs); default ./data
  --memory               keep everything in memory (nothing is written to disk)
  --log-level LEVEL      fatal, error, warn, info (default), debug, trace or silent

Cluster mode (several brokers coordinated by etcd):
  --etcd URL[,URL...]    etcd client URLs (metadata.etcd.endpoints); the broker joins their cluster
  --cluster-id ID        the cluster's id (cluster.id), the same on every broker
  --node-id N            this broker's id (node.id), unique in the cluster
  --rack RACK            this broker's rack (broker.rack), for rack-aware replica placement
  -h, --help             show this help

Environment: GREGOR_<KEY> sets a server.properties key, e.g. GREGOR_NUM_PARTITIONS=3.
`;

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export async function runStart(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  const { values, positionals } = parseToolFlags(
    argv,
    {
      config: { type: 'string' },
      override: { type: 'string', multiple: true },
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      memory: { type: 'boolean' },
      'log-level': { type: 'string' },
      etcd: { type: 'string' },
      'cluster-id': { type: 'string' },
      'node-id': { type: 'string' },
      rack: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    USAGE,
    { positionals: true },
  );
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  // Like kafka-server-start.sh, accept the properties file as a positional argument too.
  if (positionals.length > 1) throw new UsageError(`unexpected arguments: ${positionals.slice(1).join(' ')}`, USAGE);
  const configFile = values.config ?? positionals.at(0);
  const overrides: Record<string, string> = {};
  for (const o of values.override ?? []) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw new UsageError(`--override takes KEY=VALUE, got '${o}'`, USAGE);
    overrides[o.slice(0, eq)] = o.slice(eq + 1);
  }
  // The cluster shorthands are server.properties keys; like --override they beat the file and env.
  const shorthands: [string | undefined, string][] = [
    [values.etcd, 'metadata.etcd.endpoints'],
    [values['cluster-id'], 'cluster.id'],
    [values['node-id'], 'node.id'],
    [values.rack, 'broker.rack'],
  ];
  for (const [value, key] of shorthands) if (value !== undefined) overrides[key] = value;
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port takes a port number, got '${values.port}'`, USAGE);
  }
  const level = values['log-level'] ?? 'info';
  if (!LEVELS.has(level)) throw new UsageError(`--log-level takes one of ${[...LEVELS].join(', ')}`, USAGE);
  const logger = createLogger({ level: level as LogLevel, name: 'gregor' });
  const broker = await startOrExplain(io, {
    storage: values.memory ? 'memory' : 'disk',
    ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}),
    ...(configFile !== undefined ? { configFile } : {}),
    config: overrides,
    // The shorthands bind every interface unless --host says otherwise (an in-process broker's default is 127.0.0.1).
    ...(port !== undefined ? { port } : {}),
    ...(port !== undefined || values.host !== undefined ? { host: values.host ?? '' } : {}),
    env: process.env,
    logger,
  });
  if (!broker) return 1;
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'shutting down');
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve();
    };
    const onInt = (): void => { stop('SIGINT'); };
    const onTerm = (): void => { stop('SIGTERM'); };
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    // Only now: whoever waits for this line may signal at once, and must get a clean shutdown.
    io.stdout.write(
      `Gregor broker listening on ${broker.bootstrap} (bound to ${broker.host}:${broker.port}), ` +
        `${broker.dataDir ? `data in ${broker.dataDir}` : 'memory storage'}\n`,
    );
  });
  await broker.stop();
  logger.info('stopped cleanly');
  return 0;
}

/**
 * Broker.start, with the failures a person can fix on the command line said in one line with the
 * flag that fixes them (stderr, exit 1): a port in use or not allowed, a data directory that cannot
 * be one, an etcd that does not answer. Anything else is thrown as it is.
 */
async function startOrExplain(io: CliIo, options: BrokerOptions): Promise<Broker | undefined> {
  try {
    return await Broker.start(options);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
    if (e.syscall === 'listen' && (e.code === 'EADDRINUSE' || e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL')) {
      const where = `${e.address ?? ''}:${e.port ?? ''}`;
      const why =
        e.code === 'EADDRINUSE'
          ? `port ${e.port} is already in use on ${e.address} (another broker?)`
          : e.code === 'EACCES'
            ? `not allowed to listen on ${where} (ports below 1024 need privileges)`
            : `cannot listen on ${where}: no such address on this machine (see --host)`;
      io.stderr.write(`gregor start: ${why}; choose another port with --port N (--port 0 picks a free one)\n`);
      return undefined;
    }
    if (err instanceof ClusterUnavailableError) {
      io.stderr.write(`gregor start: the cluster metadata service (etcd) is unavailable: ${err.message}; check that etcd runs and that --etcd (metadata.etcd.endpoints) names it\n`);
      return undefined;
    }
    if (err instanceof LogDirError) {
      io.stderr.write(`gregor start: ${err.message}; choose another with --data-dir DIR (or --memory)\n`);
      return undefined;
    }
    throw err;
  }
}
