/**
 * `gregor topics` against an in-process broker: what kafka-topics prints for the same commands, exit
 * codes, usage mistakes and an unreachable broker. The command runs in-process; one test runs the
 * bin as a child process, as a user does.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Broker } from '../../src/broker.js';
import { Admin } from '../../src/client/admin.js';
import { kafkaUuid } from '../../src/cli/message-format.js';
import { startBroker } from '../helpers/kafka.js';
import { ApiKey } from '../../src/protocol/generated/api-table.js';
import { DEFAULT_REACH_TIMEOUT_MS } from '../../src/cli/tool-support.js';
import { RecordingProxy, buildCli, freePort, removeCli, runCli, runCommand } from './helpers.js';

let broker: Broker;
let bs: string[];
let scratch: string;

beforeAll(async () => {
  await buildCli();
  broker = await startBroker({ config: { 'num.partitions': 1 } });
  bs = ['--bootstrap-server', broker.bootstrap];
  scratch = mkdtempSync(join(tmpdir(), 'gregor-topics-'));
}, 30_000);

afterAll(async () => {
  await broker.stop();
  removeCli();
  rmSync(scratch, { recursive: true, force: true });
});

async function topicId(name: string): Promise<string> {
  const admin = new Admin({ bootstrapServers: broker.bootstrap });
  try {
    const t = (await admin.listTopics()).find((x) => x.name === name);
    return kafkaUuid(t!.topicId);
  } finally {
    await admin.close();
  }
}

describe('gregor topics', () => {
  it('creates a topic and says so as kafka-topics does (the bin, as a child process)', async () => {
    const r = await runCli(['topics', ...bs, '--create', '--topic', 'quickstart-events']);
    expect(r).toMatchObject({ code: 0, stdout: 'Created topic quickstart-events.\n', stderr: '' });
  });

  it('warns about a period or underscore in a name, then creates it', async () => {
    const r = await runCommand(['topics', ...bs, '--create', '--topic', 'my_topic', '--partitions', '2', '--replication-factor', '1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.\n" +
        'Created topic my_topic.\n',
    );
  });

  it('reports an existing topic as an error, unless --if-not-exists', async () => {
    await runCommand(['topics', ...bs, '--create', '--topic', 'twice']);
    const again = await runCommand(['topics', ...bs, '--create', '--topic', 'twice']);
    expect(again).toMatchObject({ code: 1, stdout: "Error while executing topic command : Topic 'twice' already exists.\n" });
    const quiet = await runCommand(['topics', ...bs, '--create', '--topic', 'twice', '--if-not-exists']);
    expect(quiet).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('rejects bad partition counts and replication factors with kafka-topics messages', async () => {
    const p = await runCommand(['topics', ...bs, '--create', '--topic', 'bad', '--partitions', '0']);
    expect(p).toMatchObject({ code: 1, stderr: 'The partitions must be greater than 0\n' });
    const rf = await runCommand(['topics', ...bs, '--create', '--topic', 'bad', '--replication-factor', '0']);
    expect(rf).toMatchObject({ code: 1, stderr: 'The replication factor must be between 1 and 32767 inclusive\n' });
    const cfg = await runCommand(['topics', ...bs, '--create', '--topic', 'bad', '--config', 'retention.ms']);
    expect(cfg.code).toBe(1);
    expect(cfg.stderr).toContain('Invalid topic config: all configs to be added must be in the format "key=val".');
  });

  it('describes a topic in the exact kafka-topics layout', async () => {
    await runCommand(['topics', ...bs, '--create', '--topic', 'described', '--partitions', '3']);
    const r = await runCommand(['topics', ...bs, '--describe', '--topic', 'described']);
    expect(r.code).toBe(0);
    const id = await topicId('described');
    expect(r.stdout).toBe(
      `Topic: described\tTopicId: ${id}\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: \n` +
        '\tTopic: described\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: \n' +
        '\tTopic: described\tPartition: 1\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: \n' +
        '\tTopic: described\tPartition: 2\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: \n',
    );
    // Kafka's topic ids print as 22 characters of URL-safe base64.
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('describes a topic over several DescribeTopicPartitions pages', async () => {
    await runCommand(['topics', ...bs, '--create', '--topic', 'paged', '--partitions', '5']);
    const r = await runCommand(['topics', ...bs, '--describe', '--topic', 'paged', '--partition-size-limit-per-response', '2']);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('\tTopic: paged\tPartition: ')).map((l) => l.split('\t')[2])).toEqual([
      'Partition: 0',
      'Partition: 1',
      'Partition: 2',
      'Partition: 3',
      'Partition: 4',
    ]);
    expect(r.stdout).toContain('\tPartitionCount: 5\t');
  });

  it('lists overridden configs in the order the Java tool prints them (its HashMap order)', async () => {
    await runCommand([
      'topics',
      ...bs,
      '--create',
      '--topic',
      'configured',
      '--config',
      'segment.bytes=1048576',
      'retention.ms=100000',
      '--config',
      'max.message.bytes=2000000',
      '--config',
      'cleanup.policy = compact',
      '--config',
      'min.insync.replicas=1',
    ]);
    const r = await runCommand(['topics', ...bs, '--describe', '--topic', 'configured']);
    // The order java.util.HashMap iterates these keys in among the topic's 36 config entries,
    // taken from running it on the JVM.
    expect(r.stdout.split('\n')[0]).toMatch(
      /\tConfigs: min\.insync\.replicas=1,cleanup\.policy=compact,segment\.bytes=1048576,retention\.ms=100000,max\.message\.bytes=2000000$/,
    );
    const overrides = await runCommand(['topics', ...bs, '--describe', '--topics-with-overrides']);
    expect(overrides.stdout.split('\n').filter((l) => l.startsWith('Topic: configured'))).toHaveLength(1);
    expect(overrides.stdout).not.toContain('Topic: described');
    expect(overrides.stdout).not.toContain('\tPartition:');
  });

  it('describes several topics in the order of the Java tool', async () => {
    const b = await startBroker();
    try {
      for (const t of ['payments', 'alpha', 'zeta', 'gamma', 'orders', 'beta']) {
        await runCommand(['topics', '--bootstrap-server', b.bootstrap, '--create', '--topic', t]);
      }
      const r = await runCommand(['topics', '--bootstrap-server', b.bootstrap, '--describe']);
      const order = r.stdout
        .split('\n')
        .filter((l) => l.startsWith('Topic: '))
        .map((l) => l.split('\t')[0].slice('Topic: '.length));
      // TopicCommand walks a HashMap of descriptions; this is that map's order on the JVM.
      expect(order).toEqual(['zeta', 'orders', 'beta', 'gamma', 'alpha', 'payments']);
      const list = await runCommand(['topics', '--bootstrap-server', b.bootstrap, '--list']);
      expect(list.stdout).toBe('alpha\nbeta\ngamma\norders\npayments\nzeta\n');
      const filtered = await runCommand(['topics', '--bootstrap-server', b.bootstrap, '--list', '--topic', 'a.*,zeta']);
      expect(filtered.stdout).toBe('alpha\nzeta\n');
    } finally {
      await b.stop();
    }
  });

  it('prints an empty line when there is no topic to list, as kafka-topics does', async () => {
    const b = await startBroker();
    try {
      expect(await runCommand(['topics', '--bootstrap-server', b.bootstrap, '--list'])).toMatchObject({ code: 0, stdout: '\n' });
      expect(await runCommand(['topics', '--bootstrap-server', b.bootstrap, '--describe'])).toMatchObject({ code: 0, stdout: '' });
    } finally {
      await b.stop();
    }
  });

  it('fails on a topic that does not exist, unless --if-exists', async () => {
    const r = await runCommand(['topics', ...bs, '--describe', '--topic', 'missing']);
    expect(r).toMatchObject({ code: 1, stdout: '', stderr: "Topic 'missing' does not exist as expected\n" });
    expect(await runCommand(['topics', ...bs, '--describe', '--topic', 'missing', '--if-exists'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect((await runCommand(['topics', ...bs, '--delete', '--topic', 'missing'])).code).toBe(1);
    expect(await runCommand(['topics', ...bs, '--delete', '--topic', 'missing', '--if-exists'])).toMatchObject({ code: 0, stdout: '' });
    expect((await runCommand(['topics', ...bs, '--alter', '--topic', 'missing', '--partitions', '2'])).code).toBe(1);
  });

  it('adds partitions with --alter and refuses to remove them', async () => {
    await runCommand(['topics', ...bs, '--create', '--topic', 'growing']);
    expect(await runCommand(['topics', ...bs, '--alter', '--topic', 'growing', '--partitions', '4'])).toMatchObject({ code: 0, stdout: '' });
    const d = await runCommand(['topics', ...bs, '--describe', '--topic', 'growing']);
    expect(d.stdout).toContain('\tPartitionCount: 4\t');
    expect(d.stdout.split('\n').filter((l) => l.startsWith('\tTopic: growing\tPartition: '))).toHaveLength(4);
    const down = await runCommand(['topics', ...bs, '--alter', '--topic', 'growing', '--partitions', '2']);
    expect(down).toMatchObject({ code: 1, stdout: 'Error while executing topic command : Topic currently has 4 partitions, which is higher than the requested 2.\n' });
  });

  it('deletes topics matching --topic', async () => {
    await runCommand(['topics', ...bs, '--create', '--topic', 'doomed-1']);
    await runCommand(['topics', ...bs, '--create', '--topic', 'doomed-2']);
    expect(await runCommand(['topics', ...bs, '--delete', '--topic', 'doomed-.*'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const list = await runCommand(['topics', ...bs, '--list']);
    expect(list.stdout).not.toContain('doomed');
  });

  it('prints the usage and exits 2 on unknown flags, missing flags and conflicting actions', async () => {
    const none = await runCommand(['topics']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: gregor topics');
    const unknown = await runCommand(['topics', ...bs, '--list', '--no-such-flag']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--no-such-flag'");
    expect(unknown.stderr).toContain('Usage: gregor topics');
    const noBootstrap = await runCommand(['topics', '--list']);
    expect(noBootstrap.code).toBe(2);
    expect(noBootstrap.stderr).toContain('missing required option --bootstrap-server');
    const twoActions = await runCommand(['topics', ...bs, '--list', '--describe']);
    expect(twoActions.code).toBe(2);
    expect(twoActions.stderr).toContain('exactly one action');
    const noTopic = await runCommand(['topics', ...bs, '--create']);
    expect(noTopic.code).toBe(2);
    expect(noTopic.stderr).toContain('missing required option --topic');
    const alterNoPartitions = await runCommand(['topics', ...bs, '--alter', '--topic', 'x']);
    expect(alterNoPartitions.code).toBe(2);
    const badBootstrap = await runCommand(['topics', '--bootstrap-server', 'nonsense', '--list']);
    expect(badBootstrap.code).toBe(2);
    const help = await runCommand(['topics', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--bootstrap-server');
  });

  it('talks to the broker as the Java Admin client does', async () => {
    const proxy = new RecordingProxy();
    const proxyPort = await proxy.listen();
    const b = await startBroker({ port: await freePort(), config: { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxyPort}` } });
    proxy.target = b.port;
    try {
      const pbs = ['--bootstrap-server', `127.0.0.1:${proxyPort}`];
      await runCommand(['topics', ...pbs, '--create', '--topic', 'watched', '--config', 'retention.ms=1000']);
      await runCommand(['topics', ...pbs, '--describe', '--topic', 'watched']);
      await runCommand(['topics', ...pbs, '--alter', '--topic', 'watched', '--partitions', '2']);
      await runCommand(['topics', ...pbs, '--delete', '--topic', 'watched']);
      const seen = proxy.requests;
      expect(seen.every((s) => s.clientId === 'adminclient-1')).toBe(true);
      const version = (key: number): number | undefined => seen.find((s) => s.apiKey === key)?.apiVersion;
      expect(version(ApiKey.ApiVersions)).toBe(4);
      expect(version(ApiKey.CreateTopics)).toBe(7);
      // Described with DescribeTopicPartitions, as the Java Admin does where the broker has it.
      expect(version(ApiKey.DescribeTopicPartitions)).toBe(0);
      expect(version(ApiKey.DescribeConfigs)).toBe(4);
      expect(version(ApiKey.CreatePartitions)).toBe(3);
      expect(version(ApiKey.DeleteTopics)).toBe(6);
    } finally {
      await b.stop();
      await proxy.close();
    }
  });

  it('says clearly, within its timeout, that the broker cannot be reached', async () => {
    const port = await freePort();
    const config = join(scratch, 'admin.properties');
    writeFileSync(config, 'default.api.timeout.ms=1500\n');
    const r = await runCommand(['topics', '--bootstrap-server', `127.0.0.1:${port}`, '--list', '--command-config', config]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      `Error while executing topic command : could not connect to 127.0.0.1:${port}: connection refused (is a broker running there?)\n`,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // default.api.timeout.ms bounds the wait, not the tool's own default.
    expect(r.ms).toBeLessThan(DEFAULT_REACH_TIMEOUT_MS);
  });
});
