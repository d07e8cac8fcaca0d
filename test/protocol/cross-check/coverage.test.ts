/**
 * Which (api, version) pairs the two client libraries can encode, and which the cross-check tests
 * cover. Every pair a library can produce must be covered or listed, with its reason, as not a
 * Gregor api; the two libraries together must cover at least 150 pairs. The per-library lists and
 * counts are printed.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { API_TABLE } from '../../../src/protocol/generated/api-table.js';
import { pairKey, requireCjs, ROOT, type Pair } from './helpers.js';
import { KAFKAJS_NOT_OURS, kafkaJsPairs } from './kafkajs-cases.js';
import { PLATFORMATIC_NOT_OURS, platformaticCases, platformaticPairs } from './platformatic-cases.js';

const KAFKAJS_REQUESTS = join(ROOT, 'node_modules', 'kafkajs', 'src', 'protocol', 'requests');
const PLATFORMATIC_APIS = join(ROOT, 'node_modules', '@platformatic', 'kafka', 'dist', 'apis');

/** Every v<N>/request.js of KafkaJS, with the api key and version the request object declares. */
function kafkaJsCapabilities(): { dir: string; api: number; version: number }[] {
  const out: { dir: string; api: number; version: number }[] = [];
  for (const dir of readdirSync(KAFKAJS_REQUESTS, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const v of readdirSync(join(KAFKAJS_REQUESTS, dir.name))) {
      if (!/^v\d+$/.test(v)) continue;
      const make = requireCjs(join(KAFKAJS_REQUESTS, dir.name, v, 'request.js')) as (a: unknown) => { apiKey: number; apiVersion: number };
      const request = make({});
      expect(request.apiVersion).toBe(Number(v.slice(1)));
      out.push({ dir: dir.name, api: request.apiKey, version: request.apiVersion });
    }
  }
  return out;
}

/** Every <group>/<api>-v<N>.js of @platformatic/kafka, with the key and version given to createAPI. */
function platformaticCapabilities(): { file: string; name: string; api: number; version: number }[] {
  const out: { file: string; name: string; api: number; version: number }[] = [];
  for (const group of readdirSync(PLATFORMATIC_APIS, { withFileTypes: true })) {
    if (!group.isDirectory()) continue;
    for (const f of readdirSync(join(PLATFORMATIC_APIS, group.name))) {
      const m = /^(.*)-v(\d+)\.js$/.exec(f);
      if (!m) continue;
      const text = readFileSync(join(PLATFORMATIC_APIS, group.name, f), 'utf8');
      const api = /createAPI\((\d+),\s*(\d+)/.exec(text);
      expect(api).not.toBeNull();
      // The version is the one given to createAPI (describe-client-quotas-v0.js declares v1).
      out.push({ file: `${group.name}/${m[1]}-v${m[2]}`, name: m[1], api: Number(api![1]), version: Number(api![2]) });
    }
  }
  return out;
}

const sortPairs = <T extends Pair>(ps: T[]): T[] => [...ps].sort((a, b) => a.api - b.api || a.version - b.version);

describe('cross-check coverage', () => {
  const kjsCan = kafkaJsCapabilities();
  const pltCan = platformaticCapabilities();
  const kjsCovered = sortPairs(kafkaJsPairs());
  const pltCovered = sortPairs(platformaticPairs());

  it('covers every KafkaJS pair that is a Gregor api, and only real ones', () => {
    const covered = new Set(kjsCovered.map((p) => `${p.dir}/v${p.version}`));
    const missing = kjsCan.filter((p) => !covered.has(`${p.dir}/v${p.version}`) && !(p.dir in KAFKAJS_NOT_OURS));
    expect(missing).toEqual([]);
    for (const p of kjsCan.filter((x) => x.dir in KAFKAJS_NOT_OURS)) expect(API_TABLE[p.api as keyof typeof API_TABLE]).toBeUndefined();
    const can = new Set(kjsCan.map((p) => `${p.dir}/v${p.version}/${p.api}`));
    for (const p of kjsCovered) expect(can).toContain(`${p.dir}/v${p.version}/${p.api}`);
  });

  it('covers every @platformatic/kafka pair that is a Gregor api, and only real ones', () => {
    const covered = new Set(pltCovered.map((p) => p.file));
    const missing = pltCan.filter((p) => !covered.has(p.file) && !(p.name in PLATFORMATIC_NOT_OURS));
    expect(missing).toEqual([]);
    for (const p of pltCan.filter((x) => x.name in PLATFORMATIC_NOT_OURS)) expect(API_TABLE[p.api as keyof typeof API_TABLE]).toBeUndefined();
    const can = new Set(pltCan.map((p) => `${p.file}/${p.api}/${p.version}`));
    for (const p of pltCovered) expect(can).toContain(`${p.file}/${p.api}/${p.version}`);
  });

  it('the two libraries together cover at least 150 (api, version) pairs', () => {
    const union = new Map<string, Pair>();
    for (const p of [...kjsCovered, ...pltCovered]) union.set(`${p.api}/${p.version}`, p);
    const notCheckable = platformaticCases().filter((c) => c.responseNotCheckable);
    const lines = [
      `KafkaJS 2.2.4: ${kjsCovered.length} pairs (of ${kjsCan.length} it can encode; not Gregor apis: ${Object.keys(KAFKAJS_NOT_OURS).join(', ')})`,
      `  ${kjsCovered.map(pairKey).join(', ')}`,
      `@platformatic/kafka 1.35: ${pltCovered.length} pairs (of ${pltCan.length} it can encode; not Gregor apis: ${Object.keys(PLATFORMATIC_NOT_OURS).join(', ')})`,
      `  ${pltCovered.map(pairKey).join(', ')}`,
      `  response direction not cross-checked (library bug): ${notCheckable.map((c) => `${pairKey(c)}: ${c.responseNotCheckable}`).join('; ') || 'none'}`,
      `total: ${kjsCovered.length + pltCovered.length} library pairs, ${union.size} distinct (api, version) pairs`,
      `distinct: ${sortPairs([...union.values()]).map(pairKey).join(', ')}`,
    ];
    console.log(`cross-check coverage\n${lines.join('\n')}`);
    expect(kjsCovered.length + pltCovered.length).toBeGreaterThanOrEqual(150);
  });
});
