/**
 * Brokers started in one process (a test suite, an embedder) share nothing of their storage: each
 * has its own cache of recently appended batches and its own policy for writing appends on the
 * event loop's thread.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Broker } from '../src/broker.js';
import { append, createTopic, records } from './server/fetch/fixture.js';
import { decode, tempDir } from './storage/helpers.js';

const dirs: { path: string; remove: () => Promise<void> }[] = [];
let a: Broker;
let b: Broker;

beforeAll(async () => {
  dirs.push(await tempDir('gregor-broker-a-'), await tempDir('gregor-broker-b-'));
  a = await Broker.start({ port: 0, dataDir: dirs[0].path });
  b = await Broker.start({ port: 0, dataDir: dirs[1].path });
  await createTopic(a, 'events');
  await createTopic(b, 'events');
});

afterAll(async () => {
  await a.stop();
  await b.stop();
  for (const d of dirs) await d.remove();
});

describe('two brokers in one process', () => {
  it('cache only their own appends', async () => {
    const cacheA = a.services.logs.batchCache!;
    const cacheB = b.services.logs.batchCache!;
    expect(cacheA).not.toBe(cacheB);
    const heldA = cacheA.size;
    const heldB = cacheB.size;

    await append(a, 'events', 0, records(3));
    expect(cacheA.size).toBeGreaterThan(heldA);
    expect(cacheB.size).toBe(heldB);

    await append(b, 'events', 0, records(2, 100));
    const fromA = decode((await a.services.logs.get('events', 0)!.read(0n, { maxBytes: 1 << 20 })).records).map((r) => r.value);
    const fromB = decode((await b.services.logs.get('events', 0)!.read(0n, { maxBytes: 1 << 20 })).records).map((r) => r.value);
    expect(fromA).toEqual(['v0', 'v1', 'v2']);
    expect(fromB).toEqual(['v100', 'v101']);
  });

  it('back off from synchronous writes independently', () => {
    const policyA = a.services.logs.syncWritePolicy!;
    const policyB = b.services.logs.syncWritePolicy!;
    expect(policyA).not.toBe(policyB);
    const slowBefore = policyB.slowWrites;
    // A write that the kernel stalls for longer than slowMs, on broker A.
    policyA.run(() => {
      const until = performance.now() + policyA.slowMs + 1;
      while (performance.now() <= until);
    });
    expect(policyA.slowWrites).toBeGreaterThan(0);
    expect(policyA.allows(1024)).toBe(false);
    expect(policyB.slowWrites).toBe(slowBefore);
    expect(policyB.allows(1024)).toBe(true);
  });
});
