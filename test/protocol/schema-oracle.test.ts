/**
 * Our schema against Kafka's own message definitions, field by field and version by version, over
 * the versions both define. The definitions are a snapshot kept beside the repository; where it is
 * absent (a plain clone), the comparison is skipped. Newer versions than the snapshot has are ours
 * alone and are covered by the round-trip and client cross-check tests.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadProtocol } from '../../scripts/protocol-schema.js';
import { compareWithKafka, loadKafkaMessage } from '../../scripts/schema-oracle.js';

const root = join(new URL('.', import.meta.url).pathname, '..', '..');
const specDir = process.env.KAFKA_MESSAGE_SPECS ?? join(root, '..', 'shared', 'kafka-message-specs');
const messages = loadProtocol(join(root, 'protocol')).filter((m) => m.kind === 'request' || m.kind === 'response');
const haveOracle = existsSync(specDir);

(haveOracle ? describe : describe.skip)('schema matches Kafka message definitions', () => {
  it.each(messages.map((m) => [m.name, m] as const))('%s', (_name, msg) => {
    const kafka = loadKafkaMessage(specDir, msg.name);
    expect(kafka).toBeDefined();
    const { differences } = compareWithKafka(msg, kafka!);
    expect(differences).toEqual([]);
  });

  it('covers every api the broker issue lists', () => {
    const keys = new Set(messages.map((m) => m.apiKey));
    for (const k of [0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
      31, 32, 33, 35, 36, 37, 42, 44, 47, 60, 61, 65, 66, 68, 69, 71, 75]) {
      expect(keys.has(k)).toBe(true);
    }
  });
});
