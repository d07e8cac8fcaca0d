/**
 * Renders compat-tests/results/compat-results.json (written by `npm run test:compat`) as the
 * README's markdown table: one row per feature, one column per client, then the cross-client
 * matrix and the reasons behind every "n/a".
 *
 *   npx tsx scripts/compat-table.ts [results.json]
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CaseResult {
  scenario: string;
  client: string;
  variant: string;
  outcome: 'pass' | 'fail' | 'n/a';
  detail: string;
  note?: string;
  ms: number;
}

const CLIENTS = ['kcat', 'confluent-kafka', 'kafka-python', 'kafkajs', 'platformatic'];
const CLIENT_TITLES: Record<string, string> = {
  kcat: 'kcat',
  'confluent-kafka': 'confluent-kafka (Python)',
  'kafka-python': 'kafka-python',
  kafkajs: 'KafkaJS',
  platformatic: '@platformatic/kafka',
};

/** Table rows: a title and which results make up the cell. */
const ROWS: { title: string; scenario: string; variant?: string; prefix?: string }[] = [
  { title: 'Metadata (broker, topics, leaders)', scenario: 'metadata', variant: '' },
  { title: 'Create / delete topics (admin)', scenario: 'admin-topics', variant: '' },
  { title: 'Produce + consume 1,000, no compression', scenario: 'produce-consume', variant: 'none' },
  { title: 'Produce + consume 1,000, gzip', scenario: 'produce-consume', variant: 'gzip' },
  { title: 'Produce + consume 1,000, snappy', scenario: 'produce-consume', variant: 'snappy' },
  { title: 'Produce + consume 1,000, lz4', scenario: 'produce-consume', variant: 'lz4' },
  { title: 'Produce + consume 1,000, zstd', scenario: 'produce-consume', variant: 'zstd' },
  { title: 'Reads what every other client produced', scenario: 'cross-client', prefix: 'from ' },
  { title: 'List offsets (earliest, latest)', scenario: 'list-offsets', variant: 'earliest-latest' },
  { title: 'Offsets for times', scenario: 'list-offsets', variant: 'by-time' },
  { title: 'Idempotent producer', scenario: 'idempotent-producer', variant: '' },
  { title: 'Consumer group: join, commit, resume', scenario: 'consumer-group', variant: '' },
  { title: 'Transactions: commit, abort; read_committed / read_uncommitted', scenario: 'transactions', variant: 'commit-abort' },
  { title: 'Consume-transform-produce: offsets in the transaction', scenario: 'transactions', variant: 'send-offsets' },
  { title: 'Restart (same data dir), read back', scenario: 'restart', variant: '' },
  { title: '900 KB message round trip', scenario: 'large-messages', variant: '900KB' },
  { title: '1.1 MB message refused: MESSAGE_TOO_LARGE', scenario: 'large-messages', variant: 'over-limit' },
  { title: '1.1 MB with topic max.message.bytes raised', scenario: 'large-messages', variant: 'raised-topic-limit' },
  { title: 'kill -9 under acks=all load, restart: nothing acknowledged lost', scenario: 'faults', variant: 'kill -9 under load' },
  { title: 'Fetch beyond the end: OFFSET_OUT_OF_RANGE', scenario: 'faults', variant: 'offset out of range' },
  { title: 'Produce, auto-create off: UNKNOWN_TOPIC_OR_PARTITION', scenario: 'faults', variant: 'unknown topic, auto-create off' },
  { title: 'Cluster: 10 kill -9s of a leader under idempotent acks=all load, each acknowledged record once', scenario: 'cluster-failover', variant: 'kill -9 of a leader x10' },
  { title: "Cluster: a group keeps its committed offsets when its coordinator's broker is killed", scenario: 'cluster-failover', variant: 'group survives its coordinator' },
];

const file = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'compat-tests', 'results', 'compat-results.json');
let results: CaseResult[];
try {
  results = JSON.parse(readFileSync(file, 'utf8')) as CaseResult[];
} catch {
  process.stderr.write(`no results at ${file}: run \`npm run test:compat\` first\n`);
  process.exit(1);
}

