/**
 * Deterministic test messages and the check that a consumer got exactly them back.
 *
 * Keys are ASCII (`key-7`), repeated across messages so that per-key partition stickiness is
 * visible. Values start with `v<i>|` (so every message is identifiable) followed by pseudo-random
 * binary bytes of varying length; a few values are empty, with a key of their own. Header values are
 * ASCII letters, digits and `-._:` only, because kcat prints headers as `k=v,k=v` with no escaping.
 */
import { createHash } from 'node:crypto';
import type { Header, InMessage, OutMessage } from './types.js';

/** Delimiters the kcat driver uses; generated values never contain them. */
export const KCAT_KEY_DELIMITER = '~%KEY%~';
export const KCAT_MESSAGE_DELIMITER = '~%EOM%~';

export interface MessageSetOptions {
  count: number;
  /** Distinguishes runs; part of every header set and of the random bytes. */
  seed: string;
  /** How many distinct keys (default 37). */
  keys?: number;
  /** Largest random tail of a value (default 400 bytes). */
  maxValueBytes?: number;
  /**
   * 'per-message': headers differ per message (`idx`, `seed`, `src`); 'fixed': every message has the
   * same headers (kcat sets headers per run, not per message).
   */
  headers: 'per-message' | 'fixed';
  /** Spread timestamps: message i gets baseTimestamp + i * step (ms). */
  timestamps?: { base: number; step: number };
}

/** A deterministic byte stream (SHA-256 in counter mode). */
export function pseudoRandomBytes(seed: string, length: number): Buffer {
  const out = Buffer.alloc(length);
  let filled = 0;
  for (let block = 0; filled < length; block++) {
    const h = createHash('sha256').update(`${seed}/${block}`).digest();
    filled += h.copy(out, filled, 0, Math.min(h.length, length - filled));
  }
  return out;
}

export function makeMessages(options: MessageSetOptions): OutMessage[] {
  const keys = options.keys ?? 37;
  const maxTail = options.maxValueBytes ?? 400;
  const fixed: Header[] = [
    { key: 'seed', value: Buffer.from(options.seed) },
    { key: 'src', value: Buffer.from('gregor-compat') },
  ];
  const out: OutMessage[] = [];
  for (let i = 0; i < options.count; i++) {
    const empty = i % 211 === 100;
    const key = Buffer.from(empty ? `empty-${i}` : `key-${i % keys}`);
    let value: Buffer;
    if (empty) {
      value = Buffer.alloc(0);
    } else {
      const tailLength = (i * 7919) % (maxTail + 1);
      value = Buffer.concat([Buffer.from(`v${i}|`), pseudoRandomBytes(`${options.seed}:${i}`, tailLength)]);
      // Keep the kcat delimiters out of the bytes (vanishingly rare, but make it certain).
      while (value.includes(KCAT_MESSAGE_DELIMITER) || value.includes(KCAT_KEY_DELIMITER)) {
        value = Buffer.concat([Buffer.from(`v${i}|`), pseudoRandomBytes(`${options.seed}:${i}:again`, tailLength)]);
      }
    }
    const headers: Header[] =
      options.headers === 'fixed'
        ? fixed
        : [
            { key: 'idx', value: Buffer.from(String(i)) },
            { key: 'seed', value: Buffer.from(options.seed) },
            { key: 'kind', value: Buffer.from(i % 2 === 0 ? 'even.x-1' : 'odd:y_2') },
          ];
    const m: OutMessage = { key, value, headers };
    if (options.timestamps) m.timestamp = options.timestamps.base + i * options.timestamps.step;
    out.push(m);
  }
  return out;
}

/** A single large message of incompressible bytes. */
export function largeMessage(seed: string, bytes: number): OutMessage {
  const prefix = Buffer.from(`big|${seed}|`);
  let value = Buffer.concat([prefix, pseudoRandomBytes(seed, bytes - prefix.length)]);
  for (let n = 0; value.includes(KCAT_MESSAGE_DELIMITER) || value.includes(KCAT_KEY_DELIMITER); n++) {
    value = Buffer.concat([prefix, pseudoRandomBytes(`${seed}/${n}`, bytes - prefix.length)]);
  }
  return { key: Buffer.from(`big-${seed}`), value, headers: [{ key: 'size', value: Buffer.from(String(bytes)) }] };
}

const identity = (key: Buffer | null, value: Buffer | null): string =>
  `${key === null ? '-' : key.toString('hex')}/${value === null ? '-' : value.toString('hex')}`;

function headersEqual(a: Header[], b: Header[]): boolean {
  return a.length === b.length && a.every((h, i) => h.key === b[i].key && h.value.equals(b[i].value));
}

