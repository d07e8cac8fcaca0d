/**
 * kcat (librdkafka's command-line client) through child_process, used as a user would:
 *
 *   produce   kcat -P -t T -K KEYDELIM -D MSGDELIM [-z codec] [-H k=v ...] [-p N] -X acks=all
 *   consume   kcat -C -t T -o beginning -e -f FORMAT       (or -G group T -c N for a group)
 *   offsets   kcat -Q -t T:P:TS ...                        (TS -2 earliest, -1 latest, or ms)
 *   metadata  kcat -L -J [-t T]
 *
 * The consume format prints the key and value lengths before the bytes, so binary keys and values
 * parse unambiguously: `@partition,offset,timestamp,keylen,valuelen@<key><value>@<headers>\n`
 * (-1 length for null). kcat prints headers as `k=v,k=v` without escaping, so the suite's header
 * values are plain ASCII. kcat sets headers per run (-H), not per message, and has no producer
 * timestamps or topic administration.
 */
import { KCAT_KEY_DELIMITER, KCAT_MESSAGE_DELIMITER } from '../lib/messages.js';
import { run, tail, type RunResult } from '../lib/process.js';
import {
  ClientError,
  type ClientDriver,
  type ClusterMetadata,
  type ConsumeOptions,
  type Feature,
  type Header,
  type InMessage,
  type NewTopic,
  type OffsetSpec,
  type OutMessage,
  type ProduceOptions,
  type ProduceResult,
} from '../lib/types.js';

export const KCAT = process.env.KCAT ?? 'kcat';
const FORMAT = '@%p,%o,%T,%K,%S@%k%s@%h\\n';

/** librdkafka error names for the Kafka codes the suite meets (rdkafka.h: RD_KAFKA_RESP_ERR_*). */
const LIBRDKAFKA_CODES: Record<string, number> = {
  'Message size too large': 10,
  'Unknown topic or partition': 3,
  'Offset out of range': 1,
  'Corrupt message': 2,
  'Out of order sequence number': 45,
};

/**
 * Options every run gets. librdkafka's own log is cut to errors. -q (verbosity 0) is added where
 * kcat's informational lines are noise; the producer keeps verbosity 1 because kcat prints each
 * failed delivery ("% Delivery failed for message: ...") only at verbosity 1 or more.
 */
function common(bootstrap: string, quiet = true): string[] {
  return ['-b', bootstrap, ...(quiet ? ['-q'] : []), '-X', 'log_level=3'];
}

