/**
 * The console tools' text formats, byte for byte as Kafka's Java tools write and read them.
 *
 * - MessageFormatter: kafka-console-consumer's DefaultMessageFormatter. Fields in its order:
 *   timestamp ("CreateTime:1700000000000", "LogAppendTime:...", or "NO_TIMESTAMP" for magic 0),
 *   "Partition:0", "Offset:5", "Delivery:NONE", headers ("k1:v1,k2:v2", or "NO_HEADERS"), key,
 *   value. Each field is followed by key.separator when another field follows, else by
 *   line.separator; key, value and header values are written as raw bytes, null as null.literal.
 * - LineMessageReader: kafka-console-producer's line parser: "h1:v1,h2:v2<TAB>key<TAB>value" with
 *   parse.headers and parse.key, Kafka's separators, null.marker and ignore.error, and its errors.
 * - kafkaUuid: Kafka's Uuid.toString() (URL-safe base64 without padding), as kafka-topics prints
 *   topic ids.
 */
import type { ConsumerRecord } from '../client/consumer.js';
import { boolProperty } from './tool-support.js';

export interface FormatterConfig {
  printTimestamp: boolean;
  printKey: boolean;
  printValue: boolean;
  printPartition: boolean;
  printOffset: boolean;
  printDelivery: boolean;
  printHeaders: boolean;
  keySeparator: Buffer;
  lineSeparator: Buffer;
  headersSeparator: Buffer;
  nullLiteral: Buffer;
}

/** DefaultMessageFormatter.configure: known properties, Kafka's defaults for the rest. */
export function formatterConfig(props: ReadonlyMap<string, string>): FormatterConfig {
  const bool = (key: string, dflt: boolean): boolean => (props.has(key) ? boolProperty(props.get(key)) : dflt);
  const bytes = (key: string, dflt: string): Buffer => Buffer.from(props.get(key) ?? dflt, 'utf8');
  return {
    printTimestamp: bool('print.timestamp', false),
    printKey: bool('print.key', false),
    printValue: bool('print.value', true),
    printPartition: bool('print.partition', false),
    printOffset: bool('print.offset', false),
    printDelivery: bool('print.delivery', false),
    printHeaders: bool('print.headers', false),
    keySeparator: bytes('key.separator', '\t'),
    lineSeparator: bytes('line.separator', '\n'),
    headersSeparator: bytes('headers.separator', ','),
    nullLiteral: bytes('null.literal', 'null'),
  };
}

/** Writes records as DefaultMessageFormatter.writeTo does, collecting the bytes in a list. */
export class MessageFormatter {
  constructor(private readonly c: FormatterConfig) {}

  /** Appends the bytes for one record to `out`. */
  format(r: ConsumerRecord, out: Buffer[]): void {
    const c = this.c;
    const sep = (more: boolean): void => {
      out.push(more ? c.keySeparator : c.lineSeparator);
    };
    if (c.printTimestamp) {
      out.push(Buffer.from(r.timestampType === 'NoTimestampType' ? 'NO_TIMESTAMP' : `${r.timestampType}:${r.timestamp}`, 'utf8'));
      sep(c.printPartition || c.printOffset || c.printDelivery || c.printHeaders || c.printKey || c.printValue);
    }
    if (c.printPartition) {
      out.push(Buffer.from(`Partition:${r.partition}`, 'utf8'));
      sep(c.printOffset || c.printDelivery || c.printHeaders || c.printKey || c.printValue);
    }
    if (c.printOffset) {
      out.push(Buffer.from(`Offset:${r.offset}`, 'utf8'));
      sep(c.printDelivery || c.printHeaders || c.printKey || c.printValue);
    }
    if (c.printDelivery) {
      // Only share groups count deliveries; the console consumer has none to report.
      out.push(Buffer.from('Delivery:NONE', 'utf8'));
      sep(c.printHeaders || c.printKey || c.printValue);
    }
    if (c.printHeaders) {
      if (r.headers.length === 0) out.push(Buffer.from('NO_HEADERS', 'utf8'));
      r.headers.forEach((h, i) => {
        out.push(Buffer.from(`${h.key}:`, 'utf8'), h.value ?? c.nullLiteral);
        if (i < r.headers.length - 1) out.push(c.headersSeparator);
      });
      sep(c.printKey || c.printValue);
    }
    if (c.printKey) {
      out.push(r.key ?? c.nullLiteral);
      sep(c.printValue);
    }
    if (c.printValue) {
      out.push(r.value ?? c.nullLiteral, c.lineSeparator);
    }
  }
}

export interface ReaderConfig {
  parseKey: boolean;
  keySeparator: string;
  parseHeaders: boolean;
  headersDelimiter: string;
  headersSeparator: RegExp;
  headersKeySeparator: string;
  ignoreError: boolean;
  nullMarker: string | undefined;
}

