import { afterEach, describe, expect, it } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { ErrorCode } from '../../src/protocol/generated/errors.js';
import { initProducerId, PRODUCER_ID_BLOCK_SIZE, ProducerIdManager } from '../../src/metadata/producer-ids.js';
import { MemoryStateLogStore, openStateLog } from '../../src/storage/state-log.js';
import { tempDir } from '../storage/helpers.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

const open = async (where: string | MemoryStateLogStore, blockSize?: number): Promise<ProducerIdManager> =>
  ProducerIdManager.open(await openStateLog(where, { name: 'producer-ids' }), blockSize === undefined ? {} : { blockSize });

describe('ProducerIdManager', () => {
  it('takes its blocks from any block source: two managers sharing one never hand out the same id', async () => {
    let counter = 0n;
    const reserved: number[] = [];
    const shared = {
      reserve: (size: number) => {
        const start = counter;
        counter += BigInt(size);
        reserved.push(size);
        return Promise.resolve(start);
      },
      close: () => Promise.resolve(),
    };
    const a = new ProducerIdManager(shared, 3);
    const b = new ProducerIdManager(shared, 3);
    const ids: bigint[] = [];
    for (let i = 0; i < 5; i++) ids.push(await a.generate(), await b.generate());
    expect(new Set(ids).size).toBe(10);
    expect(ids.slice(0, 4)).toEqual([0n, 3n, 1n, 4n]);
    expect(reserved).toEqual([3, 3, 3, 3]);
    await a.close();
  });

  it('hands out consecutive ids from 0 in blocks of 1000', async () => {
    const ids = await open(new MemoryStateLogStore());
    const got = [];
    for (let i = 0; i < PRODUCER_ID_BLOCK_SIZE + 2; i++) got.push(await ids.generate());
    expect(got[0]).toBe(0n);
    expect(got[got.length - 1]).toBe(BigInt(PRODUCER_ID_BLOCK_SIZE + 1));
    expect(new Set(got).size).toBe(got.length);
    await ids.close();
  });

  it('never reuses an id after a restart on disk (each block is recorded, fsynced, before use)', async () => {
    const d = await tempDir('gregor-pids-');
    cleanup = d.remove;
    let ids = await open(d.path, 10);
    const first = [await ids.generate(), await ids.generate(), await ids.generate()];
    expect(first).toEqual([0n, 1n, 2n]);
    await ids.close();
    ids = await open(d.path, 10);
    // The rest of the first block is skipped.
    expect(await ids.generate()).toBe(10n);
    for (let i = 0; i < 10; i++) await ids.generate();
    expect(ids.peekNext).toBe(21n);
    await ids.close();
    ids = await open(d.path, 10);
    expect(await ids.generate()).toBe(30n);
    await ids.close();
  });

  it('gives concurrent callers distinct ids while a block is being recorded', async () => {
    const ids = await open(new MemoryStateLogStore(), 3);
    const got = await Promise.all(Array.from({ length: 10 }, () => ids.generate()));
    expect([...got].sort((a, b) => Number(a - b))).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(i)));
    await ids.close();
  });
});

describe('initProducerId', () => {
  const asked: [string, number, unknown][] = [];
  const opts = {
    transactional: (id: string, timeoutMs: number, expected: unknown) => {
      asked.push([id, timeoutMs, expected]);
      return Promise.resolve({ errorCode: ErrorCode.ConcurrentTransactions, producerId: -1n, producerEpoch: -1 });
    },
  };
  const req = (over: Partial<Parameters<typeof initProducerId>[1]> = {}): Parameters<typeof initProducerId>[1] => ({
    transactionalId: null,
    transactionTimeoutMs: 60_000,
    producerId: -1n,
    producerEpoch: -1,
    ...over,
  });

  it('idempotent producers get a fresh id with epoch 0, also when they send the id they had (KIP-360)', async () => {
    const ids = await open(new MemoryStateLogStore());
    expect(await initProducerId(ids, req(), opts)).toEqual({ errorCode: ErrorCode.None, producerId: 0n, producerEpoch: 0 });
    expect(await initProducerId(ids, req({ producerId: 0n, producerEpoch: 0 }), opts)).toEqual({ errorCode: ErrorCode.None, producerId: 1n, producerEpoch: 0 });
    await ids.close();
  });

  it('INVALID_REQUEST when only one of producerId and producerEpoch is set', async () => {
    const ids = await open(new MemoryStateLogStore());
    expect(await initProducerId(ids, req({ producerId: 5n }), opts)).toEqual({ errorCode: ErrorCode.InvalidRequest, producerId: -1n, producerEpoch: -1 });
    expect((await initProducerId(ids, req({ producerEpoch: 3 }), opts)).errorCode).toBe(ErrorCode.InvalidRequest);
    await ids.close();
  });

  it('transactional ids: the transaction coordinator answers, given the id and epoch the client holds (v3+)', async () => {
    const ids = await open(new MemoryStateLogStore());
    asked.length = 0;
    expect(await initProducerId(ids, req({ transactionalId: 'tx' }), opts)).toEqual({ errorCode: ErrorCode.ConcurrentTransactions, producerId: -1n, producerEpoch: -1 });
    expect((await initProducerId(ids, req({ transactionalId: 'tx', transactionTimeoutMs: 5000, producerId: 7n, producerEpoch: 2 }), opts)).errorCode).toBe(ErrorCode.ConcurrentTransactions);
    expect((await initProducerId(ids, req({ transactionalId: 'tx', producerId: 7n }), opts)).errorCode).toBe(ErrorCode.InvalidRequest);
    expect(asked).toEqual([
      ['tx', 60_000, undefined],
      ['tx', 5000, { producerId: 7n, producerEpoch: 2 }],
    ]);
    expect(ids.peekNext).toBe(0n);
    await ids.close();
  });

  it('COORDINATOR_LOAD_IN_PROGRESS when a block of ids cannot be recorded', async () => {
    const log = await openStateLog(new MemoryStateLogStore(), { name: 'producer-ids' });
    const ids = await ProducerIdManager.open(log);
    await log.close();
    expect((await initProducerId(ids, req(), opts)).errorCode).toBe(ErrorCode.CoordinatorLoadInProgress);
  });

  it('after a damaged snapshot, resumes above every block it may have reserved and says so', async () => {
    const d = await tempDir('gregor-pids-');
    cleanup = d.remove;
    let ids = await open(d.path, 10);
    for (let i = 0; i < 35; i++) await ids.generate();
    await ids.close();
    // Four blocks reserved, the last by the snapshot of generation 4.
    const file = join(d.path, 'producer-ids-00000000000000000004.snapshot');
    const bytes = await readFile(file);
    bytes[bytes.length - 1] ^= 0xff;
    await writeFile(file, bytes);
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    ids = await ProducerIdManager.open(await openStateLog(d.path, { name: 'producer-ids', logger }), { blockSize: 10, logger });
    const next = await ids.generate();
    expect(next).toBeGreaterThanOrEqual(40n);
    expect(lines.join('\n')).toContain(`snapshot ${file} has a frame failing its CRC`);
    expect(lines.join('\n')).toMatch(/producer ids: the state log's snapshot was damaged; allocation resumes at 50 instead of 0/);
    await ids.close();
    // Recorded at once: a restart goes on from there, quietly.
    lines.length = 0;
    ids = await ProducerIdManager.open(await openStateLog(d.path, { name: 'producer-ids', logger }), { blockSize: 10, logger });
    expect(await ids.generate()).toBeGreaterThan(next);
    expect(lines).toEqual([]);
    await ids.close();
  });
});
