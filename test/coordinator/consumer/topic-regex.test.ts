/**
 * Subscription regular expressions: whole-name matching, and the RE2/J syntax translated to RegExp.
 */
import { describe, expect, it } from '@jest/globals';
import { compileTopicRegex, matchingTopics } from '../../../src/coordinator/consumer/topic-regex.js';

const topics = ['orders', 'orders-eu', 'Orders-us', 'a.b', 'axb', 'payments'];

describe('topic regex', () => {
  it('matches whole names only', () => {
    expect(matchingTopics('orders', topics)).toEqual(['orders']);
    expect(matchingTopics('orders.*', topics)).toEqual(['orders', 'orders-eu']);
    expect(matchingTopics('rders', topics)).toEqual([]);
    expect(matchingTopics('orders|payments', topics)).toEqual(['orders', 'payments']);
  });

  it('translates leading inline flags, \\Q...\\E, \\A, \\z and (?P<name>...)', () => {
    expect(matchingTopics('(?i)orders-.*', topics)).toEqual(['orders-eu', 'Orders-us']);
    expect(matchingTopics('\\Qa.b\\E', topics)).toEqual(['a.b']);
    expect(matchingTopics('a.b', topics)).toEqual(['a.b', 'axb']);
    expect(matchingTopics('\\Aorders\\z', topics)).toEqual(['orders']);
    expect(matchingTopics('(?P<name>pay)ments', topics)).toEqual(['payments']);
  });

  it('rejects invalid patterns and flags RegExp cannot express', () => {
    expect(compileTopicRegex('a(')).toBeInstanceOf(Error);
    expect(compileTopicRegex('(?U)a+')).toBeInstanceOf(Error);
    expect(compileTopicRegex('a(?i)b')).toBeInstanceOf(Error);
    expect(matchingTopics('a(', topics)).toEqual([]);
  });
});
