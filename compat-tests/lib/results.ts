/**
 * Every (scenario, client, variant) outcome goes to compat-tests/results/compat-results.json
 * (git-ignored); scripts/compat-table.ts renders it as the README's client-by-feature table.
 * A case is 'pass', 'fail' (the jest test fails too) or 'n/a' with the reason the client cannot do
 * it; nothing is skipped silently.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClientName } from './types.js';

export const RESULTS_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'compat-results.json');

export type Outcome = 'pass' | 'fail' | 'n/a';

export interface CaseResult {
  scenario: string;
  client: ClientName;
  /** Codec, peer client, or sub-case; '' when the scenario has one case per client. */
  variant: string;
  outcome: Outcome;
  /** For pass: what was checked; for fail: the error; for n/a: the reason. */
  detail: string;
  /** A caveat the table shows as a footnote on a pass (e.g. read back by another client). */
  note?: string;
  ms: number;
  at: string;
}

/** Returned by a case body to record "not applicable" with its reason. */
export interface NotApplicable {
  notApplicable: string;
}

export const notApplicable = (reason: string): NotApplicable => ({ notApplicable: reason });

/** Returned by a case body: passed, with a caveat worth a footnote in the table. */
export interface PassWithNote {
  pass: string;
  note: string;
}

export const passWithNote = (pass: string, note: string): PassWithNote => ({ pass, note });

function readAll(): CaseResult[] {
  try {
    return JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as CaseResult[];
  } catch {
    return [];
  }
}

export function recordResult(r: CaseResult): void {
  const rows = readAll().filter((x) => !(x.scenario === r.scenario && x.client === r.client && x.variant === r.variant));
  rows.push(r);
  rows.sort((a, b) => a.scenario.localeCompare(b.scenario) || a.client.localeCompare(b.client) || a.variant.localeCompare(b.variant));
  mkdirSync(dirname(RESULTS_FILE), { recursive: true });
  const tmp = `${RESULTS_FILE}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(rows, null, 1)}\n`);
  renameSync(tmp, RESULTS_FILE);
}

export function readResults(): CaseResult[] {
  return readAll();
}

/** Records the outcome of one case of a scenario. */
export class Recorder {
  constructor(readonly scenario: string) {}

  /**
   * Runs a case body: a returned string is the pass detail, a returned notApplicable() the n/a
   * reason; a throw is recorded as fail and rethrown so the jest test fails.
   */
  async run(client: ClientName, variant: string, body: () => Promise<string | undefined | NotApplicable | PassWithNote>): Promise<void> {
    const started = Date.now();
    const at = new Date().toISOString();
    try {
      const r = await body();
      if (r && typeof r === 'object' && 'pass' in r) {
        recordResult({ scenario: this.scenario, client, variant, outcome: 'pass', detail: r.pass, note: r.note, ms: Date.now() - started, at });
        return;
      }
      if (r && typeof r === 'object') {
        recordResult({ scenario: this.scenario, client, variant, outcome: 'n/a', detail: r.notApplicable, ms: Date.now() - started, at });
        // Visible in the jest output too.
        process.stdout.write(`  n/a  ${this.scenario} ${client}${variant ? ` ${variant}` : ''}: ${r.notApplicable}\n`);
        return;
      }
      recordResult({ scenario: this.scenario, client, variant, outcome: 'pass', detail: r ?? '', ms: Date.now() - started, at });
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      recordResult({ scenario: this.scenario, client, variant, outcome: 'fail', detail: detail.slice(0, 2000), ms: Date.now() - started, at });
      throw err;
    }
  }
}
