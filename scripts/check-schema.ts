/**
 * Checks protocol/*.msg files against Kafka's own JSON definitions (the oracle snapshot beside the
 * repository, or a folder given with --spec DIR). Usage: tsx scripts/check-schema.ts [--spec DIR] [files...]
 * With no files, checks every message under protocol/. Exits 1 on any difference.
 */
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatVersions, loadProtocol, parseSchemaFile, type MessageDef } from './protocol-schema.js';
import { compareWithKafka, loadKafkaMessage } from './schema-oracle.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
let specDir = join(root, '..', 'shared', 'kafka-message-specs');
const specAt = args.indexOf('--spec');
if (specAt >= 0) {
  const given = args.at(specAt + 1);
  if (given === undefined) throw new Error('--spec needs a folder');
  specDir = given;
  args.splice(specAt, 2);
}

const messages: MessageDef[] = args.length ? args.flatMap((f) => parseSchemaFile(f)) : loadProtocol(join(root, 'protocol'));
let failed = false;
for (const m of messages) {
  const kafka = loadKafkaMessage(specDir, m.name);
  if (!kafka) {
    console.log(`${m.name}: no Kafka definition to compare with (parsed ok, ${formatVersions(m.validVersions)})`);
    continue;
  }
  const { compared, differences } = compareWithKafka(m, kafka);
  if (differences.length === 0) {
    console.log(`${m.name}: ok (compared v${formatVersions(compared)}, ours ${formatVersions(m.validVersions)})`);
  } else {
    failed = true;
    console.log(`${m.name}: ${differences.length} difference(s)`);
    for (const d of differences) console.log(`  ${d}`);
  }
}
process.exit(failed ? 1 : 0);
