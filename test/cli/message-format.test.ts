/**
 * The console formats on their own: DefaultMessageFormatter's output for every property and edge,
 * LineMessageReader's parsing and errors, and Kafka's printed form of topic ids.
 */
import { describe, expect, it } from '@jest/globals';
import type { ConsumerRecord } from '../../src/client/consumer.js';
import { LineFormatError, MessageFormatter, formatterConfig, kafkaUuid, parseLine, readerConfig } from '../../src/cli/message-format.js';

function rec(over: Partial<ConsumerRecord> = {}): ConsumerRecord {
  return {
    topic: 't',
    partition: 3,
    offset: 42n,
    timestamp: 1700000000000n,
    timestampType: 'CreateTime',
    key: Buffer.from('k'),
    value: Buffer.from('v'),
    headers: [],
    leaderEpoch: 0,
    ...over,
  };
}

function format(props: Record<string, string>, r: ConsumerRecord): string {
  const out: Buffer[] = [];
  new MessageFormatter(formatterConfig(new Map(Object.entries(props)))).format(r, out);
  return Buffer.concat(out).toString('utf8');
}

describe('MessageFormatter (DefaultMessageFormatter)', () => {
  it('prints the value and a newline by default', () => {
    expect(format({}, rec())).toBe('v\n');
  });

  it('orders timestamp, partition, offset, delivery, headers, key, value', () => {
    const all = {
      'print.timestamp': 'true',
      'print.partition': 'true',
      'print.offset': 'true',
      'print.delivery': 'true',
      'print.headers': 'true',
      'print.key': 'true',
    };
    const r = rec({ headers: [{ key: 'a', value: Buffer.from('1') }, { key: 'b', value: null }] });
    expect(format(all, r)).toBe('CreateTime:1700000000000\tPartition:3\tOffset:42\tDelivery:NONE\ta:1,b:null\tk\tv\n');
  });

  it('prints NO_TIMESTAMP for records without a timestamp type, LogAppendTime when the broker stamped', () => {
    expect(format({ 'print.timestamp': 'true' }, rec({ timestampType: 'NoTimestampType', timestamp: -1n }))).toBe('NO_TIMESTAMP\tv\n');
    expect(format({ 'print.timestamp': 'true' }, rec({ timestampType: 'LogAppendTime' }))).toBe('LogAppendTime:1700000000000\tv\n');
    expect(format({ 'print.timestamp': 'true' }, rec({ timestamp: -1n }))).toBe('CreateTime:-1\tv\n');
  });

  it('ends the last printed field with the line separator', () => {
    expect(format({ 'print.value': 'false', 'print.offset': 'true' }, rec())).toBe('Offset:42\n');
    expect(format({ 'print.value': 'false', 'print.headers': 'true' }, rec())).toBe('NO_HEADERS\n');
    expect(format({ 'print.value': 'false' }, rec())).toBe('');
  });

  it('writes null keys, values and header values as null.literal', () => {
    const r = rec({ key: null, value: null, headers: [{ key: 'h', value: null }] });
    expect(format({ 'print.key': 'true', 'print.headers': 'true' }, r)).toBe('h:null\tnull\tnull\n');
    expect(format({ 'print.key': 'true', 'null.literal': '' }, r)).toBe('\t\n');
  });

  it('uses the separators it is given, verbatim', () => {
    const r = rec({ headers: [{ key: 'x', value: Buffer.from('1') }, { key: 'y', value: Buffer.from('2') }] });
    const props = { 'print.key': 'true', 'print.headers': 'true', 'key.separator': '::', 'line.separator': '\r\n', 'headers.separator': '|' };
    expect(format(props, r)).toBe('x:1|y:2::k::v\r\n');
  });

  it('writes key and value bytes as they are', () => {
    const bytes = Buffer.from([0xff, 0x00, 0xc3]);
    const out: Buffer[] = [];
    new MessageFormatter(formatterConfig(new Map())).format(rec({ value: bytes }), out);
    expect(Buffer.concat(out)).toEqual(Buffer.concat([bytes, Buffer.from('\n')]));
  });

  it('reads booleans as Kafka does: "true" in any case after trimming, anything else false', () => {
    expect(format({ 'print.key': ' TRUE ' }, rec())).toBe('k\tv\n');
    expect(format({ 'print.key': 'yes' }, rec())).toBe('v\n');
    expect(format({ 'print.key': '' }, rec())).toBe('v\n');
  });
});

