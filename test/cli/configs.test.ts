/**
 * `gregor configs` in-process against an in-process broker: kafka-configs' describe lines (dynamic
 * only, --all with sources and synonyms, the cluster default), alter with --add-config (brackets
 * for commas), --add-config-file and --delete-config, json output, and its errors.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Broker } from '../../src/broker.js';
import { parseAdditions, runConfigs } from '../../src/cli/configs.js';
import { Admin } from '../../src/client/admin.js';
import { ConfigResourceType } from '../../src/config/config-def.js';
import { startBroker } from '../helpers/kafka.js';
import { runTool } from './in-process.js';

let broker: Broker;
let bs: string[];
let admin: Admin;
let scratch: string;

beforeAll(async () => {
  broker = await startBroker();
  bs = ['--bootstrap-server', broker.bootstrap];
  admin = new Admin({ bootstrapServers: broker.bootstrap });
  await admin.createTopics([{ name: 'orders', numPartitions: 1 }, { name: 'plain', numPartitions: 1 }]);
  scratch = mkdtempSync(join(tmpdir(), 'gregor-configs-'));
}, 30_000);

afterAll(async () => {
  await admin.close();
  await broker.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const run = (...argv: string[]) => runTool(runConfigs, [...bs, ...argv]);

async function topicValue(topic: string, name: string): Promise<string | null | undefined> {
  const [entries] = await admin.describeConfigs([{ type: ConfigResourceType.TOPIC, name: topic }]);
  return entries.find((e) => e.name === name)?.value;
}

describe('gregor configs', () => {
  it('sets topic configs, brackets grouping commas, and says so as kafka-configs does', async () => {
    const r = await run('--entity-type', 'topics', '--entity-name', 'orders', '--alter', '--add-config', 'retention.ms=1000, cleanup.policy=[delete,compact]');
    expect(r).toEqual({ code: 0, stdout: 'Completed updating config for topic orders.\n', stderr: '' });
    expect(await topicValue('orders', 'retention.ms')).toBe('1000');
    expect(await topicValue('orders', 'cleanup.policy')).toBe('delete,compact');
  });

  it('describes only the dynamic configs, sorted, with their synonyms', async () => {
    const r = await run('--topic', 'orders', '--describe');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'Dynamic configs for topic orders are:\n' +
        '  cleanup.policy=delete,compact sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=delete,compact, DEFAULT_CONFIG:log.cleanup.policy=delete}\n' +
        '  retention.ms=1000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1000}\n',
    );
  });

  it('describes every config with --all, defaults with their source', async () => {
    const r = await run('--topic', 'plain', '--describe', '--all');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('All configs for topic plain are:');
    expect(lines).toContain('  segment.bytes=1073741824 sensitive=false synonyms={DEFAULT_CONFIG:log.segment.bytes=1073741824}');
    const names = lines.slice(1, -1).map((l) => l.trim().split('=')[0]);
    expect(names).toEqual([...names].sort());
  });

  it('deletes a config back to its default, and refuses to delete one that is not set', async () => {
    const bad = await run('--topic', 'orders', '--alter', '--delete-config', 'retention.ms,segment.ms');
    expect(bad).toEqual({ code: 1, stdout: '', stderr: 'Invalid config(s): segment.ms\n' });
    expect(await topicValue('orders', 'retention.ms')).toBe('1000');
    const r = await run('--topic', 'orders', '--alter', '--delete-config', 'retention.ms');
    expect(r.code).toBe(0);
    expect(await topicValue('orders', 'retention.ms')).toBe('604800000');
  });

  it('reads configs to add from --add-config-file', async () => {
    const file = join(scratch, 'add.properties');
    writeFileSync(file, '# more\nmax.message.bytes=2048\n');
    expect((await run('--topic', 'plain', '--alter', '--add-config-file', file)).code).toBe(0);
    expect(await topicValue('plain', 'max.message.bytes')).toBe('2048');
  });

  it('changes and describes the cluster-wide broker default', async () => {
    expect((await run('--entity-type', 'brokers', '--entity-default', '--alter', '--add-config', 'log.retention.ms=5000')).stdout).toBe(
      'Completed updating default config for brokers in the cluster.\n',
    );
    expect((await run('--broker-defaults', '--describe')).stdout).toBe(
      'Default configs for brokers in the cluster are:\n  log.retention.ms=5000 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=5000}\n',
    );
    const all = await run('--broker', '1', '--describe', '--all');
    expect(all.stdout.split('\n')[0]).toBe('All configs for broker 1 are:');
    expect(all.stdout).toContain('  log.retention.ms=5000 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=5000, DEFAULT_CONFIG:log.retention.hours=168}\n');
    expect((await run('--broker-defaults', '--alter', '--delete-config', 'log.retention.ms')).code).toBe(0);
  });

  it('prints json for scripts', async () => {
    const r = await run('--topic', 'plain', '--describe', '--format', 'json');
    expect(JSON.parse(r.stdout)).toEqual([
      {
        entityType: 'topics',
        entityName: 'plain',
        configs: [
          {
            name: 'max.message.bytes',
            value: '2048',
            source: 'DYNAMIC_TOPIC_CONFIG',
            isDefault: false,
            isSensitive: false,
            isReadOnly: false,
            synonyms: [
              { name: 'max.message.bytes', value: '2048', source: 'DYNAMIC_TOPIC_CONFIG' },
              { name: 'message.max.bytes', value: '1048588', source: 'DEFAULT_CONFIG' },
            ],
          },
        ],
      },
    ]);
  });

  it('says a missing topic has no dynamic config, and reports the broker refusing a value', async () => {
    expect(await run('--topic', 'nope', '--describe')).toEqual({ code: 0, stdout: "The topic 'nope' doesn't exist and doesn't have dynamic config.\n", stderr: '' });
    const r = await run('--topic', 'orders', '--alter', '--add-config', 'retention.ms=soon');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('INVALID_CONFIG: Invalid value soon for configuration retention.ms');
  });

  it.each([
    [['--topic', 'orders'], 'Command must include exactly one action: --describe, --alter'],
    [['--topic', 'orders', '--alter'], 'At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter'],
    [['--entity-type', 'topics', '--alter', '--add-config', 'a=b'], 'An entity name must be specified with --alter'],
    [['--entity-type', 'users', '--describe'], "entity type 'users' is not supported: Gregor has topic and broker configs only"],
    [['--broker', 'one', '--describe'], 'The entity name for brokers must be a valid integer broker id, found: one'],
    [['--topic', 'orders', '--describe', '--add-config', 'a=b'], '--add-config, --add-config-file and --delete-config can only be used with --alter'],
  ])('%j: usage error, exit 2', async (argv, message) => {
    expect(await run(...argv)).toEqual({ code: 2, stdout: '', stderr: `${message}\n` });
  });
});

describe('parseAdditions', () => {
  it('splits as ConfigCommand does', async () => {
    expect(await parseAdditions('a=1,b=[x,y],c = 3', undefined)).toEqual(
      new Map([
        ['a', '1'],
        ['b', 'x,y'],
        ['c', '3'],
      ]),
    );
    await expect(parseAdditions('a', undefined)).rejects.toThrow('all configs to be added must be in the format "key=val"');
    await expect(parseAdditions('a b=1', undefined)).rejects.toThrow('Invalid character found for config key: a b');
  });
});