const notes: string[] = [];
function note(text: string): number {
  let i = notes.indexOf(text);
  if (i < 0) i = notes.push(text) - 1;
  return i + 1;
}

function cell(rows: CaseResult[]): string {
  if (rows.length === 0) return '';
  const fails = rows.filter((r) => r.outcome === 'fail');
  const passes = rows.filter((r) => r.outcome === 'pass');
  const na = rows.filter((r) => r.outcome === 'n/a');
  if (rows.length === 1) {
    const r = rows[0];
    if (r.outcome === 'pass') return r.note ? `✅ [${note(`${CLIENT_TITLES[r.client] ?? r.client}: ${r.note}`)}]` : '✅';
    if (r.outcome === 'fail') return `❌ [${note(`${r.client}, ${r.scenario} ${r.variant}: ${firstLine(r.detail)}`)}]`;
    return `n/a [${note(`${CLIENT_TITLES[r.client] ?? r.client}: ${r.detail}`)}]`;
  }
  const counted = `${passes.length}/${passes.length + fails.length}`;
  if (fails.length > 0) {
    return `❌ ${counted} [${note(`${r0(fails).client}, ${r0(fails).scenario}: fails ${fails.map((f) => f.variant).join(', ')}: ${firstLine(r0(fails).detail)}`)}]`;
  }
  return `✅ ${counted}${na.length > 0 ? ` (${na.length} n/a)` : ''}`;
}

const r0 = (rows: CaseResult[]): CaseResult => rows[0];
const firstLine = (s: string): string => s.split('\n')[0].slice(0, 300);

const lines: string[] = [];
lines.push(`| | ${CLIENTS.map((c) => CLIENT_TITLES[c]).join(' | ')} |`);
lines.push(`|---|${CLIENTS.map(() => ':---:').join('|')}|`);
const versions = results.filter((r) => r.scenario === 'client');
if (versions.length > 0) {
  lines.push(`| Version | ${CLIENTS.map((c) => versions.find((v) => v.client === c)?.detail ?? '').join(' | ')} |`);
}
for (const row of ROWS) {
  const cells = CLIENTS.map((c) =>
    cell(
      results.filter(
        (r) =>
          r.scenario === row.scenario &&
          r.client === c &&
          (row.prefix !== undefined ? r.variant.startsWith(row.prefix) : r.variant === row.variant),
      ),
    ),
  );
  if (cells.every((x) => x === '')) continue;
  lines.push(`| ${row.title} | ${cells.map((x) => x || '–').join(' | ')} |`);
}

// Producer x consumer.
const cross = results.filter((r) => r.scenario === 'cross-client');
const matrix: string[] = [];
if (cross.length > 0) {
  matrix.push(`| produced by ↓ / consumed by → | ${CLIENTS.map((c) => CLIENT_TITLES[c]).join(' | ')} |`);
  matrix.push(`|---|${CLIENTS.map(() => ':---:').join('|')}|`);
  for (const p of CLIENTS) {
    matrix.push(
      `| ${CLIENT_TITLES[p]} | ${CLIENTS.map((c) => (c === p ? '·' : cell(cross.filter((r) => r.client === c && r.variant === `from ${p}`)) || '–')).join(' | ')} |`,
    );
  }
}

const total = (o: string): number => results.filter((r) => r.outcome === o && r.scenario !== 'client').length;
const out = [
  ...lines,
  '',
  ...(matrix.length > 0 ? ['Cross-client (each producer\'s 1,000 messages read back by each other client):', '', ...matrix, ''] : []),
  '✅ passed · ❌ failed · n/a: the client cannot do it · –: not part of the scenario for that client',
  '',
  ...notes.map((n, i) => `${i + 1}. ${n.replace(/\|/g, '\\|')}`),
  '',
  `Cases: ${total('pass')} pass, ${total('fail')} fail, ${total('n/a')} n/a.`,
];
process.stdout.write(`${out.join('\n')}\n`);
