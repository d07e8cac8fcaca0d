/**
 * Kafka's ConfigDef rules: parsing by type (trimmed, Java number ranges), validators with Kafka's
 * messages, and the string forms DescribeConfigs reports.
 */
import { describe, expect, it } from '@jest/globals';
import {
  ConfigException,
  ConfigResponseType,
  atLeast,
  between,
  canonicalDefault,
  configResponseType,
  formatTyped,
  formatValue,
  javaDoubleToString,
  lambda,
  listOf,
  longToNumber,
  mergeListValue,
  oneOf,
  parseAndValidate,
  parseValue,
  wantsKey,
  type ConfigDefinition,
  type DescribeConfigsEntry,
} from '../../src/config/config-def.js';
import type { DescribeConfigsResponseDescribeConfigsResourceResult } from '../../src/protocol/generated/messages/describe-configs.js';

describe('parseValue', () => {
  it('parses booleans case-insensitively after trimming', () => {
    expect(parseValue('k', 'boolean', ' TRUE ')).toBe(true);
    expect(parseValue('k', 'boolean', 'False')).toBe(false);
    expect(() => parseValue('k', 'boolean', 'yes')).toThrow('Invalid value yes for configuration k: Expected value to be either true or false');
  });

  it('parses ints, shorts and longs within Java ranges', () => {
    expect(parseValue('k', 'int', ' 42 ')).toBe(42);
    expect(parseValue('k', 'int', '+7')).toBe(7);
    expect(parseValue('k', 'int', '-2147483648')).toBe(-2147483648);
    expect(() => parseValue('k', 'int', '2147483648')).toThrow('Invalid value 2147483648 for configuration k: Not a number of type INT');
    expect(() => parseValue('k', 'int', '1.5')).toThrow('Not a number of type INT');
    expect(() => parseValue('k', 'int', '')).toThrow('Not a number of type INT');
    expect(parseValue('k', 'short', '32767')).toBe(32767);
    expect(() => parseValue('k', 'short', '32768')).toThrow('Not a number of type SHORT');
    expect(parseValue('k', 'long', '9223372036854775807')).toBe(9223372036854775807n);
    expect(parseValue('k', 'long', '-9223372036854775808')).toBe(-9223372036854775808n);
    expect(() => parseValue('k', 'long', '9223372036854775808')).toThrow('Not a number of type LONG');
    expect(() => parseValue('k', 'long', '1e3')).toThrow('Not a number of type LONG');
  });

  it('parses doubles as Double.parseDouble does', () => {
    expect(parseValue('k', 'double', '0.5')).toBe(0.5);
    expect(parseValue('k', 'double', '1')).toBe(1);
    expect(parseValue('k', 'double', '.25')).toBe(0.25);
    expect(parseValue('k', 'double', '1e3')).toBe(1000);
    expect(parseValue('k', 'double', '2.5d')).toBe(2.5);
    expect(parseValue('k', 'double', '0x1p3')).toBe(8);
    expect(parseValue('k', 'double', '-Infinity')).toBe(-Infinity);
    expect(Number.isNaN(parseValue('k', 'double', 'NaN'))).toBe(true);
    expect(() => parseValue('k', 'double', 'half')).toThrow('Not a number of type DOUBLE');
  });

  it('splits lists on commas with surrounding whitespace; empty is an empty list', () => {
    expect(parseValue('k', 'list', ' a , b,c ')).toEqual(['a', 'b', 'c']);
    expect(parseValue('k', 'list', '   ')).toEqual([]);
    expect(parseValue('k', 'list', 'a,')).toEqual(['a', '']);
  });

  it('trims strings, passwords and class names', () => {
    expect(parseValue('k', 'string', '  x y  ')).toBe('x y');
    expect(parseValue('k', 'password', ' secret ')).toBe('secret');
    expect(parseValue('k', 'class', ' a.B ')).toBe('a.B');
  });
});

describe('formatting', () => {
  it('prints doubles like Java', () => {
    expect(javaDoubleToString(0.5)).toBe('0.5');
    expect(javaDoubleToString(1)).toBe('1.0');
    expect(javaDoubleToString(1e7)).toBe('1.0E7');
    expect(javaDoubleToString(1.5e-5)).toBe('1.5E-5');
    expect(javaDoubleToString(Number.MAX_VALUE)).toBe('1.7976931348623157E308');
    expect(javaDoubleToString(0)).toBe('0.0');
    expect(javaDoubleToString(NaN)).toBe('NaN');
    expect(javaDoubleToString(Infinity)).toBe('Infinity');
  });

  it('formats values as ConfigDef.convertToString', () => {
    expect(formatValue(['compact', 'delete'])).toBe('compact,delete');
    expect(formatValue(9223372036854775807n)).toBe('9223372036854775807');
    expect(formatValue(true)).toBe('true');
    expect(formatValue(null)).toBeNull();
    expect(formatTyped('double', 1)).toBe('1.0');
    expect(formatTyped('int', 1)).toBe('1');
  });

  it('maps types to DescribeConfigs ConfigType ids', () => {
    expect(configResponseType('boolean')).toBe(1);
    expect(configResponseType('string')).toBe(2);
    expect(configResponseType('int')).toBe(3);
    expect(configResponseType('short')).toBe(4);
    expect(configResponseType('long')).toBe(5);
    expect(configResponseType('double')).toBe(6);
    expect(configResponseType('list')).toBe(7);
    expect(configResponseType('class')).toBe(8);
    expect(configResponseType('password')).toBe(9);
    expect(configResponseType(undefined)).toBe(ConfigResponseType.UNKNOWN);
  });

  it('saturates longs beyond 2^53', () => {
    expect(longToNumber(9223372036854775807n)).toBe(Number.MAX_SAFE_INTEGER);
    expect(longToNumber(-9223372036854775808n)).toBe(Number.MIN_SAFE_INTEGER);
    expect(longToNumber(604800000n)).toBe(604800000);
  });
});

