import { describe, expect, it } from '@jest/globals';
import { MemoryPartitionLog } from '../../src/storage/memory-partition-log.js';
import { StorageError } from '../../src/storage/types.js';
import { batch, config, decode } from './helpers.js';
import { partitionLogBehaviour } from './partition-log.behaviour.js';

partitionLogBehaviour('MemoryPartitionLog', {
  open: async (cfg, clock) => new MemoryPartitionLog('t', 0, cfg, clock),
  cleanup: async () => undefined,
});

describe('MemoryPartitionLog', () => {
  it('stores copies: changing the appended buffer afterwards changes nothing', async () => {
    const log = new MemoryPartitionLog('t', 0, config());
    const b = batch(['a']);
    await log.append(b, { leaderEpoch: 0 });
    b.fill(0);
    expect(decode((await log.read(0n, { maxBytes: 1000 })).records).map((r) => r.value)).toEqual(['a']);
  });

  it('settles every operation at once, in call order', async () => {
    const log = new MemoryPartitionLog('t', 0, config());
    const order: string[] = [];
    const a = log.append(batch(['a']), { leaderEpoch: 0 }).then(() => order.push('append'));
    const r = log.read(0n, { maxBytes: 100 }).then((x) => order.push(`read ${x.records.length}`));
    await Promise.all([a, r]);
    expect(order).toEqual(['append', 'read 1']);
  });

  it('refuses everything once closed', async () => {
    const log = new MemoryPartitionLog('t', 0, config());
    await log.close();
    await log.close();
    await expect(log.append(batch(['a']), { leaderEpoch: 0 })).rejects.toBeInstanceOf(StorageError);
    await expect(log.read(0n, { maxBytes: 1 })).rejects.toBeInstanceOf(StorageError);
  });
});
