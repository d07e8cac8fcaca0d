import { describe, expect, it } from '@jest/globals';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { resolveBrokerConfig, type ResolvedBrokerConfig } from '../../src/config/broker-config.js';
import { AlterConfigOp, resolveTopicConfig } from '../../src/config/topic-config.js';
import { applyBrokerConfigOps, DynamicConfigStore } from '../../src/metadata/dynamic-config-store.js';
import { ErrorCode } from '../../src/protocol/generated/errors.js';
import { MemoryStateLogStore, openStateLog } from '../../src/storage/state-log.js';

const base = (flags: Record<string, string> = {}): ResolvedBrokerConfig => resolveBrokerConfig({ flags });

async function open(store: MemoryStateLogStore, resolved = base(), logger = pino({ level: 'silent' })): Promise<DynamicConfigStore> {
  return DynamicConfigStore.open({ stateLog: await openStateLog(store, { name: 'dynamic-config' }), base: resolved, logger });
}

describe('applyBrokerConfigOps', () => {
  const op = (name: string, configOperation: number, value: string | null = null) => ({ name, configOperation, value });

  it('turns SET and DELETE into changes, null meaning removal', () => {
    const r = applyBrokerConfigOps(new Map([['log.retention.ms', '1']]), [op('log.retention.ms', AlterConfigOp.DELETE), op('message.max.bytes', AlterConfigOp.SET, '5')]);
    expect(r).toEqual({ ok: true, changes: [{ name: 'log.retention.ms', value: null }, { name: 'message.max.bytes', value: '5' }] });
  });

  it('appends to the default of a LIST key without duplicates, and subtracts from the current value', () => {
    const appended = applyBrokerConfigOps(new Map(), [op('log.cleanup.policy', AlterConfigOp.APPEND, 'compact,delete')]);
    expect(appended).toEqual({ ok: true, changes: [{ name: 'log.cleanup.policy', value: 'delete,compact' }] });
    const subtracted = applyBrokerConfigOps(new Map([['log.cleanup.policy', 'delete,compact']]), [op('log.cleanup.policy', AlterConfigOp.SUBTRACT, 'delete')]);
    expect(subtracted).toEqual({ ok: true, changes: [{ name: 'log.cleanup.policy', value: 'compact' }] });
  });

  it("refuses APPEND/SUBTRACT on other keys with Kafka's INVALID_CONFIG messages, and unknown operations", () => {
    expect(applyBrokerConfigOps(new Map(), [op('message.max.bytes', AlterConfigOp.APPEND, '1')])).toEqual({
      ok: false,
      errorCode: ErrorCode.InvalidConfig,
      errorMessage: 'Config value append is not allowed for config key: message.max.bytes',
    });
    expect(applyBrokerConfigOps(new Map(), [op('no.such', AlterConfigOp.SUBTRACT, '1')])).toMatchObject({ ok: false, errorCode: ErrorCode.InvalidConfig, errorMessage: 'Unknown config name: no.such' });
    expect(applyBrokerConfigOps(new Map(), [op('x', 7, '1')])).toMatchObject({ ok: false, errorCode: ErrorCode.InvalidRequest });
  });
});