/** LineMessageReader.configure, with its checks (thrown as Error with Kafka's message). */
export function readerConfig(props: ReadonlyMap<string, string>): ReaderConfig {
  const headersDelimiter = props.get('headers.delimiter') ?? '\t';
  const headersSeparator = props.get('headers.separator') ?? ',';
  const headersKeySeparator = props.get('headers.key.separator') ?? ':';
  const keySeparator = props.get('key.separator') ?? '\t';
  const nullMarker = props.get('null.marker');
  if (headersDelimiter === headersSeparator) throw new Error('headers.delimiter and headers.separator may not be equal');
  if (headersDelimiter === headersKeySeparator) throw new Error('headers.delimiter and headers.key.separator may not be equal');
  if (headersSeparator === headersKeySeparator) throw new Error('headers.separator and headers.key.separator may not be equal');
  if (nullMarker !== undefined) {
    if (keySeparator === nullMarker) throw new Error('null.marker and key.separator may not be equal');
    if (headersSeparator === nullMarker) throw new Error('null.marker and headers.separator may not be equal');
    if (headersDelimiter === nullMarker) throw new Error('null.marker and headers.delimiter may not be equal');
    if (headersKeySeparator === nullMarker) throw new Error('null.marker and headers.key.separator may not be equal');
  }
  let separator: RegExp;
  try {
    // Kafka splits headers with Pattern.compile(headers.separator): the separator is a regex.
    separator = new RegExp(headersSeparator);
  } catch {
    throw new Error(`headers.separator '${headersSeparator}' is not a valid regular expression`);
  }
  return {
    parseKey: boolProperty(props.get('parse.key')),
    keySeparator,
    parseHeaders: boolProperty(props.get('parse.headers')),
    headersDelimiter,
    headersSeparator: separator,
    headersKeySeparator,
    ignoreError: boolProperty(props.get('ignore.error')),
    nullMarker,
  };
}

export interface ParsedLine {
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: string; value: Buffer | null }[];
}

/** A line the reader cannot parse (Kafka's KafkaException from LineMessageReader). */
export class LineFormatError extends Error {}

/** Java's String.split(regex) on a non-empty input: trailing empty strings are dropped. */
function javaSplit(s: string, re: RegExp): string[] {
  const parts = s.split(new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`));
  // A zero-width match at the start does not make a leading empty string in Java 8+.
  if (parts.length > 1 && parts[0] === '' && s.search(re) === 0 && (s.match(re)?.[0].length ?? 0) === 0) parts.shift();
  while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length === 1 && parts[0] === '' && s.length > 0) return [];
  return parts;
}

/** LineMessageReader's parse of one line (without its line terminator). */
export function parseLine(c: ReaderConfig, line: string, lineNumber: number): ParsedLine {
  const part = (enabled: boolean, start: number, demarcation: string, name: string): string | null => {
    if (!enabled) return null;
    const index = line.indexOf(demarcation, start);
    if (index === -1) {
      if (c.ignoreError) return null;
      throw new LineFormatError(`No ${name} found on line number ${lineNumber}: '${line}'`);
    }
    return line.substring(start, index);
  };
  const headers = part(c.parseHeaders, 0, c.headersDelimiter, 'headers delimiter');
  const headerOffset = headers === null ? 0 : headers.length + c.headersDelimiter.length;
  const key = part(c.parseKey, headerOffset, c.keySeparator, 'key separator');
  const keyOffset = key === null ? 0 : key.length + c.keySeparator.length;
  const value = line.substring(headerOffset + keyOffset);
  const out: ParsedLine = {
    key: key !== null && key !== c.nullMarker ? Buffer.from(key, 'utf8') : null,
    value: value !== c.nullMarker ? Buffer.from(value, 'utf8') : null,
    headers: [],
  };
  if (headers !== null && headers !== c.nullMarker) {
    for (const pair of javaSplit(headers, c.headersSeparator)) {
      const i = pair.indexOf(c.headersKeySeparator);
      if (i === -1) {
        if (c.ignoreError) {
          out.headers.push({ key: pair, value: null });
          continue;
        }
        throw new LineFormatError(`No header key separator found in pair '${pair}' on line number ${lineNumber}`);
      }
      const headerKey = pair.substring(0, i);
      if (headerKey === c.nullMarker) {
        throw new LineFormatError(`Header keys should not be equal to the null marker '${c.nullMarker}' as they can't be null`);
      }
      const v = pair.substring(i + c.headersKeySeparator.length);
      out.headers.push({ key: headerKey, value: v === c.nullMarker ? null : Buffer.from(v, 'utf8') });
    }
  }
  return out;
}

/** Kafka's Uuid.toString(): the 16 bytes in URL-safe base64 without padding. */
export function kafkaUuid(hyphenated: string): string {
  return Buffer.from(hyphenated.replace(/-/g, ''), 'hex').toString('base64url');
}
