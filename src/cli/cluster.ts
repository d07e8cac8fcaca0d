/**
 * `gregor cluster`: what the cluster is, as `rpk cluster info` shows it, and with --api-versions
 * what each broker speaks, as Kafka's kafka-broker-api-versions prints it.
 *
 *   gregor cluster --bootstrap-server localhost:9092 [--api-versions] [--format json]
 *
 * The summary names the cluster id, the controller and each broker (id, host, port, rack; the
 * controller marked with *), the features the brokers finalized (ApiVersions v3+) and this tool's
 * version. The broker's own software version is not part of the Kafka protocol, so it is not shown.
 * --api-versions prints per broker "localhost:9092 (id: 1 rack: null) -> (" then a line per api
 * this client knows, "\tProduce(0): 0 to 13 [usable: 12]," ("UNSUPPORTED" when the broker does not
 * offer it, "[unusable: node too old]" when no version is shared) and ")". --format json prints all
 * of it as one JSON object.
 */
import type { BrokerApiVersions } from '../client/admin.js';
import { clientRange } from '../client/versions.js';
import { API_TABLE, type ApiKey } from '../protocol/generated/api-table.js';
import { ADMIN_TOOL_FLAGS, checkBootstrap, describeError, loadProperties, outputFormat, parseToolFlags, toJson, toolAdmin, printedHelp } from './tool-support.js';
import { PROCESS_IO, type CliIo } from './io.js';
import { UsageError } from './usage.js';
import { gregorVersion } from './version.js';

const USAGE = `Usage: gregor cluster [describe] --bootstrap-server HOST:PORT [options]
       gregor cluster --brokers N [options]   (start a local cluster: gregor cluster --brokers 1 --help)

Describe the cluster: its id, controller and brokers (as rpk cluster info), and with --api-versions
the api versions each broker supports (as Kafka's kafka-broker-api-versions).

Options:
  --bootstrap-server HOST:PORT   REQUIRED: the broker(s) to connect to
  --api-versions                 print each broker's api versions, as kafka-broker-api-versions
  --format text|json             text or json (everything, api versions included)
  --command-config FILE          client properties: client.id, request.timeout.ms, default.api.timeout.ms
  -h, --help                     show this help
`;

interface ApiLine {
  key: number;
  name: string;
  /** The broker's range, or null when it does not offer the api. */
  minVersion: number | null;
  maxVersion: number | null;
  /** The version this client would use, or null. */
  usable: number | null;
}

export async function runCluster(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  // `gregor cluster --brokers N` starts a local cluster; `gregor cluster describe ...` is this tool.
  if (argv.some((a) => a === '--brokers' || a.startsWith('--brokers='))) return (await import('./local-cluster.js')).runLocalCluster(argv, io);
  if (argv.at(0) === 'describe') argv = argv.slice(1);
  if (argv.length === 0) throw new UsageError('Describe the cluster and the api versions its brokers support.', USAGE);
  const { values } = parseToolFlags(
    argv,
    {
      ...ADMIN_TOOL_FLAGS,
      'api-versions': { type: 'boolean' },
      format: { type: 'string' },
    },
    USAGE,
  );
  if (printedHelp(values, USAGE, io)) return 0;
  const bootstrap = checkBootstrap(values['bootstrap-server'], USAGE);
  const format = outputFormat(values.format, USAGE);
  const props = await loadProperties(values['command-config'], USAGE);
  const admin = toolAdmin(bootstrap, props, 'gregor-cluster', USAGE);
  try {
    const cluster = await admin.describeCluster();
    const versions = await admin.brokerApiVersions();
    const brokers = [...cluster.brokers].sort((a, b) => a.nodeId - b.nodeId);
    const features = versions[0]?.finalizedFeatures ?? [];
    if (format === 'json') {
      io.stdout.write(
        `${toJson({
          clusterId: cluster.clusterId,
          controller: cluster.controllerId,
          brokers: brokers.map((b) => ({
            id: b.nodeId,
            host: b.host,
            port: b.port,
            rack: b.rack,
            apis: apiLines(versions.find((v) => v.node.nodeId === b.nodeId)),
          })),
          finalizedFeatures: features.map((f) => ({ name: f.name, minVersionLevel: f.minVersionLevel, maxVersionLevel: f.maxVersionLevel })),
          toolVersion: gregorVersion(),
        })}\n`,
      );
      return 0;
    }
    if (values['api-versions']) {
      io.stdout.write(versions.map(kafkaApiVersions).join(''));
      return 0;
    }
    let out = `CLUSTER\n=======\n${cluster.clusterId ?? '(no cluster id)'}\n\nBROKERS\n=======\n`;
    const rows = [['ID', 'HOST', 'PORT', 'RACK'], ...brokers.map((b) => [`${b.nodeId}${b.nodeId === cluster.controllerId ? '*' : ''}`, b.host, String(b.port), b.rack ?? ''])];
    out += table(rows);
    out += `\nCONTROLLER\n==========\n${cluster.controllerId >= 0 ? cluster.controllerId : 'none'}\n`;
    if (features.length > 0) out += `\nFEATURES\n========\n${table([['NAME', 'LEVEL'], ...features.map((f) => [f.name, String(f.maxVersionLevel)])])}`;
    out += `\nTOOL VERSION\n============\ngregor ${gregorVersion()}\n`;
    io.stdout.write(out);
    return 0;
  } catch (err) {
    io.stderr.write(`Error: ${describeError(err)}\n`);
    return 1;
  } finally {
    await admin.close();
  }
}

/** Every api this client knows, with what the broker offers and the version the two share. */
function apiLines(v: BrokerApiVersions | undefined): ApiLine[] {
  return Object.values(API_TABLE).map((info) => {
    const theirs = v?.ranges.get(info.key);
    if (!theirs) return { key: info.key, name: info.name, minVersion: null, maxVersion: null, usable: null };
    const [cmin, cmax] = clientRange(info.key);
    const lo = Math.max(cmin, theirs[0]);
    const hi = Math.min(cmax, theirs[1]);
    return { key: info.key, name: info.name, minVersion: theirs[0], maxVersion: theirs[1], usable: lo <= hi ? hi : null };
  });
}

/** BrokerApiVersionsCommand's block for one broker (NodeApiVersions.toString(), one api per line). */
function kafkaApiVersions(v: BrokerApiVersions): string {
  const lines = apiLines(v).map((a) => {
    if (a.minVersion === null || a.maxVersion === null) return `\t${a.name}(${a.key}): UNSUPPORTED`;
    const range = a.minVersion === a.maxVersion ? `${a.minVersion}` : `${a.minVersion} to ${a.maxVersion}`;
    if (a.usable !== null) return `\t${a.name}(${a.key}): ${range} [usable: ${a.usable}]`;
    const [cmin] = clientRange(a.key as ApiKey);
    return `\t${a.name}(${a.key}): ${range} [unusable: node too ${a.maxVersion < cmin ? 'old' : 'new'}]`;
  });
  return `${v.node.host}:${v.node.port} (id: ${v.node.nodeId} rack: ${v.node.rack ?? 'null'}) -> (\n${lines.join(',\n')}\n)\n`;
}

/** Left-aligned columns two spaces apart, as rpk prints its tables. */
function table(rows: readonly string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] + 2))).join('').trimEnd() + '\n').join('');
}
