/**
 * Broker configuration resolution: Kafka's defaults, precedence of flags / GREGOR_* env / file /
 * defaults, Kafka's derived values, validation messages and Kafka's own server.properties.
 */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import {
  BrokerConfigError,
  configFromEnv,
  envVarName,
  loadBrokerConfig,
  resolveBrokerConfig,
  type BrokerConfigSources,
  type ResolvedBrokerConfig,
} from '../../src/config/broker-config.js';
import { ConfigSource } from '../../src/config/config-def.js';
import { parsePropertyEntries } from '../../src/config/properties.js';
import { resolveTopicConfig, type EffectiveTopicConfig } from '../../src/config/topic-config.js';
import type { Logger } from '../../src/util/logger.js';


/** What the broker does with the log.* keys: they are the defaults of a topic without overrides. */
const topicDefaults = (r: ResolvedBrokerConfig): EffectiveTopicConfig => resolveTopicConfig({}, r);

// import.meta.dirname arrived in Node 20.11; the package runs on any Node 20.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
const fixtures = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, 'fixtures');

function capturingLogger(): { logger: Logger; lines: { msg: string; key?: string }[] } {
  const lines: { msg: string; key?: string }[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as { msg: string; key?: string }) });
  return { logger, lines };
}

function errorOf(sources: BrokerConfigSources): BrokerConfigError {
  try {
    resolveBrokerConfig(sources);
  } catch (e) {
    if (e instanceof BrokerConfigError) return e;
    throw e;
  }
  throw new Error('expected a BrokerConfigError');
}

const entry = (r: ResolvedBrokerConfig, k: string) => r.entries.get(k)!;
describe('connection limits', () => {
  it('read the connection limits, -1 meaning none', () => {
    expect(resolveBrokerConfig({}).config).toMatchObject({ queuedMaxRequestBytes: 268_435_456, connectionsMaxIdleMs: 600_000, socketRequestReceiveTimeoutMs: 30_000 });
    const off = resolveBrokerConfig({
      flags: { 'socket.request.max.bytes': 500_000_000, 'queued.max.request.bytes': -1, 'connections.max.idle.ms': -1, 'socket.request.receive.timeout.ms': -1 },
    });
    expect(off.config).toMatchObject({ queuedMaxRequestBytes: -1, connectionsMaxIdleMs: -1, socketRequestReceiveTimeoutMs: -1 });
  });
});

describe('defaults', () => {
  it('resolve with nothing given', () => {
    const resolved = resolveBrokerConfig();
    const { config, entries, ignored } = resolved;
    expect(ignored).toEqual([]);
    expect(config).toMatchObject({
      nodeId: 1,
      clusterId: null,
      listeners: [{ name: 'PLAINTEXT', host: '', port: 9092, securityProtocol: 'PLAINTEXT' }],
      advertisedListeners: [{ name: 'PLAINTEXT', host: '', port: 9092, securityProtocol: 'PLAINTEXT' }],
      logDirs: ['./data'],
      numPartitions: 1,
      defaultReplicationFactor: 1,
      autoCreateTopicsEnable: true,
      deleteTopicEnable: true,
      messageMaxBytes: 1048588,
      offsetsRetentionMs: 7 * 24 * 3600 * 1000,
      groupInitialRebalanceDelayMs: 3000,
    });
    expect(topicDefaults(resolved)).toMatchObject({
      maxMessageBytes: 1048588,
      retentionMs: 604800000,
      retentionBytes: -1,
      segmentMs: 604800000,
      segmentJitterMs: 0,
      segmentBytes: 1073741824,
      flushMessages: Number.MAX_SAFE_INTEGER,
      flushMs: Number.MAX_SAFE_INTEGER,
      cleanupPolicy: ['delete'],
      messageTimestampType: 'CreateTime',
      compressionType: 'producer',
    });
    for (const e of entries.values()) expect(e.source).toBe(ConfigSource.DEFAULT_CONFIG);
    expect(entry(resolveBrokerConfig(), 'log.retention.ms').value).toBeNull();
  });
});

