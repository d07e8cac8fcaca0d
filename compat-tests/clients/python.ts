/**
 * The two Python clients, each driven by a small script (kafka_python_driver.py,
 * confluent_kafka_driver.py) that takes one JSON command on stdin and prints one JSON result.
 *
 * The interpreter is found, not assumed: the Debian packages python3-kafka and
 * python3-confluent-kafka install into /usr/bin/python3, while the `python3` first on PATH may be
 * another interpreter without them. COMPAT_PYTHON overrides the search.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, tail } from '../lib/process.js';
import {
  ClientError,
  type ClientDriver,
  type ClientName,
  type ClusterMetadata,
  type ConsumeOptions,
  type Feature,
  type InMessage,
  type NewTopic,
  type OffsetSpec,
  type OutMessage,
  type ProduceOptions,
  type ProduceResult,
  type TransactionStep,
  type TransformRequest,
  type TransformResult,
} from '../lib/types.js';

const HERE = dirname(fileURLToPath(import.meta.url));

const interpreters = new Map<string, Promise<string | null>>();

/** The first interpreter that imports `module`, or null. */
export function pythonFor(module: string): Promise<string | null> {
  let p = interpreters.get(module);
  if (!p) {
    p = (async () => {
      const candidates = [process.env.COMPAT_PYTHON, '/usr/bin/python3', 'python3'].filter((c): c is string => !!c);
      for (const c of candidates) {
        try {
          const r = await run(c, ['-c', `import ${module}`], { timeoutMs: 20_000 });
          if (r.code === 0) return c;
        } catch {
          // not installed
        }
      }
      return null;
    })();
    interpreters.set(module, p);
  }
  return p;
}

interface PyError {
  code: number | null;
  name: string;
  message: string;
  where: 'broker' | 'local' | 'unknown';
}

type PyResult = { ok: true; [k: string]: unknown } | { ok: false; error: PyError; trace?: string };

interface PyMessage {
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: { key: string; value: string }[];
}

const b64 = (b: Buffer | null | undefined): string | null => (b === null || b === undefined ? null : b.toString('base64'));
const unb64 = (s: string | null): Buffer | null => (s === null ? null : Buffer.from(s, 'base64'));

abstract class PythonDriver implements ClientDriver {
  abstract readonly name: ClientName;
  protected abstract readonly module: string;
  protected abstract readonly script: string;
  protected abstract readonly debianPackage: string;
  private caps: Promise<Record<string, unknown>> | undefined;

  /** Runs one command; returns the result object or throws ClientError. */
  async call(command: Record<string, unknown>, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    const python = await pythonFor(this.module);
    if (!python) {
      throw new Error(
        `${this.name}: no Python interpreter here imports '${this.module}' (install the Debian package ${this.debianPackage}; .ci/run does)`,
      );
    }
    const r = await run(python, [join(HERE, this.script)], { input: JSON.stringify(command), timeoutMs });
    if (r.timedOut) throw new ClientError(this.name, `${String(command.op)} timed out after ${r.ms} ms\n${tail(r.stderr)}`, null, 'timeout', 'unknown');
    let result: PyResult;
    try {
      result = JSON.parse(r.stdout.toString('utf8')) as PyResult;
    } catch {
      throw new Error(`${this.name} driver printed no JSON (exit ${r.code ?? r.signal}):\n${tail(r.stdout.toString())}\n${tail(r.stderr)}`);
    }
    if (!result.ok) {
      const e = result.error;
      throw new ClientError(this.name, `${String(command.op)}: ${e.message}${result.trace ? `\n${tail(result.trace, 6)}` : ''}`, e.code, e.name, e.where);
    }
    return result;
  }

  capabilities(): Promise<Record<string, unknown>> {
    this.caps ??= this.call({ op: 'capabilities' });
    return this.caps;
  }

  abstract describe(): Promise<string>;
  abstract unsupported(feature: Feature): Promise<string | null>;

  async metadata(bootstrap: string, topics: string[]): Promise<ClusterMetadata> {
    const r = (await this.call({ op: 'metadata', bootstrap, topics })) as unknown as ClusterMetadata & {
      topics: { name: string; error: string | null; partitions: { partition: number; leader: number }[] }[];
    };
    return {
      brokers: r.brokers,
      clusterId: r.clusterId ?? null,
      ...(r.controllerId !== undefined ? { controllerId: r.controllerId } : {}),
      topics: r.topics.map((t) => ({ name: t.name, ...(t.error ? { error: t.error } : {}), partitions: t.partitions })),
    };
  }

  async createTopic(bootstrap: string, topic: NewTopic): Promise<void> {
    await this.call({ op: 'create_topic', bootstrap, name: topic.name, partitions: topic.partitions, configs: topic.configs ?? {} });
  }

  async deleteTopic(bootstrap: string, name: string): Promise<void> {
    await this.call({ op: 'delete_topic', bootstrap, name });
  }

