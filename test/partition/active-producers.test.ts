import { describe, expect, it } from '@jest/globals';
import { describePartitionProducers } from '../../src/partition/active-producers.js';
import { ErrorCode } from '../../src/protocol/generated/errors.js';
import { StorageError } from '../../src/storage/types.js';

const metadata = {
  topic: (name: string) => (name === 'known' ? { partitions: 2 } : undefined),
};

describe('describePartitionProducers', () => {
  it('answers KAFKA_STORAGE_ERROR when the producer state cannot be loaded', async () => {
    const r = await describePartitionProducers(metadata, () => Promise.reject(new StorageError('snapshot unreadable')), 'known', 1);
    expect(r).toEqual({ errorCode: ErrorCode.KafkaStorageError, errorMessage: 'snapshot unreadable', producers: [] });
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION for a partition of the topic that is not hosted', async () => {
    const r = await describePartitionProducers(metadata, () => Promise.resolve(undefined), 'known', 0);
    expect(r.errorCode).toBe(ErrorCode.UnknownTopicOrPartition);
  });
});
