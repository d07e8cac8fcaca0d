/** The configuration layer's public surface, importable from one module. */
import { describe, expect, it } from '@jest/globals';
import * as config from '../../src/config/index.js';

describe('src/config/index', () => {
  it('re-exports every module', () => {
    for (const name of [
      'parseProperties',
      'stringifyProperties',
      'parseValue',
      'ConfigSource',
      'resolveBrokerConfig',
      'loadBrokerConfig',
      'describeBrokerConfigs',
      'alterBrokerConfigs',
      'validateTopicConfigs',
      'resolveTopicConfig',
      'describeTopicConfigs',
      'toLogConfig',
      'ensureClusterId',
    ]) {
      expect(typeof (config as Record<string, unknown>)[name]).not.toBe('undefined');
    }
  });
});
