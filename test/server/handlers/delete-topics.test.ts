import { afterEach, describe, expect, it } from '@jest/globals';
import { ApiKey } from '../../../src/protocol/generated/api-table.js';
import { ErrorCode } from '../../../src/protocol/generated/errors.js';
import { defaultDeleteTopicsRequest, type DeleteTopicsRequest } from '../../../src/protocol/generated/messages/delete-topics.js';
import { ZERO_UUID } from '../../../src/protocol/reader.js';
import type { BrokerOptions } from '../../../src/broker.js';
import { startHarness, type AdminHarness } from './admin-harness.js';

let h: AdminHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

async function start(config: BrokerOptions['config'] = {}): Promise<AdminHarness> {
  h = await startHarness({ config });
  return h;
}

async function create(harness: AdminHarness, ...names: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const name of names) {
    const r = await harness.broker.services.metadata.createTopic({ name, numPartitions: 2, replicationFactor: 1, configs: new Map(), validateOnly: false });
    ids.push(r.topic!.topicId);
  }
  return ids;
}

const byNames = (...topicNames: string[]): DeleteTopicsRequest => ({ ...defaultDeleteTopicsRequest(), topicNames, timeoutMs: 5000 });
const byEntries = (...topics: { name?: string | null; topicId?: string }[]): DeleteTopicsRequest => ({
  ...defaultDeleteTopicsRequest(),
  topics: topics.map((t) => ({ name: t.name ?? null, topicId: t.topicId ?? ZERO_UUID, _unknownTaggedFields: undefined })),
  timeoutMs: 5000,
});

describe('DeleteTopics', () => {
  it('deletes topics by name with their logs (v0-5)', async () => {
    const harness = await start();
    await create(harness, 'a', 'b');
    const r = await harness.call(ApiKey.DeleteTopics, 1, byNames('a', 'missing'));
    expect(r.responses.map((x) => [x.name, x.errorCode])).toEqual([
      ['a', 0],
      ['missing', ErrorCode.UnknownTopicOrPartition],
    ]);
    expect(harness.broker.services.metadata.topic('a')).toBeUndefined();
    expect(harness.broker.services.logs.get('a', 0)).toBeUndefined();
    expect(harness.broker.services.metadata.topic('b')).toBeDefined();
  });

  it('gives error messages from v5', async () => {
    const harness = await start();
    const r = await harness.call(ApiKey.DeleteTopics, 5, byNames('missing'));
    expect(r.responses[0]).toMatchObject({ errorCode: ErrorCode.UnknownTopicOrPartition, errorMessage: expect.any(String) });
  });

  it('deletes by topic id in v6, UNKNOWN_TOPIC_ID for an unknown id', async () => {
    const harness = await start();
    const [idA] = await create(harness, 'a', 'b');
    const unknown = '00000000-0000-4000-8000-00000000abcd';
    const r = await harness.call(ApiKey.DeleteTopics, 6, byEntries({ topicId: idA }, { name: 'b' }, { topicId: unknown }));
    expect(r.responses).toEqual([
      expect.objectContaining({ name: 'a', topicId: idA, errorCode: 0, errorMessage: null }),
      expect.objectContaining({ name: 'b', errorCode: 0 }),
      expect.objectContaining({ name: null, topicId: unknown, errorCode: ErrorCode.UnknownTopicId }),
    ]);
    expect(harness.broker.services.metadata.topics()).toEqual([]);
  });

  it('refuses malformed entries with INVALID_REQUEST (v6)', async () => {
    const harness = await start();
    const [idA, idB] = await create(harness, 'a', 'b', 'c');
    const r = await harness.call(
      ApiKey.DeleteTopics,
      6,
      byEntries({ name: 'a', topicId: idA }, {}, { name: 'c' }, { name: 'c' }, { topicId: idB }, { name: 'b' }),
    );
    expect(r.responses.map((x) => [x.name, x.errorCode, x.errorMessage])).toEqual([
      ['a', ErrorCode.InvalidRequest, 'You may not specify both topic name and topic id.'],
      [null, ErrorCode.InvalidRequest, 'Neither topic name nor id were specified.'],
      ['c', ErrorCode.InvalidRequest, 'Duplicate topic name.'],
      ['b', ErrorCode.InvalidRequest, 'The provided topic name maps to an ID that was already supplied.'],
      ['b', ErrorCode.InvalidRequest, 'The provided topic name maps to an ID that was already supplied.'],
    ]);
    expect(harness.broker.services.metadata.topics().map((t) => t.name)).toEqual(['a', 'b', 'c']);
  });

  it('with delete.topic.enable=false answers TOPIC_DELETION_DISABLED (v3+) or INVALID_REQUEST (v0-2)', async () => {
    const harness = await start({ 'delete.topic.enable': false });
    await create(harness, 'a');
    expect((await harness.call(ApiKey.DeleteTopics, 2, byNames('a'))).responses[0].errorCode).toBe(ErrorCode.InvalidRequest);
    expect((await harness.call(ApiKey.DeleteTopics, 3, byNames('a'))).responses[0].errorCode).toBe(ErrorCode.TopicDeletionDisabled);
    expect(harness.broker.services.metadata.topic('a')).toBeDefined();
  });

  it('serves every version from 0 to 6', async () => {
    const harness = await start();
    for (let version = 0; version <= 6; version++) {
      await create(harness, `t${version}`);
      const req = version >= 6 ? byEntries({ name: `t${version}` }) : byNames(`t${version}`);
      const r = await harness.call(ApiKey.DeleteTopics, version, req);
      expect(r.responses[0]).toMatchObject({ name: `t${version}`, errorCode: 0 });
    }
  });
});
