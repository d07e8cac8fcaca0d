import { describe, expect, it } from '@jest/globals';
import { isInternalTopic, topicNameProblem, unifiedTopicName } from '../../src/protocol/topic-name.js';

describe('topic names', () => {
  it("knows Kafka 4's internal topics", () => {
    for (const name of ['__consumer_offsets', '__transaction_state', '__share_group_state']) expect(isInternalTopic(name)).toBe(true);
    expect(isInternalTopic('orders')).toBe(false);
    expect(isInternalTopic('__consumer_offsets_copy')).toBe(false);
  });

  it("refuses what Kafka's topic name rules refuse", () => {
    expect(topicNameProblem('orders.v1-x_2')).toBeNull();
    expect(topicNameProblem('')).toMatch(/empty/);
    expect(topicNameProblem('..')).toMatch(/cannot be/);
    expect(topicNameProblem('a'.repeat(250))).toMatch(/longer than 249/);
    expect(topicNameProblem('a b')).toMatch(/illegal/);
    expect(unifiedTopicName('a.b_c')).toBe('a_b_c');
  });
});