const showHeaders = (hs: Header[]): string => hs.map((h) => `${h.key}=${h.value.toString('latin1')}`).join(',');

export interface VerifyOptions {
  /** Compare headers (default true). */
  headers?: boolean;
  /** Expect message timestamps to equal the produced ones (explicit timestamps). */
  exactTimestamps?: boolean;
  /** Expect every consumed message in a window around now (client-stamped CreateTime). */
  timestampWindow?: { from: number; to: number };
  /** How many partitions the topic has; with more than one, the keys must have spread. */
  partitions?: number;
}

/**
 * Checks that `got` is exactly `expected`: the same count, every key, value and header byte, no
 * duplicates, offsets increasing per partition, production order kept within each partition, each
 * key in one partition, and explicit partitions honoured. Returns a list of problems (empty: all good).
 */
export function verifyConsumed(expected: OutMessage[], got: InMessage[], options: VerifyOptions = {}): string[] {
  const problems: string[] = [];
  const note = (p: string): void => {
    if (problems.length < 12) problems.push(p);
  };
  const byIdentity = new Map<string, number>();
  expected.forEach((m, i) => {
    const id = identity(m.key, m.value);
    if (byIdentity.has(id)) throw new Error(`test bug: duplicate message identity at ${i}`);
    byIdentity.set(id, i);
  });
  if (got.length !== expected.length) note(`expected ${expected.length} messages, consumed ${got.length}`);
  const seen = new Set<number>();
  const perPartition = new Map<number, { offset: number; index: number }[]>();
  const keyPartition = new Map<string, number>();
  for (const m of got) {
    const index = byIdentity.get(identity(m.key, m.value));
    if (index === undefined) {
      note(
        `unexpected message at partition ${m.partition} offset ${m.offset}: key=${m.key?.toString('latin1') ?? 'null'} ` +
          `value(${m.value?.length ?? 'null'} bytes)=${m.value?.subarray(0, 24).toString('latin1') ?? 'null'}`,
      );
      continue;
    }
    if (seen.has(index)) note(`message ${index} consumed twice (partition ${m.partition} offset ${m.offset})`);
    seen.add(index);
    const want = expected[index];
    if (options.headers !== false && !headersEqual(want.headers, m.headers)) {
      note(`message ${index}: headers [${showHeaders(m.headers)}], expected [${showHeaders(want.headers)}]`);
    }
    if (want.partition !== undefined && want.partition !== m.partition) {
      note(`message ${index}: partition ${m.partition}, produced to ${want.partition}`);
    }
    if (options.exactTimestamps && want.timestamp !== undefined && m.timestamp !== want.timestamp) {
      note(`message ${index}: timestamp ${m.timestamp}, produced with ${want.timestamp}`);
    }
    if (options.timestampWindow && (m.timestamp < options.timestampWindow.from || m.timestamp > options.timestampWindow.to)) {
      note(`message ${index}: timestamp ${m.timestamp} outside [${options.timestampWindow.from}, ${options.timestampWindow.to}]`);
    }
    const k = m.key === null ? '' : m.key.toString('hex');
    const kp = keyPartition.get(k);
    if (kp !== undefined && kp !== m.partition) note(`key ${m.key?.toString('latin1')} in partitions ${kp} and ${m.partition}`);
    keyPartition.set(k, m.partition);
    let list = perPartition.get(m.partition);
    if (!list) perPartition.set(m.partition, (list = []));
    list.push({ offset: m.offset, index });
  }
  const missing = expected.length - seen.size;
  if (missing > 0) {
    const firstMissing = expected.findIndex((_, i) => !seen.has(i));
    note(`${missing} produced messages never consumed (first: message ${firstMissing})`);
  }
  for (const [partition, list] of perPartition) {
    list.sort((a, b) => a.offset - b.offset);
    for (let i = 1; i < list.length; i++) {
      if (list[i].offset === list[i - 1].offset) note(`partition ${partition}: offset ${list[i].offset} twice`);
      if (list[i].index < list[i - 1].index) {
        note(`partition ${partition}: message ${list[i].index} at offset ${list[i].offset} after message ${list[i - 1].index} (order lost)`);
        break;
      }
    }
  }
  if ((options.partitions ?? 1) > 1 && expected.length >= 100 && perPartition.size < 2) {
    note(`all messages landed in one partition of ${options.partitions}`);
  }
  return problems;
}

/** Throws with the problems listed, for use inside a test. */
export function assertConsumed(expected: OutMessage[], got: InMessage[], options: VerifyOptions = {}): void {
  const problems = verifyConsumed(expected, got, options);
  if (problems.length > 0) throw new Error(`consumed messages differ from produced:\n  ${problems.join('\n  ')}`);
}