describe('validators', () => {
  it('atLeast', () => {
    const v = atLeast(14);
    expect(() => { v.validate('segment.bytes', 14); }).not.toThrow();
    expect(() => { v.validate('segment.bytes', 13); }).toThrow('Invalid value 13 for configuration segment.bytes: Value must be at least 14');
    expect(() => { atLeast(-1).validate('retention.ms', -2n); }).toThrow('Invalid value -2 for configuration retention.ms: Value must be at least -1');
    expect(v.describe()).toBe('[14,...]');
  });

  it('between, printing doubles as Java does', () => {
    const v = between(0, 1);
    expect(() => { v.validate('r', 0.5, 'double'); }).not.toThrow();
    expect(() => { v.validate('r', 2, 'double'); }).toThrow('Invalid value 2.0 for configuration r: Value must be no more than 1');
    expect(() => { v.validate('r', -0.1, 'double'); }).toThrow('Invalid value -0.1 for configuration r: Value must be at least 0');
    expect(v.describe()).toBe('[0,...,1]');
  });

  it('oneOf is case-sensitive', () => {
    const v = oneOf('CreateTime', 'LogAppendTime');
    expect(() => { v.validate('t', 'CreateTime'); }).not.toThrow();
    expect(() => { v.validate('t', 'createtime'); }).toThrow('Invalid value createtime for configuration t: String must be one of: CreateTime, LogAppendTime');
    expect(v.describe()).toBe('[CreateTime, LogAppendTime]');
  });

  it('listOf checks every element', () => {
    const v = listOf('compact', 'delete');
    expect(() => { v.validate('p', ['compact', 'delete']); }).not.toThrow();
    expect(() => { v.validate('p', []); }).not.toThrow();
    expect(() => { v.validate('p', ['delete', 'keep']); }).toThrow('Invalid value keep for configuration p: String must be one of: compact, delete');
  });

  it('lambda prints lists as Java lists', () => {
    const v = lambda((_n, x) => (Array.isArray(x) && x.length > 1 ? 'too many' : null), 'one');
    expect(() => { v.validate('k', ['a', 'b']); }).toThrow('Invalid value [a, b] for configuration k: too many');
  });

  it('parseAndValidate and canonical defaults', () => {
    const def: ConfigDefinition = { name: 'x', type: 'double', default: '0.50', importance: 'low', doc: '', validator: between(0, 1) };
    expect(parseAndValidate(def, '0.25')).toBe(0.25);
    expect(parseAndValidate(def, null)).toBeNull();
    expect(canonicalDefault(def)).toBe('0.5');
    expect(() => canonicalDefault({ ...def, default: '5' })).toThrow(ConfigException);
  });
});

describe('ConfigException', () => {
  it('formats keyed and free messages', () => {
    const keyed = new ConfigException('k', 'v', 'bad');
    expect(keyed.message).toBe('Invalid value v for configuration k: bad');
    expect(keyed.key).toBe('k');
    expect(new ConfigException('k', null).message).toBe('Invalid value null for configuration k');
    const free = new ConfigException('something is wrong');
    expect(free.message).toBe('something is wrong');
    expect(free.key).toBeUndefined();
  });
});

describe('wantsKey', () => {
  it('treats null or empty configurationKeys as all', () => {
    expect(wantsKey({}, 'a')).toBe(true);
    expect(wantsKey({ configurationKeys: null }, 'a')).toBe(true);
    expect(wantsKey({ configurationKeys: [] }, 'a')).toBe(true);
    expect(wantsKey({ configurationKeys: ['b'] }, 'a')).toBe(false);
  });
});

describe('DescribeConfigs shapes', () => {
  it('fit the generated DescribeConfigs response types (checked by tsc)', () => {
    const entry: DescribeConfigsEntry = {
      name: 'a',
      value: null,
      readOnly: false,
      isDefault: true,
      configSource: 5,
      isSensitive: false,
      synonyms: [{ name: 'a', value: null, source: 5 }],
      configType: 3,
      documentation: null,
    };
    const wire: DescribeConfigsResponseDescribeConfigsResourceResult = {
      ...entry,
      synonyms: entry.synonyms.map((s) => ({ ...s, _unknownTaggedFields: undefined })),
      _unknownTaggedFields: undefined,
    };
    expect(wire.name).toBe('a');
  });
});

describe('mergeListValue', () => {
  it('appends missing items only and subtracts present ones', () => {
    expect(mergeListValue('', 'a,b', true)).toBe('a,b');
    expect(mergeListValue('a,b', 'b,c', true)).toBe('a,b,c');
    expect(mergeListValue('a,b,c', 'b,x', false)).toBe('a,c');
    expect(mergeListValue('a', null, false)).toBe('a');
  });
});
