/**
 * `gregor consume --format json`: one JSON object per record and line (JSON Lines), for scripts:
 * {"topic","partition","offset","timestamp","timestampType","key","value","headers":[{"key","value"}]}.
 * Keys, values and header values are UTF-8 text when they are valid UTF-8; other bytes are given in
 * base64 with a sibling "<field>Encoding": "base64" (a header gets "valueEncoding"), so nothing is
 * lost or silently replaced. Offsets and timestamps are numbers (strings past 2^53).
 */
import type { ConsumerRecord } from '../client/consumer.js';
import { toJson } from './tool-support.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The bytes as text, or in base64 when they are not valid UTF-8. */
function bytesField(name: string, bytes: Buffer | null, into: Record<string, unknown>): void {
  if (bytes === null) {
    into[name] = null;
    return;
  }
  try {
    into[name] = strictUtf8.decode(bytes);
  } catch {
    into[name] = bytes.toString('base64');
    into[`${name}Encoding`] = 'base64';
  }
}

export class JsonRecordFormatter {
  format(r: ConsumerRecord, out: Buffer[]): void {
    const obj: Record<string, unknown> = { topic: r.topic, partition: r.partition, offset: r.offset, timestamp: r.timestamp, timestampType: r.timestampType };
    bytesField('key', r.key, obj);
    bytesField('value', r.value, obj);
    obj.headers = r.headers.map((h) => {
      const header: Record<string, unknown> = { key: h.key };
      bytesField('value', h.value, header);
      return header;
    });
    out.push(Buffer.from(`${toJson(obj)}\n`, 'utf8'));
  }
}