  async produce(bootstrap: string, topic: string, messages: OutMessage[], options: ProduceOptions = {}): Promise<ProduceResult> {
    const r = await this.call(
      {
        op: 'produce',
        bootstrap,
        topic,
        codec: options.codec ?? 'none',
        acks: options.acks ?? -1,
        idempotent: options.idempotent ?? false,
        max_request_size: options.maxMessageBytes,
        max_message_bytes: options.maxMessageBytes,
        messages: messages.map((m) => ({
          key: b64(m.key),
          value: b64(m.value),
          headers: m.headers.map((h) => ({ key: h.key, value: b64(h.value) })),
          partition: m.partition ?? null,
          timestamp: m.timestamp ?? null,
        })),
      },
      options.timeoutMs ?? 90_000,
    );
    return { acked: r.acked as number, offsets: r.offsets as { partition: number; offset: number }[] };
  }

  async consume(bootstrap: string, topic: string, options: ConsumeOptions): Promise<InMessage[]> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const r = await this.call(
      {
        op: 'consume',
        bootstrap,
        topic,
        count: options.count,
        timeout_ms: timeoutMs,
        group: options.group ?? null,
        max_bytes: options.maxBytes ?? null,
        isolation: options.isolation ?? null,
      },
      timeoutMs + 30_000,
    );
    return (r.messages as PyMessage[]).map((m) => ({
      partition: m.partition,
      offset: m.offset,
      timestamp: m.timestamp,
      key: unb64(m.key),
      value: unb64(m.value),
      headers: m.headers.map((h) => ({ key: h.key, value: Buffer.from(h.value, 'base64') })),
    }));
  }

  async listOffsets(bootstrap: string, topic: string, partitions: number[], spec: OffsetSpec): Promise<Map<number, number>> {
    const r = await this.call({ op: 'list_offsets', bootstrap, topic, partitions, spec });
    return new Map((r.offsets as { partition: number; offset: number }[]).map((o) => [o.partition, o.offset]));
  }
}

export class KafkaPythonDriver extends PythonDriver {
  readonly name = 'kafka-python' as const;
  protected readonly module = 'kafka';
  protected readonly script = 'kafka_python_driver.py';
  protected readonly debianPackage = 'python3-kafka';

  async describe(): Promise<string> {
    const c = await this.capabilities();
    return `kafka-python ${String(c.version)}`;
  }

  async unsupported(feature: Feature): Promise<string | null> {
    switch (feature.kind) {
      case 'idempotence':
        return 'kafka-python 2.0.2 has no idempotent producer (enable_idempotence arrived in 2.1)';
      case 'transactions':
      case 'transactional-offsets':
        return 'kafka-python 2.0.2 has no transactional producer (transactions arrived in 2.1)';
      case 'isolation-level':
        return 'kafka-python 2.0.2 always fetches read_uncommitted (no isolation_level setting before 2.1)';
      case 'consume-codec':
        if (feature.codec === 'zstd') {
          return 'kafka-python 2.0.2 fetches with Fetch v4 and zstd needs Fetch v10+ (KIP-110): the broker answers UNSUPPORTED_COMPRESSION_TYPE, as Kafka does';
        }
        return this.unsupported({ kind: 'codec', codec: feature.codec });
      case 'codec': {
        const codecs = (await this.capabilities()).codecs as Record<string, boolean>;
        if (codecs[feature.codec]) return null;
        const pkg = ({ snappy: 'python3-snappy', lz4: 'python3-lz4', zstd: 'python3-zstandard' } as Partial<Record<string, string>>)[feature.codec];
        return `kafka-python needs the ${pkg ?? feature.codec} module for ${feature.codec}, not installed here`;
      }
      default:
        return null;
    }
  }
}

export class ConfluentKafkaDriver extends PythonDriver {
  readonly name = 'confluent-kafka' as const;
  protected readonly module = 'confluent_kafka';
  protected readonly script = 'confluent_kafka_driver.py';
  protected readonly debianPackage = 'python3-confluent-kafka';

  async describe(): Promise<string> {
    const c = await this.capabilities();
    return `confluent-kafka ${String(c.version)} (librdkafka ${String(c.librdkafka)})`;
  }

  async unsupported(_feature: Feature): Promise<string | null> {
    return null;
  }

  async produceTransactions(bootstrap: string, topic: string, transactionalId: string, steps: TransactionStep[]): Promise<void> {
    await this.call(
      {
        op: 'txn_produce',
        bootstrap,
        topic,
        transactional_id: transactionalId,
        steps: steps.map((s) => ({
          end: s.end,
          messages: s.messages.map((m) => ({
            key: b64(m.key),
            value: b64(m.value),
            headers: m.headers.map((h) => ({ key: h.key, value: b64(h.value) })),
            partition: m.partition ?? null,
          })),
        })),
      },
      120_000,
    );
  }

  async transform(bootstrap: string, request: TransformRequest): Promise<TransformResult> {
    const r = await this.call(
      {
        op: 'txn_transform',
        bootstrap,
        input: request.input,
        output: request.output,
        group: request.group,
        transactional_id: request.transactionalId,
        count: request.count,
        prefix: request.prefix,
        end: request.end,
        timeout_ms: 60_000,
      },
      120_000,
    );
    return { offsets: new Map((r.offsets as { partition: number; offset: number }[]).map((o) => [o.partition, o.offset])) };
  }

  /** Where the kill -9 scenario finds the script and interpreter for a long-running load. */
  async streamCommand(): Promise<{ python: string; script: string }> {
    const python = await pythonFor(this.module);
    if (!python) throw new Error(`confluent-kafka: no Python interpreter imports confluent_kafka (install python3-confluent-kafka)`);
    return { python, script: join(HERE, this.script) };
  }
}
