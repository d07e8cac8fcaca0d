/**
 * Small pieces the scenario files share: a broker per file, the first reason a client cannot run
 * a case, and reading a topic back with whatever way of consuming the client has.
 */
import { removeDir, startInProcess, type InProcessBroker } from './broker.js';
import { makeMessages, type MessageSetOptions } from './messages.js';
import type { ClientDriver, ConsumeOptions, Feature, InMessage, OutMessage } from './types.js';

/** An in-process broker (disk storage in a temp dir) for the whole file. */
export function useBroker(config: Record<string, string | number | boolean> = {}): () => InProcessBroker {
  let b: InProcessBroker | undefined;
  beforeAll(async () => {
    b = await startInProcess({ config });
  });
  afterAll(async () => {
    if (!b) return;
    await b.stop();
    await removeDir(b.dataDir);
  });
  return () => {
    if (!b) throw new Error('broker did not start');
    return b;
  };
}

/** The first reason the client cannot do one of `features`, or null. */
export async function unsupportedReason(client: ClientDriver, ...features: Feature[]): Promise<string | null> {
  for (const f of features) {
    const r = await client.unsupported(f);
    if (r) return r;
  }
  return null;
}

/** Messages in the shape the client can produce (kcat: the same headers on every message). */
export async function messagesFor(client: ClientDriver, options: Omit<MessageSetOptions, 'headers'>): Promise<OutMessage[]> {
  const fixed = (await client.unsupported({ kind: 'per-message-headers' })) !== null;
  return makeMessages({ ...options, headers: fixed ? 'fixed' : 'per-message' });
}

let groupCounter = 0;

/** Reads `count` messages from the beginning: without a group where the client can, else in a fresh group. */
export async function readBack(
  client: ClientDriver,
  bootstrap: string,
  topic: string,
  count: number,
  options: Omit<ConsumeOptions, 'count'> = {},
): Promise<InMessage[]> {
  const needsGroup = (await client.unsupported({ kind: 'assign' })) !== null;
  const group = options.group ?? (needsGroup ? `compat-read-${process.pid}-${++groupCounter}` : undefined);
  return client.consume(bootstrap, topic, { timeoutMs: 45_000, ...options, count, ...(group ? { group } : {}) });
}

/** Offsets a producer reported: each at most once, and as many as messages. */
export function checkReportedOffsets(offsets: { partition: number; offset: number }[] | undefined, expected: number): string | null {
  if (!offsets || offsets.length === 0) return null;
  const seen = new Set(offsets.map((o) => `${o.partition}:${o.offset}`));
  if (offsets.length === expected && seen.size !== offsets.length) return `producer reported duplicate offsets`;
  if (offsets.some((o) => o.offset < 0)) return `producer reported a negative offset`;
  return null;
}
