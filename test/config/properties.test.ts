/**
 * java.util.Properties semantics: separators, comments, continuations, escapes and whitespace,
 * plus Kafka's own server.properties layouts and a write/read round trip.
 */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  PropertiesSyntaxError,
  parseProperties,
  parsePropertyEntries,
  readPropertiesFile,
  stringifyProperties,
} from '../../src/config/properties.js';

// import.meta.dirname arrived in Node 20.11; the package runs on any Node 20.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
const fixtures = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, 'fixtures');
const parse = (text: string): Record<string, string> => Object.fromEntries(parseProperties(text));

describe('key/value separators', () => {
  it.each([
    ['a=b', 'a', 'b'],
    ['a:b', 'a', 'b'],
    ['a b', 'a', 'b'],
    ['a\tb', 'a', 'b'],
    ['a\fb', 'a', 'b'],
    ['a   =   b', 'a', 'b'],
    ['a \t:\t b', 'a', 'b'],
    ['a = = b', 'a', '= b'],
    ['a==b', 'a', '=b'],
    ['a=:b', 'a', ':b'],
    ['a :b c', 'a', 'b c'],
    ['   indented.key=value', 'indented.key', 'value'],
    ['a=b=c', 'a', 'b=c'],
    ['a=b#c', 'a', 'b#c'],
    ['a=b !c', 'a', 'b !c'],
  ])('%j', (line, key, value) => {
    expect(parse(line)).toEqual({ [key]: value });
  });

  it('gives a key without separator or value an empty value', () => {
    expect(parse('lonely\nempty=\ncolon:\nspaced   ')).toEqual({ lonely: '', empty: '', colon: '', spaced: '' });
  });

  it('allows an empty key', () => {
    expect(parse('=value')).toEqual({ '': 'value' });
    expect(parse(':value')).toEqual({ '': 'value' });
  });
});

describe('comments and blank lines', () => {
  it('skips # and ! comments, indented or not, and blank or whitespace-only lines', () => {
    const text = ['# comment', '! bang comment', '   # indented comment', '\t! indented bang', '', '   ', '\t\f', 'k=v'].join('\n');
    expect(parse(text)).toEqual({ k: 'v' });
  });

  it('does not continue a comment line that ends with a backslash', () => {
    expect(parse('# comment \\\nk=v')).toEqual({ k: 'v' });
  });

  it('treats # inside a value or key as text', () => {
    expect(parse('color#1=#fff')).toEqual({ 'color#1': '#fff' });
  });
});

describe('line continuations', () => {
  it('joins lines ending with a backslash and drops the next line\'s leading whitespace', () => {
    expect(parse('fruits=apple, \\\n        banana, \\\n\tpear')).toEqual({ fruits: 'apple, banana, pear' });
  });

  it('does not continue on an even number of backslashes', () => {
    expect(parse('path=c:\\\\\nnext=1')).toEqual({ path: 'c:\\', next: '1' });
  });

  it('continues on an odd number of backslashes (an escaped backslash then the continuation)', () => {
    expect(parse('path=c:\\\\\\\n  dir')).toEqual({ path: 'c:\\dir' });
  });

  it('reads a # at the start of a continuation line as text', () => {
    expect(parse('a=1\\\n#2')).toEqual({ a: '1#2' });
  });

  it('ends the logical line at an empty continuation line', () => {
    expect(parse('a=1\\\n\nb=2')).toEqual({ a: '1', b: '2' });
  });

  it('continues the key across lines', () => {
    expect(parse('lo\\\n  ng.key=v')).toEqual({ 'long.key': 'v' });
  });

  it('drops a continuation backslash on the last line', () => {
    expect(parse('a=1\\')).toEqual({ a: '1' });
  });

  it('accepts \\r\\n and \\r line ends, in continuations too', () => {
    expect(parse('a=1\r\nb=2\rc=3\\\r\n   4')).toEqual({ a: '1', b: '2', c: '34' });
  });
});

describe('escapes', () => {
  it('decodes \\t \\n \\r \\f and \\uXXXX', () => {
    expect(parse('k=\\t\\n\\r\\f\\u0041\\u00e9\\u20AC')).toEqual({ k: '\t\n\r\fAé€' });
  });

  it('reads a backslash before any other character as that character', () => {
    expect(parse('k=\\a\\b\\z\\\\\\"')).toEqual({ k: 'abz\\"' });
  });

  it('lets escaped separators and spaces be part of the key', () => {
    expect(parse('my\\ key\\=x\\:y = v')).toEqual({ 'my key=x:y': 'v' });
  });

  it('keeps an escaped leading space of the value', () => {
    expect(parse('k=\\  v')).toEqual({ k: '  v' });
  });

  it('rejects a malformed \\u escape, naming the line', () => {
    expect(() => parseProperties('ok=1\nbad=\\u12G4', 'server.properties')).toThrow(PropertiesSyntaxError);
    expect(() => parseProperties('ok=1\nbad=\\u12G4', 'server.properties')).toThrow('server.properties:2: Malformed \\uxxxx encoding.');
    expect(() => parseProperties('bad=\\u12')).toThrow('line 1: Malformed');
  });
});