describe('DynamicConfigStore', () => {
  it('applies changes, tells listeners, and replays them over the static config on reopen', async () => {
    const mem = new MemoryStateLogStore();
    const store = await open(mem);
    const heard: number[] = [];
    store.onChange((c) => heard.push(resolveTopicConfig({}, c).retentionMs));
    expect((await store.alter([{ name: 'log.retention.ms', value: '1000' }], { perBroker: false }, false)).ok).toBe(true);
    expect((await store.alter([{ name: 'log.segment.bytes', value: '2000000' }], { perBroker: true }, false)).ok).toBe(true);
    expect(heard).toEqual([1000, 1000]);
    expect(resolveTopicConfig({}, store.current).segmentBytes).toBe(2000000);
    await store.close();

    const reopened = await open(mem, base({ 'num.partitions': '4' }));
    expect(resolveTopicConfig({}, reopened.current)).toMatchObject({ retentionMs: 1000, segmentBytes: 2000000 });
    expect(reopened.current.config.numPartitions).toBe(4);
    expect(Object.fromEntries(reopened.layer({ perBroker: false }))).toEqual({ 'log.retention.ms': '1000' });
    expect(Object.fromEntries(reopened.layer({ perBroker: true }))).toEqual({ 'log.segment.bytes': '2000000' });
    await reopened.close();
  });

  it('validateOnly and refused changes leave everything as it was', async () => {
    const mem = new MemoryStateLogStore();
    const store = await open(mem);
    expect((await store.alter([{ name: 'log.retention.ms', value: '1000' }], { perBroker: false }, true)).ok).toBe(true);
    const refused = await store.alter([{ name: 'num.partitions', value: '3' }], { perBroker: false }, false);
    expect(refused).toMatchObject({ ok: false, errorCode: ErrorCode.InvalidRequest });
    const perBrokerOnly = await store.alter([{ name: 'listeners', value: 'PLAINTEXT://:1' }], { perBroker: false }, false);
    expect(perBrokerOnly).toMatchObject({ ok: false, errorCode: ErrorCode.InvalidRequest });
    expect(store.layer({ perBroker: false }).size).toBe(0);
    await store.close();
    const reopened = await open(mem);
    expect(reopened.layer({ perBroker: false }).size).toBe(0);
    await reopened.close();
  });

  it('replace() makes the given configs the whole layer', async () => {
    const store = await open(new MemoryStateLogStore());
    await store.alter([{ name: 'log.retention.ms', value: '1000' }, { name: 'message.max.bytes', value: '5000' }], { perBroker: false }, false);
    await store.replace(new Map([['message.max.bytes', '6000']]), { perBroker: false }, false);
    expect(Object.fromEntries(store.layer({ perBroker: false }))).toEqual({ 'message.max.bytes': '6000' });
    await store.close();
  });

  it('keeps only the latest state through snapshots', async () => {
    const mem = new MemoryStateLogStore();
    const store = await open(mem);
    for (let i = 1; i <= 230; i++) await store.alter([{ name: 'message.max.bytes', value: String(1000 + i) }], { perBroker: false }, false);
    await store.close();
    const reopened = await open(mem);
    expect(reopened.current.config.messageMaxBytes).toBe(1230);
    await reopened.close();
  });

  it('drops a stored value that no longer validates, with a warning, and keeps the rest', async () => {
    const mem = new MemoryStateLogStore();
    const log = await openStateLog(mem, { name: 'dynamic-config' });
    for await (const _ of log.replay());
    await log.append({ dynamicDefault: [['num.partitions', '9'], ['log.retention.ms', '1000']], dynamicBroker: [] });
    await log.close();
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, new Writable({ write: (c: Buffer, _e, done) => {
      lines.push(c.toString());
      done();
    } }));
    const store = await open(mem, base(), logger);
    expect(store.current.config.numPartitions).toBe(1);
    expect(resolveTopicConfig({}, store.current).retentionMs).toBe(1000);
    expect(lines.join('')).toContain('num.partitions');
    await store.close();
  });

  it('a damaged snapshot on disk does not stop the open: the last change after it is in force, and the loss is reported', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gregor-dynconf-'));
    try {
      const openOn = async (logger = pino({ level: 'silent' })) =>
        DynamicConfigStore.open({ stateLog: await openStateLog(dir, { name: 'dynamic-config', logger }), base: base(), logger });
      let store = await openOn();
      // 100 changes write a snapshot; one more goes into the log after it.
      for (let i = 1; i <= 100; i++) await store.alter([{ name: 'message.max.bytes', value: String(2000 + i) }], { perBroker: false }, false);
      await store.alter([{ name: 'log.retention.ms', value: '5000' }], { perBroker: true }, false);
      await store.close();
      const snapshot = join(dir, 'dynamic-config-00000000000000000001.snapshot');
      const bytes = await readFile(snapshot);
      bytes[10] ^= 0xff;
      await writeFile(snapshot, bytes);

      const lines: string[] = [];
      const logger = pino({ level: 'warn' }, new Writable({ write: (c: Buffer, _e, done) => {
      lines.push(c.toString());
      done();
    } }));
      store = await openOn(logger);
      // The record after the snapshot holds the whole dynamic state as of its change.
      expect(store.current.config.messageMaxBytes).toBe(2100);
      expect(resolveTopicConfig({}, store.current).retentionMs).toBe(5000);
      const text = lines.join('');
      expect(text).toContain(`snapshot ${snapshot} has a frame failing its CRC`);
      expect(text).toContain('dynamic broker configs: the state log lost its snapshot; the last change recorded after it is in force (message.max.bytes, log.retention.ms)');
      expect(await readdir(dir)).toContain('dynamic-config-00000000000000000001.snapshot.damaged-0');
      await store.close();

      // Written down again: the next open is quiet and sees the same values.
      lines.length = 0;
      store = await openOn(logger);
      expect(lines).toEqual([]);
      expect(store.current.config.messageMaxBytes).toBe(2100);
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
