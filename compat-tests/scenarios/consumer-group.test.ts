/**
 * Consumer groups (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, OffsetCommit, OffsetFetch,
 * LeaveGroup) as each client uses them: a group reads 300 messages of a 3-partition topic from the
 * beginning and commits; after 100 more are produced, a new member of the same group resumes from
 * the committed offsets and gets exactly the 100 new ones.
 */
import { CLIENTS } from '../clients/index.js';
import { createTopicInProcess } from '../lib/broker.js';
import { assertConsumed } from '../lib/messages.js';
import { notApplicable, Recorder } from '../lib/results.js';
import { messagesFor, unsupportedReason, useBroker } from '../lib/scenario.js';

const PARTITIONS = 3;
const rec = new Recorder('consumer-group');
const broker = useBroker();

test.each(CLIENTS.map((c) => [c.name, c] as const))('%s', (_name, client) =>
  rec.run(client.name, '', async () => {
    const reason = await unsupportedReason(client, { kind: 'group' });
    if (reason) return notApplicable(reason);
    const b = broker();
    const topic = `group-${client.name}`;
    const group = `compat-group-${client.name}`;
    await createTopicInProcess(b.broker, topic, PARTITIONS);
    const messages = await messagesFor(client, { count: 400, seed: `group-${client.name}` });
    const first = messages.slice(0, 300);
    const second = messages.slice(300);
    await client.produce(b.bootstrap, topic, first);
    const got1 = await client.consume(b.bootstrap, topic, { count: 300, group, timeoutMs: 45_000 });
    assertConsumed(first, got1, { partitions: PARTITIONS });
    await client.produce(b.bootstrap, topic, second);
    const got2 = await client.consume(b.bootstrap, topic, { count: 100, group, timeoutMs: 45_000 });
    assertConsumed(second, got2, { partitions: PARTITIONS });
    return 'group read 300 from the beginning and committed; a new member resumed with exactly the 100 new ones';
  }),
);