describe('parseLine (LineMessageReader)', () => {
  const reader = (props: Record<string, string>): ReturnType<typeof readerConfig> => readerConfig(new Map(Object.entries(props)));

  it('takes the whole line as the value by default', () => {
    expect(parseLine(reader({}), 'a\tb:c', 1)).toEqual({ key: null, value: Buffer.from('a\tb:c'), headers: [] });
  });

  it('splits the key at the first separator', () => {
    const p = parseLine(reader({ 'parse.key': 'true', 'key.separator': '::' }), 'k::v::w', 1);
    expect([p.key?.toString(), p.value?.toString()]).toEqual(['k', 'v::w']);
  });

  it('reads headers, then the key, then the value', () => {
    const p = parseLine(reader({ 'parse.key': 'true', 'parse.headers': 'true' }), 'a:1,b:2:3\tkey\tvalue', 1);
    expect(p.headers.map((h) => [h.key, h.value?.toString()])).toEqual([
      ['a', '1'],
      ['b', '2:3'],
    ]);
    expect([p.key?.toString(), p.value?.toString()]).toEqual(['key', 'value']);
  });

  it('treats headers.separator as a regular expression and drops trailing empty pairs', () => {
    const p = parseLine(reader({ 'parse.headers': 'true', 'headers.separator': '[;|]' }), 'a:1;b:2|c:3;;\tv', 1);
    expect(p.headers.map((h) => h.key)).toEqual(['a', 'b', 'c']);
  });

  it('maps null.marker to null for keys, values and header values', () => {
    const p = parseLine(reader({ 'parse.key': 'true', 'parse.headers': 'true', 'null.marker': '-' }), 'h:-\t-\t-', 1);
    expect(p).toEqual({ key: null, value: null, headers: [{ key: 'h', value: null }] });
    expect(parseLine(reader({ 'parse.headers': 'true', 'null.marker': '-' }), '-\tv', 1).headers).toEqual([]);
  });

  it('fails with Kafka messages on missing separators, unless ignore.error', () => {
    expect(() => parseLine(reader({ 'parse.key': 'true' }), 'novalue', 7)).toThrow(new LineFormatError("No key separator found on line number 7: 'novalue'"));
    expect(() => parseLine(reader({ 'parse.headers': 'true' }), 'nodelim', 2)).toThrow("No headers delimiter found on line number 2: 'nodelim'");
    expect(() => parseLine(reader({ 'parse.headers': 'true' }), 'bad\tv', 3)).toThrow("No header key separator found in pair 'bad' on line number 3");
    expect(() => parseLine(reader({ 'parse.headers': 'true', 'null.marker': 'N' }), 'N:1\tv', 4)).toThrow(
      "Header keys should not be equal to the null marker 'N' as they can't be null",
    );
    const lenient = parseLine(reader({ 'parse.key': 'true', 'parse.headers': 'true', 'ignore.error': 'true' }), 'bad\tv', 1);
    expect(lenient).toEqual({ key: null, value: Buffer.from('v'), headers: [{ key: 'bad', value: null }] });
  });

  it('refuses separators that would make lines ambiguous', () => {
    expect(() => reader({ 'headers.delimiter': ',' })).toThrow('headers.delimiter and headers.separator may not be equal');
    expect(() => reader({ 'headers.key.separator': '\t' })).toThrow('headers.delimiter and headers.key.separator may not be equal');
    expect(() => reader({ 'null.marker': '\t' })).toThrow('null.marker and key.separator may not be equal');
  });
});

describe('kafkaUuid', () => {
  it("prints a uuid as Kafka's Uuid.toString does", () => {
    expect(kafkaUuid('00000000-0000-0000-0000-000000000001')).toBe('AAAAAAAAAAAAAAAAAAAAAQ');
    expect(kafkaUuid('fbf7ef7b-ff00-4000-8000-00000000ffff')).toBe('-_fve_8AQACAAAAAAAD__w');
  });
});
