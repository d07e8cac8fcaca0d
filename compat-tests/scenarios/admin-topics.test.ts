/**
 * Topic administration with each admin client: create a topic with 4 partitions and a config
 * override, see it in the client's own metadata and in the broker with the override; creating it
 * again is refused with TOPIC_ALREADY_EXISTS as the client reports it; delete it and it is gone.
 */
import { CLIENTS } from '../clients/index.js';
import { notApplicable, Recorder } from '../lib/results.js';
import { unsupportedReason, useBroker } from '../lib/scenario.js';
import { ClientError } from '../lib/types.js';

const rec = new Recorder('admin-topics');
const broker = useBroker();

test.each(CLIENTS.map((c) => [c.name, c] as const))('%s creates and deletes a topic', (_name, client) =>
  rec.run(client.name, '', async () => {
    const reason = await unsupportedReason(client, { kind: 'admin' });
    if (reason) return notApplicable(reason);
    const b = broker();
    const name = `admin-${client.name}`;
    await client.createTopic(b.bootstrap, { name, partitions: 4, configs: { 'retention.ms': '3600000' } });
    const topic = b.broker.services.metadata.topic(name);
    expect(topic?.partitions).toBe(4);
    expect(topic?.overrides.get('retention.ms')).toBe('3600000');
    const md = await client.metadata(b.bootstrap, [name]);
    expect(md.topics.find((t) => t.name === name)?.partitions.length).toBe(4);

    const again = await client.createTopic(b.bootstrap, { name, partitions: 4 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(again).toBeInstanceOf(ClientError);
    expect((again as ClientError).code).toBe(36); // TOPIC_ALREADY_EXISTS

    await client.deleteTopic(b.bootstrap, name);
    expect(b.broker.services.metadata.topic(name)).toBeUndefined();
    const all = await client.metadata(b.bootstrap, []);
    expect(all.topics.map((t) => t.name)).not.toContain(name);
    return `created with 4 partitions and retention.ms, duplicate refused (${(again as ClientError).errorName}), deleted`;
  }),
);