describe('precedence', () => {
  const file = { 'num.partitions': '2', 'log.dirs': '/from/file', 'log.retention.hours': '10' };

  it('file over defaults', () => {
    const r = resolveBrokerConfig({ file, filePath: 'server.properties' });
    expect(r.config.numPartitions).toBe(2);
    expect(entry(r, 'num.partitions')).toMatchObject({ value: '2', source: ConfigSource.STATIC_BROKER_CONFIG, origin: 'file', where: 'server.properties' });
    expect(entry(r, 'default.replication.factor').source).toBe(ConfigSource.DEFAULT_CONFIG);
  });

  it('GREGOR_* environment over file', () => {
    const r = resolveBrokerConfig({ file, env: { GREGOR_NUM_PARTITIONS: '3', GREGOR_LOG_DIRS: '/from/env', PATH: '/bin' } });
    expect(r.config.numPartitions).toBe(3);
    expect(r.config.logDirs).toEqual(['/from/env']);
    expect(entry(r, 'log.dirs')).toMatchObject({ origin: 'env', where: 'GREGOR_LOG_DIRS', source: ConfigSource.STATIC_BROKER_CONFIG });
    expect(topicDefaults(r).retentionMs).toBe(10 * 3600_000);
  });

  it('flags over environment', () => {
    const r = resolveBrokerConfig({ file, env: { GREGOR_NUM_PARTITIONS: '3' }, flags: { 'num.partitions': 4, 'auto.create.topics.enable': false, 'log.dirs': ['/a', '/b'], 'log.retention.hours': undefined } });
    expect(r.config.numPartitions).toBe(4);
    expect(r.config.autoCreateTopicsEnable).toBe(false);
    expect(r.config.logDirs).toEqual(['/a', '/b']);
    expect(entry(r, 'num.partitions')).toMatchObject({ origin: 'flag', source: ConfigSource.STATIC_BROKER_CONFIG });
    expect(topicDefaults(r).retentionMs).toBe(10 * 3600_000); // undefined flags do not override
  });

  it('dynamic cluster default over static, dynamic broker over both', () => {
    const r = resolveBrokerConfig({ file: { 'log.retention.ms': '1000' }, dynamicDefault: { 'log.retention.ms': '2000' } });
    expect(topicDefaults(r).retentionMs).toBe(2000);
    expect(entry(r, 'log.retention.ms').source).toBe(ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
    const r2 = resolveBrokerConfig({ file: { 'log.retention.ms': '1000' }, dynamicDefault: { 'log.retention.ms': '2000' }, dynamicBroker: { 'log.retention.ms': '3000' } });
    expect(topicDefaults(r2).retentionMs).toBe(3000);
    expect(entry(r2, 'log.retention.ms').source).toBe(ConfigSource.DYNAMIC_BROKER_CONFIG);
  });

  it('maps keys to environment variable names', () => {
    expect(envVarName('log.dirs')).toBe('GREGOR_LOG_DIRS');
    expect(envVarName('log.retention.check.interval.ms')).toBe('GREGOR_LOG_RETENTION_CHECK_INTERVAL_MS');
    expect(envVarName('some-key.x')).toBe('GREGOR_SOME_KEY_X');
  });

  it('reads only GREGOR_ variables that name a known key', () => {
    const env = configFromEnv({ GREGOR_LOG_DIRS: '/x', KAFKA_LOG_DIRS: '/y', LOG_DIRS: '/z', GREGOR_NOT_A_KEY: '1' });
    expect([...env.keys()]).toEqual(['log.dirs']);
  });
});

describe('derived values', () => {
  const fromFile = (file: Record<string, string>): EffectiveTopicConfig => topicDefaults(resolveBrokerConfig({ file }));
  const ms = (file: Record<string, string>): number => fromFile(file).retentionMs;

  it('log.retention.ms <- log.retention.minutes <- log.retention.hours', () => {
    expect(ms({ 'log.retention.hours': '1' })).toBe(3_600_000);
    expect(ms({ 'log.retention.hours': '1', 'log.retention.minutes': '2' })).toBe(120_000);
    expect(ms({ 'log.retention.hours': '1', 'log.retention.minutes': '2', 'log.retention.ms': '3' })).toBe(3);
    expect(ms({ 'log.retention.ms': '-1' })).toBe(-1);
    expect(ms({ 'log.retention.hours': '-5' })).toBe(-1); // any negative result means forever
  });

  it('log.roll.ms <- log.roll.hours, log.roll.jitter.ms <- log.roll.jitter.hours', () => {
    expect(fromFile({ 'log.roll.hours': '2' }).segmentMs).toBe(7_200_000);
    expect(fromFile({ 'log.roll.hours': '2', 'log.roll.ms': '5' }).segmentMs).toBe(5);
    expect(fromFile({ 'log.roll.jitter.hours': '1' }).segmentJitterMs).toBe(3_600_000);
  });

  it('log.flush.interval.ms <- log.flush.scheduler.interval.ms', () => {
    expect(fromFile({ 'log.flush.scheduler.interval.ms': '500' }).flushMs).toBe(500);
    expect(fromFile({ 'log.flush.scheduler.interval.ms': '500', 'log.flush.interval.ms': '7' }).flushMs).toBe(7);
  });

  it('log.dirs <- log.dir', () => {
    expect(resolveBrokerConfig({ file: { 'log.dir': '/single' } }).config.logDirs).toEqual(['/single']);
    expect(resolveBrokerConfig({ file: { 'log.dir': '/single', 'log.dirs': '/a, /b' } }).config.logDirs).toEqual(['/a', '/b']);
  });

  it('node.id and broker.id are synonyms', () => {
    const fromNode = resolveBrokerConfig({ file: { 'node.id': '5' } });
    expect(fromNode.config.nodeId).toBe(5);
    expect(entry(fromNode, 'broker.id')).toMatchObject({ value: '5', source: ConfigSource.STATIC_BROKER_CONFIG, origin: 'derived' });
    const fromBroker = resolveBrokerConfig({ file: { 'broker.id': '0' } });
    expect(fromBroker.config.nodeId).toBe(0);
    expect(entry(fromBroker, 'node.id')).toMatchObject({ value: '0', origin: 'derived' });
    expect(resolveBrokerConfig({ file: { 'broker.id': '2', 'node.id': '2' } }).config.nodeId).toBe(2);
    expect(errorOf({ file: { 'broker.id': '2', 'node.id': '3' } }).message).toBe(
      'Invalid value 2 for configuration broker.id: broker.id and node.id are synonyms and must be equal; node.id is 3 (set by config file)',
    );
  });

  it('advertised.listeners <- listeners, without controller listeners', () => {
    const r = resolveBrokerConfig({ file: { listeners: 'PLAINTEXT://:9092,CONTROLLER://:9093', 'controller.listener.names': 'CONTROLLER' } });
    expect(r.config.listeners.map((l) => l.name)).toEqual(['PLAINTEXT', 'CONTROLLER']);
    expect(r.config.listeners[1].securityProtocol).toBe('PLAINTEXT'); // default map + KRaft: controllers speak PLAINTEXT
    expect(r.config.advertisedListeners).toEqual([{ name: 'PLAINTEXT', host: '', port: 9092, securityProtocol: 'PLAINTEXT' }]);
    expect(r.config.controllerListenerNames).toEqual(['CONTROLLER']);
  });

  it('offsets.retention.minutes in ms', () => {
    expect(resolveBrokerConfig({ flags: { 'offsets.retention.minutes': 1 } }).config.offsetsRetentionMs).toBe(60_000);
  });
});

describe("Kafka's server.properties", () => {
  it('loads the KRaft file with nothing ignored', async () => {
    const { logger, lines } = capturingLogger();
    const r = await loadBrokerConfig({ configFile: join(fixtures, 'kraft-server.properties'), logger });
    expect(r.ignored).toEqual([]);
    expect(lines.filter((l) => l.msg.startsWith('ignoring'))).toEqual([]);
    expect(r.config).toMatchObject({
      nodeId: 1,
      logDirs: ['/tmp/kraft-combined-logs'],
      advertisedListeners: [{ name: 'PLAINTEXT', host: 'localhost', port: 9092, securityProtocol: 'PLAINTEXT' }],
    });
    expect(entry(r, 'process.roles').value).toBe('broker,controller');
    expect(entry(r, 'offsets.topic.replication.factor').value).toBe('1');
    expect(entry(r, 'log.retention.hours').where).toMatch(/kraft-server\.properties:\d+$/);
  });

  it('loads the ZooKeeper-era file, keeping and logging unknown keys', async () => {
    const { logger, lines } = capturingLogger();
    const r = await loadBrokerConfig({ configFile: join(fixtures, 'zk-server.properties'), logger });
    expect(r.config.nodeId).toBe(0);
    expect(r.config.autoCreateTopicsEnable).toBe(false);
    expect(r.config.groupInitialRebalanceDelayMs).toBe(0);
    expect(r.ignored.map((i) => i.name)).toEqual(['confluent.support.metrics.enable', 'confluent.support.customer.id']);
    expect(entry(r, 'confluent.support.customer.id')).toMatchObject({ value: 'anonymous', source: ConfigSource.STATIC_BROKER_CONFIG });
    expect(lines.filter((l) => l.msg.startsWith('ignoring')).map((l) => l.key)).toEqual(['confluent.support.metrics.enable', 'confluent.support.customer.id']);
  });

  it('warns about an unknown key with the known key nearest to it', () => {
    const { logger, lines } = capturingLogger();
    const text = 'num.partition=3\nlog.retention.hour=24\nmy.own.setting=x\n';
    const r = resolveBrokerConfig({ file: parsePropertyEntries(text), filePath: 'server.properties', logger });
    expect(r.config.numPartitions).toBe(1);
    const warnings = (lines as { level?: number; msg: string }[]).filter((l) => l.level === 40).map((l) => l.msg);
    expect(warnings).toEqual([
      'ignoring unknown configuration key num.partition (server.properties:1); did you mean num.partitions?',
      'ignoring unknown configuration key log.retention.hour (server.properties:2); did you mean log.retention.hours?',
      'ignoring unknown configuration key my.own.setting (server.properties:3)',
    ]);
  });

  it('warns about a GREGOR_ variable one typo from a key, and leaves other GREGOR_ variables alone', () => {
    const { logger, lines } = capturingLogger();
    resolveBrokerConfig({ env: { GREGOR_NUM_PARTITION: '3', GREGOR_BENCH_NODE_FLAGS: '--x' }, logger });
    const warnings = (lines as { level?: number; msg: string }[]).filter((l) => l.level === 40).map((l) => l.msg);
    expect(warnings).toEqual(['environment variable GREGOR_NUM_PARTITION names no configuration key; did you mean GREGOR_NUM_PARTITIONS?']);
  });

  it('reports file and line in errors', () => {
    const text = '# comment\nnum.partitions=0\nmessage.max.bytes=big\n';
    const e = errorOf({ file: parsePropertyEntries(text), filePath: 'server.properties' });
    expect(e.problems).toEqual([
      { key: 'message.max.bytes', message: 'Invalid value big for configuration message.max.bytes: Not a number of type INT', where: 'server.properties:3' },
      { key: 'num.partitions', message: 'Invalid value 0 for configuration num.partitions: Value must be at least 1', where: 'server.properties:2' },
    ]);
    expect(e.message).toBe(
      '2 configuration errors:\n' +
        '  - Invalid value big for configuration message.max.bytes: Not a number of type INT (set by server.properties:3)\n' +
        '  - Invalid value 0 for configuration num.partitions: Value must be at least 1 (set by server.properties:2)',
    );
  });
});

describe('validation messages name the key', () => {
  const one = (sources: BrokerConfigSources): string => {
    const e = errorOf(sources);
    expect(e.problems).toHaveLength(1);
    return e.problems[0].message;
  };

  it.each([
    [{ 'auto.create.topics.enable': 'yes' }, 'Invalid value yes for configuration auto.create.topics.enable: Expected value to be either true or false'],
    [{ 'log.segment.bytes': '13' }, 'Invalid value 13 for configuration log.segment.bytes: Value must be at least 14'],
    [{ 'log.cleanup.policy': 'delete,archive' }, 'Invalid value archive for configuration log.cleanup.policy: String must be one of: compact, delete'],
    [{ 'compression.type': 'brotli' }, 'Invalid value brotli for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer'],
    [{ 'log.message.timestamp.type': 'createtime' }, 'Invalid value createtime for configuration log.message.timestamp.type: String must be one of: CreateTime, LogAppendTime'],
    [{ 'process.roles': 'broker,witness' }, 'Invalid value witness for configuration process.roles: String must be one of: broker, controller'],
    [{ 'offsets.topic.replication.factor': '40000' }, 'Invalid value 40000 for configuration offsets.topic.replication.factor: Not a number of type SHORT'],
    [{ 'log.cleaner.min.cleanable.ratio': '1.5' }, 'Invalid value 1.5 for configuration log.cleaner.min.cleanable.ratio: Value must be no more than 1'],
    [{ 'log.cleaner.event.loop.share': '0' }, 'Invalid value 0.0 for configuration log.cleaner.event.loop.share: Value must be above 0 and no more than 1'],
    [{ 'log.cleaner.event.loop.share': '1.5' }, 'Invalid value 1.5 for configuration log.cleaner.event.loop.share: Value must be above 0 and no more than 1'],
    [{ 'compression.gzip.level': '0' }, 'Invalid value 0 for configuration compression.gzip.level: Value must be between 1 and 9 or equal to -1'],
    [{ listeners: 'PLAINTEXT:9092' }, 'Invalid value PLAINTEXT:9092 for configuration listeners: Unable to parse PLAINTEXT:9092 to a broker endpoint'],
    [{ listeners: 'INTERNAL://:9092' }, 'Invalid value INTERNAL://:9092 for configuration listeners: No security protocol defined for listener INTERNAL'],
    [{ listeners: 'PLAINTEXT://:9092,PLAINTEXT://:9093' }, 'Invalid value PLAINTEXT://:9092,PLAINTEXT://:9093 for configuration listeners: Each listener must have a different name, listeners: PLAINTEXT://:9092,PLAINTEXT://:9093'],
    [{ listeners: 'PLAINTEXT://:9092,SSL://:9092' }, 'Invalid value PLAINTEXT://:9092,SSL://:9092 for configuration listeners: Each listener must have a different port, listeners: PLAINTEXT://:9092,SSL://:9092'],
    [{ listeners: 'PLAINTEXT://:70000' }, 'Invalid value PLAINTEXT://:70000 for configuration listeners: Port 70000 of listener PLAINTEXT is not in [0, 65535]'],
    [{ 'advertised.listeners': 'PLAINTEXT://0.0.0.0:9092' }, 'advertised.listeners cannot use the nonroutable meta-address 0.0.0.0. Use a routable IP address.'],
    [
      { 'advertised.listeners': 'SSL://host:9093' },
      'advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. Found SSL. The valid options based on the current configuration are PLAINTEXT',
    ],
    [{ 'listener.security.protocol.map': 'PLAINTEXT:PLAIN' }, 'Invalid security protocol `PLAIN` defined in listener.security.protocol.map'],
    [{ 'listener.security.protocol.map': 'PLAINTEXT' }, "Error parsing configuration property 'listener.security.protocol.map': 'PLAINTEXT' is not a NAME:PROTOCOL pair"],
    [{ 'inter.broker.listener.name': 'PLAINTEXT', 'security.inter.broker.protocol': 'PLAINTEXT' }, 'Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.'],
    [{ 'inter.broker.listener.name': 'REPLICATION' }, 'inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are PLAINTEXT'],
    [{ 'log.dirs': ' , ' }, 'Invalid value , for configuration log.dirs: At least one log directory must be defined via log.dirs or log.dir.'],
    [{ 'log.dirs': '/a,/a' }, 'Invalid value /a,/a for configuration log.dirs: Duplicate log directories are not allowed'],
    [
      { 'socket.request.max.bytes': '500000000' },
      'Invalid value 268435456 for configuration queued.max.request.bytes: queued.max.request.bytes must be larger or equal to socket.request.max.bytes (500000000), or -1 for no limit',
    ],
  ])('%j', (file, message) => {
    expect(one({ file: file })).toBe(message);
  });

  it('allows several port-0 listeners (tests) and IPv6 hosts', () => {
    const r = resolveBrokerConfig({ flags: { listeners: 'PLAINTEXT://[::1]:0,SSL://127.0.0.1:0' } });
    expect(r.config.listeners).toEqual([
      { name: 'PLAINTEXT', host: '::1', port: 0, securityProtocol: 'PLAINTEXT' },
      { name: 'SSL', host: '127.0.0.1', port: 0, securityProtocol: 'SSL' },
    ]);
  });
});

describe('loadBrokerConfig', () => {
  it('reads a file and applies env and flags on top', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gregor-broker-config-'));
    const path = join(dir, 'server.properties');
    writeFileSync(path, 'num.partitions = 3\nlog.dirs : /data/a\\\n  ,/data/b\n');
    const r = await loadBrokerConfig({ configFile: path, env: { GREGOR_NUM_PARTITIONS: '4' }, flags: { 'default.replication.factor': '1' } });
    expect(r.config.numPartitions).toBe(4);
    expect(r.config.logDirs).toEqual(['/data/a', '/data/b']);
    expect(entry(r, 'log.dirs').where).toBe(`${path}:2`);
    rmSync(dir, { recursive: true, force: true });
  });

  it('works without a file', async () => {
    expect((await loadBrokerConfig({})).config.nodeId).toBe(1);
  });
});
