import { describe, expect, it } from '@jest/globals';
import { mkdtemp, readdir, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinatorLog } from '../../src/coordinator/coordinator-log.js';
import { RecordBatchBuilder, type CoordinatorRecord } from '../../src/coordinator/records.js';
import { MemoryStateLogStore, openStateLog, type StateLog } from '../../src/storage/state-log.js';
import { silentLogger } from '../../src/util/logger.js';

const offset = (n: number) => ({ offset: BigInt(n), leaderEpoch: -1, metadata: `m${n}`, commitTimestamp: n, expireTimestamp: -1 });

async function open(store: MemoryStateLogStore, applied: CoordinatorRecord[], snapshot: () => RecordBatchBuilder = () => new RecordBatchBuilder(), snapshotMinBytes?: number) {
  const stateLog = await openStateLog(store, { name: 'groups' });
  const log = new CoordinatorLog(stateLog, { apply: (r) => applied.push(...r), snapshot, logger: silentLogger, ...(snapshotMinBytes ? { snapshotMinBytes } : {}) });
  return { log, stateLog, loaded: await log.load() };
}

describe('CoordinatorLog', () => {
  it('applies a write once it is written, and replays the same records on the next open', async () => {
    const store = new MemoryStateLogStore();
    const applied: CoordinatorRecord[] = [];
    const { log, stateLog } = await open(store, applied);
    const batch = new RecordBatchBuilder().offset('g', 't', 0, offset(1)).offset('g', 't', 1, null).group('g', null);
    const written = log.write(batch);
    expect(applied).toEqual([]);
    await written;
    expect(applied).toEqual(batch.records);
    await stateLog.close();
    const replayed: CoordinatorRecord[] = [];
    const again = await open(store, replayed);
    expect(again.loaded.records).toBe(3);
    expect(replayed).toEqual(batch.records);
  });

  it('a failed append applies nothing', async () => {
    const applied: CoordinatorRecord[] = [];
    const failing = { append: () => Promise.reject(new Error('disk full')), bytesSinceSnapshot: 0 } as unknown as StateLog;
    const log = new CoordinatorLog(failing, { apply: (r) => applied.push(...r), snapshot: () => new RecordBatchBuilder(), logger: silentLogger });
    await expect(log.write(new RecordBatchBuilder().offset('g', 't', 0, offset(1)))).rejects.toThrow('disk full');
    expect(applied).toEqual([]);
  });

  it('a snapshot holds the state plus writes still in flight; replay starts from it', async () => {
    const store = new MemoryStateLogStore();
    const applied: CoordinatorRecord[] = [];
    const state = new RecordBatchBuilder().offset('g', 't', 0, offset(0));
    const { log, stateLog } = await open(store, applied, () => new RecordBatchBuilder().offset('g', 't', 0, offset(0)));
    const inFlight = log.write(new RecordBatchBuilder().offset('g', 't', 1, offset(1)));
    await log.snapshotNow();
    await inFlight;
    await stateLog.close();
    expect(store.logs.get('groups')!.records).toHaveLength(0);
    const replayed: CoordinatorRecord[] = [];
    await open(store, replayed);
    expect(replayed).toEqual([...state.records, { type: 'offset', group: 'g', topic: 't', partition: 1, value: offset(1) }]);
  });

  it('snapshots by itself once the log has grown past the threshold', async () => {
    const store = new MemoryStateLogStore();
    const { log, stateLog } = await open(store, [], () => new RecordBatchBuilder().offset('g', 't', 0, offset(0)), 1000);
    for (let i = 0; i < 50; i++) await log.write(new RecordBatchBuilder().offset('g', 't', i, offset(i)));
    await stateLog.close();
    expect(store.logs.get('groups')!.snapshot).toBeDefined();
    expect(store.logs.get('groups')!.records.length).toBeLessThan(50);
  });

  it('names the groups a damaged snapshot held, as far as its bytes go, even cut short', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gregor-coordlog-'));
    try {
      const state = () => {
        const b = new RecordBatchBuilder();
        for (let i = 0; i < 50; i++) b.offset(`group-${i}`, 'orders', 0, offset(i));
        return b;
      };
      const stateLog = await openStateLog(dir, { name: 'groups' });
      const log = new CoordinatorLog(stateLog, { apply: () => undefined, snapshot: state, logger: silentLogger });
      await log.load();
      await log.snapshotNow();
      await stateLog.close();
      const snapshot = join(dir, 'groups-00000000000000000001.snapshot');
      // Cut in the middle: the frame is torn, the state log sets it aside whole.
      const size = (await stat(snapshot)).size;
      await truncate(snapshot, Math.floor(size / 2));
      const reopened = await openStateLog(dir, { name: 'groups' });
      const [damage] = reopened.damage;
      expect(damage).toMatchObject({ kind: 'snapshot', stateLost: true });
      expect(await readdir(dir)).toContain('groups-00000000000000000001.snapshot.damaged-0');
      const named = await CoordinatorLog.groupsInDamagedSnapshot(damage.copy);
      // The first half of the groups, and nothing made up from the cut.
      expect(named.size).toBeGreaterThan(15);
      expect(named.size).toBeLessThan(50);
      expect([...named]).toEqual(Array.from({ length: named.size }, (_, i) => `group-${i}`));
      await reopened.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('CoordinatorLog transactional frames', () => {
  it('replays transactional writes with their producer and markers in order, also from a snapshot taken with a transactional write in flight', async () => {
    const store = new MemoryStateLogStore();
    const events: string[] = [];
    const openTxn = async () => {
      const stateLog = await openStateLog(store, { name: 'groups' });
      const log = new CoordinatorLog(stateLog, {
        apply: (r, txn) => { for (const x of r) if (x.type === 'offset') events.push(`${txn === null ? 'offset' : `txn ${txn.producerId}/${txn.producerEpoch}`} ${x.partition}`); },
        applyTxnEnd: (end) => events.push(`${end.committed ? 'commit' : 'abort'} ${end.producerId}/${end.producerEpoch}`),
        snapshot: () => new RecordBatchBuilder().offset('g', 't', 0, offset(0)),
        snapshotPendingTxn: () => ({ before: [{ producerId: 4n, producerEpoch: 1, batch: new RecordBatchBuilder().offset('g', 't', 9, offset(9)) }], after: [] }),
        logger: silentLogger,
      });
      await log.load();
      return { log, stateLog };
    };
    const first = await openTxn();
    await first.log.write(new RecordBatchBuilder().offset('g', 't', 1, offset(1)), { producerId: 7n, producerEpoch: 2 });
    await first.log.writeTxnEnd({ producerId: 7n, producerEpoch: 2, committed: true });
    await first.stateLog.close();
    events.length = 0;
    const second = await openTxn();
    expect(events).toEqual(['txn 7/2 1', 'commit 7/2']);
    const inFlight = second.log.write(new RecordBatchBuilder().offset('g', 't', 2, offset(2)), { producerId: 8n, producerEpoch: 0 });
    await second.log.snapshotNow();
    await inFlight;
    await second.stateLog.close();
    events.length = 0;
    await (await openTxn()).stateLog.close();
    // The snapshot: the pending batch meant to come first, the state, then the write in flight.
    expect(events).toEqual(['txn 4/1 9', 'offset 0', 'txn 8/0 2']);
  });
});