describe('whitespace', () => {
  it('keeps trailing whitespace of values, as java.util.Properties does', () => {
    expect(parse('k=value   \nt=tab\t')).toEqual({ k: 'value   ', t: 'tab\t' });
  });

  it('strips whitespace before the value only', () => {
    expect(parse('k =    v  w ')).toEqual({ k: 'v  w ' });
  });

  it('ignores a UTF-8 byte order mark', () => {
    expect(parse('\ufeffk=v')).toEqual({ k: 'v' });
  });
});

describe('entries', () => {
  it('keeps the last of duplicate keys, in first-appearance order', () => {
    const map = parseProperties('a=1\nb=2\na=3');
    expect([...map]).toEqual([
      ['a', '3'],
      ['b', '2'],
    ]);
  });

  it('reports the line each logical line starts on', () => {
    const entries = parsePropertyEntries('# c\n\na=1\nb=2\\\n  3\nc=4');
    expect(entries).toEqual([
      { key: 'a', value: '1', line: 3 },
      { key: 'b', value: '23', line: 4 },
      { key: 'c', value: '4', line: 6 },
    ]);
  });
});

describe("Kafka's server.properties", () => {
  it('reads the KRaft layout', async () => {
    const props = await readPropertiesFile(join(fixtures, 'kraft-server.properties'));
    expect(props.get('process.roles')).toBe('broker,controller');
    expect(props.get('node.id')).toBe('1');
    expect(props.get('listeners')).toBe('PLAINTEXT://:9092,CONTROLLER://:9093');
    expect(props.get('listener.security.protocol.map')).toBe('CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL');
    expect(props.get('log.dirs')).toBe('/tmp/kraft-combined-logs');
    expect(props.get('log.retention.hours')).toBe('168');
    expect(props.has('log.flush.interval.messages')).toBe(false); // commented out
    expect(props.has('log.retention.bytes')).toBe(false);
    expect(props.size).toBe(25);
  });

  it('reads the ZooKeeper-era layout', async () => {
    const props = await readPropertiesFile(join(fixtures, 'zk-server.properties'));
    expect(props.get('broker.id')).toBe('0');
    expect(props.get('zookeeper.connect')).toBe('localhost:2181');
    expect(props.get('group.initial.rebalance.delay.ms')).toBe('0');
    expect(props.has('listeners')).toBe(false);
  });
});

describe('stringifyProperties', () => {
  const tricky: [string, string][] = [
    ['plain', 'value'],
    ['key with spaces', ' leading and trailing '],
    ['sep=:#!', 'a=b:c#d!e'],
    ['back\\slash', 'c:\\dir\\'],
    ['controls', 'tab\there\nnew\rret\fff\u0001'],
    ['unicode', 'é€😀'],
    ['', 'empty key'],
    ['empty', ''],
  ];

  it('round-trips through parseProperties', () => {
    expect([...parseProperties(stringifyProperties(tricky))]).toEqual(tricky);
    expect([...parseProperties(stringifyProperties(tricky, { escapeUnicode: false }))]).toEqual(tricky);
  });

  it('escapes like Properties.store', () => {
    expect(stringifyProperties([['a b', ' x y=z']])).toBe('a\\ b=\\ x y\\=z\n');
    expect(stringifyProperties({ k: 'é' })).toBe('k=\\u00E9\n');
    expect(stringifyProperties({ k: 'é' }, { escapeUnicode: false })).toBe('k=é\n');
  });

  it('writes comment lines first', () => {
    expect(stringifyProperties({ a: '1' }, { comments: ['first', 'second\nthird'] })).toBe('#first\n#second\n#third\na=1\n');
  });

  it('produces files Kafka-style readers accept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gregor-props-'));
    const path = join(dir, 'x.properties');
    writeFileSync(path, stringifyProperties(tricky));
    expect([...(await readPropertiesFile(path))]).toEqual(tricky);
    expect(await readFile(path, 'latin1')).toBe(await readFile(path, 'utf8')); // ASCII only
    rmSync(dir, { recursive: true, force: true });
  });
});