function fail(what: string, r: RunResult): never {
  const reason = r.timedOut ? `timed out after ${r.ms} ms` : `exit ${r.code ?? r.signal}`;
  const stderr = tail(r.stderr);
  // "% Delivery failed for message: Broker: Message size too large" is the broker's answer relayed;
  // "% ERROR: Failed to produce message (N bytes): ..." is librdkafka refusing before sending;
  // "% ERROR: Topic t [0] error: Broker: Offset out of range" is a consumer error.
  const m = /(Delivery failed for message|ERROR)[^\n]*?Broker: ([^\n(]+)/.exec(stderr);
  if (m) {
    const name = m[2].trim();
    const where = /Failed to produce message/.test(stderr) ? 'local' : 'broker';
    throw new ClientError('kcat', `${what}: ${stderr}`, LIBRDKAFKA_CODES[name] ?? null, `Broker: ${name}`, where);
  }
  throw new ClientError('kcat', `${what}: ${reason}\n${stderr}`, null, reason, 'unknown');
}

function parseHeaders(text: string): Header[] {
  if (text === '') return [];
  return text.split(',').map((pair) => {
    const eq = pair.indexOf('=');
    return eq < 0 ? { key: pair, value: Buffer.alloc(0) } : { key: pair.slice(0, eq), value: Buffer.from(pair.slice(eq + 1), 'latin1') };
  });
}

/** Parses output in FORMAT. Exported for the driver's own unit check. */
export function parseConsumed(out: Buffer): InMessage[] {
  const msgs: InMessage[] = [];
  let pos = 0;
  const at = 0x40; // '@'
  while (pos < out.length) {
    if (out[pos] !== at) throw new Error(`kcat output: expected '@' at byte ${pos}: ${out.subarray(pos, pos + 40).toString('latin1')}`);
    const end = out.indexOf(at, pos + 1);
    const fields = out.subarray(pos + 1, end).toString('latin1').split(',').map(Number);
    const [partition, offset, timestamp, keyLen, valueLen] = fields as [number, number, number, number, number];
    pos = end + 1;
    const key = keyLen < 0 ? null : Buffer.from(out.subarray(pos, pos + keyLen));
    pos += Math.max(keyLen, 0);
    const value = valueLen < 0 ? null : Buffer.from(out.subarray(pos, pos + valueLen));
    pos += Math.max(valueLen, 0);
    if (out[pos] !== at) throw new Error(`kcat output: expected '@' after the value at byte ${pos}`);
    const nl = out.indexOf(0x0a, pos + 1);
    const headers = parseHeaders(out.subarray(pos + 1, nl).toString('latin1'));
    pos = nl + 1;
    msgs.push({ partition, offset, timestamp, key, value, headers });
  }
  return msgs;
}

export class KcatDriver implements ClientDriver {
  readonly name = 'kcat' as const;

  async describe(): Promise<string> {
    const r = await run(KCAT, ['-V'], { timeoutMs: 10_000 });
    const v = /Version (\S+).*?librdkafka (\S+)/s.exec(r.stdout.toString());
    return v ? `kcat ${v[1]} (librdkafka ${v[2]})` : 'kcat';
  }

  async unsupported(feature: Feature): Promise<string | null> {
    switch (feature.kind) {
      case 'admin':
        return 'kcat has no topic administration (no create/delete); topics come from auto-creation';
      case 'per-message-headers':
        return 'kcat sets headers per run (-H), not per message';
      case 'explicit-timestamps':
        return 'kcat -P has no option to set a message timestamp';
      case 'transactions':
        return 'kcat -P -X transactional.id=... puts a whole run in one transaction that commits at the end of input (or aborts on Ctrl-C), not transactions chosen step by step';
      case 'transactional-offsets':
        return 'kcat has no consume-transform-produce (no send_offsets_to_transaction)';
      default:
        return null; // every codec (builtin.features has gzip,snappy,lz4,zstd), idempotence, -Q, -G
    }
  }

  async metadata(bootstrap: string, topics: string[]): Promise<ClusterMetadata> {
    // kcat -L takes one -t (the last); list everything and pick the topics asked for. (With -t,
    // librdkafka's metadata request would also auto-create a missing topic.)
    const args = [...common(bootstrap), '-L', '-J'];
    const r = await run(KCAT, args, { timeoutMs: 20_000 });
    if (r.code !== 0) fail('kcat -L', r);
    const md = JSON.parse(r.stdout.toString('utf8')) as {
      controllerid?: number;
      brokers: { id: number; name: string }[];
      topics: { topic: string; error?: string; partitions: { partition: number; leader: number }[] }[];
    };
    return {
      brokers: md.brokers.map((b) => {
        const i = b.name.lastIndexOf(':');
        return { nodeId: b.id, host: b.name.slice(0, i), port: Number(b.name.slice(i + 1)) };
      }),
      ...(md.controllerid !== undefined ? { controllerId: md.controllerid } : {}),
      topics: md.topics
        .filter((t) => topics.length === 0 || topics.includes(t.topic))
        .map((t) => ({
        name: t.topic,
        ...(t.error ? { error: t.error } : {}),
        partitions: t.partitions.map((p) => ({ partition: p.partition, leader: p.leader })),
      })),
    };
  }

  async createTopic(_bootstrap: string, _topic: NewTopic): Promise<void> {
    throw new Error('kcat has no topic administration');
  }

  async deleteTopic(_bootstrap: string, _name: string): Promise<void> {
    throw new Error('kcat has no topic administration');
  }

  async produce(bootstrap: string, topic: string, messages: OutMessage[], options: ProduceOptions = {}): Promise<ProduceResult> {
    if (messages.some((m) => m.timestamp !== undefined)) throw new Error('kcat cannot set message timestamps');
    const headers = messages[0]?.headers ?? [];
    const same = (hs: Header[]): boolean =>
      hs.length === headers.length && hs.every((h, i) => h.key === headers[i].key && h.value.equals(headers[i].value));
    if (!messages.every((m) => same(m.headers))) throw new Error('kcat sets headers per run: all messages need the same headers');
    // One kcat run per explicit partition (-p), one for the partitioner's choice.
    const groups = new Map<number, OutMessage[]>();
    for (const m of messages) {
      const p = m.partition ?? -1;
      let g = groups.get(p);
      if (!g) groups.set(p, (g = []));
      g.push(m);
    }
    for (const [partition, group] of groups) {
      const input = Buffer.concat(
        group.flatMap((m) => [m.key ?? Buffer.alloc(0), Buffer.from(KCAT_KEY_DELIMITER), m.value, Buffer.from(KCAT_MESSAGE_DELIMITER)]),
      );
      const args = [
        ...common(bootstrap, false),
        '-P',
        '-t',
        topic,
        '-p',
        String(partition),
        '-K',
        KCAT_KEY_DELIMITER,
        '-D',
        KCAT_MESSAGE_DELIMITER,
        '-X',
        `acks=${options.acks ?? -1}`,
        '-X',
        'linger.ms=5',
        ...(options.codec && options.codec !== 'none' ? ['-z', options.codec] : []),
        ...(options.idempotent ? ['-X', 'enable.idempotence=true'] : []),
        ...(options.maxMessageBytes ? ['-X', `message.max.bytes=${options.maxMessageBytes}`] : []),
        ...headers.flatMap((h) => ['-H', `${h.key}=${h.value.toString('latin1')}`]),
      ];
      const r = await run(KCAT, args, { input, timeoutMs: options.timeoutMs ?? 60_000 });
      // kcat exits 0 even when deliveries failed; it prints each failure on stderr.
      if (r.code !== 0 || /Delivery failed|ERROR/.test(r.stderr)) fail('kcat -P', r);
    }
    return { acked: messages.length };
  }

  async consume(bootstrap: string, topic: string, options: ConsumeOptions): Promise<InMessage[]> {
    const args = options.group
      ? [
          ...common(bootstrap),
          '-G',
          options.group,
          topic,
          // No -o: kcat -G -o sets that offset on every assigned partition, ignoring commits.
          '-X',
          'auto.offset.reset=earliest',
          '-c',
          String(options.count),
          '-f',
          FORMAT,
          '-X',
          'session.timeout.ms=10000',
        ]
      : [...common(bootstrap), '-C', '-t', topic, '-o', 'beginning', '-e', '-f', FORMAT];
    if (options.maxBytes) args.push('-X', `fetch.message.max.bytes=${options.maxBytes}`);
    if (options.isolation) args.push('-X', `isolation.level=${options.isolation}`);
    const r = await run(KCAT, args, { timeoutMs: options.timeoutMs ?? 60_000 });
    if (r.timedOut && !options.group) fail('kcat -C', r);
    if (!r.timedOut && r.code !== 0) fail(options.group ? 'kcat -G' : 'kcat -C', r);
    if (/ERROR/.test(r.stderr)) fail(options.group ? 'kcat -G' : 'kcat -C', r);
    return parseConsumed(r.stdout);
  }

  async listOffsets(bootstrap: string, topic: string, partitions: number[], spec: OffsetSpec): Promise<Map<number, number>> {
    const ts = spec === 'earliest' ? -2 : spec === 'latest' ? -1 : spec.timestamp;
    const args = [...common(bootstrap), '-Q', ...partitions.flatMap((p) => ['-t', `${topic}:${p}:${ts}`])];
    const r = await run(KCAT, args, { timeoutMs: 20_000 });
    if (r.code !== 0) fail('kcat -Q', r);
    // "topic [0] offset 12" per partition
    const out = new Map<number, number>();
    for (const m of r.stdout.toString('utf8').matchAll(/\[(\d+)\]\s+offset\s+(-?\d+)/g)) out.set(Number(m[1]), Number(m[2]));
    if (out.size !== partitions.length) fail(`kcat -Q printed no offsets for every partition: ${r.stdout.toString()}`, r);
    return out;
  }
}
