/**
 * The floor for the broker bench (broker.bench.ts): a minimal Node program that receives
 * length-prefixed frames on a socket and appends them to a file, and speaks just enough of the
 * Kafka protocol for an unmodified kcat producer to run against it:
 *
 * - ApiVersions (v0-3): advertises ApiVersions 0-3, Metadata 0-1 and Produce 3-7 only, so
 *   librdkafka sends nothing else (no idempotence, no fetches).
 * - Metadata (v0-1): this one broker leads every partition of the topics given on the command line.
 * - Produce (v3-7): the response echoes each topic and partition with a base offset taken from a
 *   counter (the batch headers' lastOffsetDelta, read per batch, never per record); acks=0 is not
 *   answered.
 *
 * Every frame (each request kcat sends, whole, with its size prefix) is appended to the file through
 * one fs.WriteStream (queued frames reach the file in one writev), and each response is written to
 * the socket from that write's callback: a produce is acknowledged once its bytes are written to the
 * OS, as Gregor acknowledges acks=-1, and responses leave in request order because the stream
 * completes in order.
 * There is no validation, no index, no per-partition log: that is the point of a floor.
 *
 *   node --import tsx scripts/bench/frame-sink.ts --file /tmp/sink.bin --topics a:1,b:6
 *
 * prints "frame-sink listening on 127.0.0.1:PORT" once it is listening.
 */
import { createWriteStream } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { file: { type: 'string' }, topics: { type: 'string', default: '' }, port: { type: 'string', default: '0' } },
});
if (!values.file) throw new Error('--file is required');
const topics = new Map<string, number>();
for (const spec of values.topics.split(',').filter(Boolean)) {
  const [name, n] = spec.split(':') as [string, string | undefined];
  topics.set(name, Number(n ?? 1));
}
const out = createWriteStream(values.file, { flags: 'a' });
/** Next offset per "topic:partition". */
const offsets = new Map<string, bigint>();
let host = '127.0.0.1';
let frames = 0;
let bytes = 0;
let port = 0;

const API_VERSIONS: [number, number, number][] = [
  [0, 3, 7], // Produce
  [3, 0, 1], // Metadata
  [18, 0, 3], // ApiVersions
];

/** A tiny growable writer for responses (they are small). */
class Out {
  buf = Buffer.allocUnsafe(256);
  n = 4; // room for the size prefix
  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const b = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.n + k));
    this.buf.copy(b, 0, 0, this.n);
    this.buf = b;
  }
  i8(v: number): this {
    this.room(1);
    this.buf.writeInt8(v, this.n);
    this.n += 1;
    return this;
  }
  i16(v: number): this {
    this.room(2);
    this.buf.writeInt16BE(v, this.n);
    this.n += 2;
    return this;
  }
  i32(v: number): this {
    this.room(4);
    this.buf.writeInt32BE(v, this.n);
    this.n += 4;
    return this;
  }
  i64(v: bigint): this {
    this.room(8);
    this.buf.writeBigInt64BE(v, this.n);
    this.n += 8;
    return this;
  }
  str(s: string | null): this {
    if (s === null) return this.i16(-1);
    const len = Buffer.byteLength(s);
    this.i16(len);
    this.room(len);
    this.buf.write(s, this.n);
    this.n += len;
    return this;
  }
  done(): Buffer {
    this.buf.writeInt32BE(this.n - 4, 0);
    return this.buf.subarray(0, this.n);
  }
}

/** A bounds-unchecked reader: the sink trusts kcat. */
class In {
  constructor(
    readonly b: Buffer,
    public p = 0,
  ) {}
  i16(): number {
    const v = this.b.readInt16BE(this.p);
    this.p += 2;
    return v;
  }
  i32(): number {
    const v = this.b.readInt32BE(this.p);
    this.p += 4;
    return v;
  }
  str(): string | null {
    const len = this.i16();
    if (len < 0) return null;
    const s = this.b.toString('utf8', this.p, this.p + len);
    this.p += len;
    return s;
  }
  uvarint(): number {
    let v = 0;
    let shift = 0;
    for (;;) {
      const byte = this.b[this.p++];
      v |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return v;
      shift += 7;
    }
  }
}

function apiVersions(version: number, correlationId: number): Buffer {
  const o = new Out().i32(correlationId).i16(0);
  if (version >= 3) {
    o.i8(API_VERSIONS.length + 1);
    for (const [k, min, max] of API_VERSIONS) o.i16(k).i16(min).i16(max).i8(0);
    o.i32(0).i8(0);
  } else {
    o.i32(API_VERSIONS.length);
    for (const [k, min, max] of API_VERSIONS) o.i16(k).i16(min).i16(max);
    if (version >= 1) o.i32(0);
  }
  return o.done();
}

function metadata(r: In, version: number, correlationId: number): Buffer {
  const n = r.i32();
  const names: string[] = [];
  for (let i = 0; i < n; i++) names.push(r.str()!);
  const wanted = n <= 0 ? [...topics.keys()] : names;
  const o = new Out().i32(correlationId);
  o.i32(1).i32(1).str(host).i32(port);
  if (version >= 1) o.str(null); // rack
  if (version >= 1) o.i32(1); // controller id
  o.i32(wanted.length);
  for (const name of wanted) {
    const count = topics.get(name);
    o.i16(count === undefined ? 3 : 0).str(name); // 3: UNKNOWN_TOPIC_OR_PARTITION
    if (version >= 1) o.i8(0); // is_internal
    o.i32(count ?? 0);
    for (let p = 0; p < (count ?? 0); p++) o.i16(0).i32(p).i32(1).i32(1).i32(1).i32(1).i32(1);
  }
  return o.done();
}

function produce(r: In, version: number, correlationId: number): Buffer | null {
  r.str(); // transactional id
  const acks = r.i16();
  r.i32(); // timeout
  const o = new Out().i32(correlationId);
  const topicCount = r.i32();
  o.i32(topicCount);
  for (let t = 0; t < topicCount; t++) {
    const name = r.str()!;
    o.str(name);
    const partCount = r.i32();
    o.i32(partCount);
    for (let i = 0; i < partCount; i++) {
      const index = r.i32();
      const size = r.i32();
      const end = r.p + Math.max(size, 0);
      // Count the records from each batch header: baseOffset(8) length(4) ... lastOffsetDelta at 23.
      let records = 0;
      for (let p = r.p; p + 27 <= end; ) {
        records += r.b.readInt32BE(p + 23) + 1;
        p += 12 + r.b.readInt32BE(p + 8);
      }
      r.p = end;
      const key = `${name}:${index}`;
      const base = offsets.get(key) ?? 0n;
      offsets.set(key, base + BigInt(records));
      o.i32(index).i16(0).i64(base).i64(-1n);
      if (version >= 5) o.i64(0n);
    }
  }
  o.i32(0); // throttle time
  return acks === 0 ? null : o.done();
}

function respond(frame: Buffer): Buffer | null {
  const r = new In(frame);
  const apiKey = r.i16();
  const version = r.i16();
  const correlationId = r.i32();
  r.str(); // client id
  if (apiKey === 18) return apiVersions(version, correlationId); // header v2 fields are not needed
  if (apiKey === 3) return metadata(r, version, correlationId);
  if (apiKey === 0) return produce(r, version, correlationId);
  throw new Error(`frame-sink: api ${apiKey} v${version} not supported`);
}

function serve(socket: Socket): void {
  socket.setNoDelay(true);
  const chunks: Buffer[] = [];
  let buffered = 0;
  let need = -1;
  let prefix: Buffer = Buffer.alloc(0);
  // Removes the next n bytes: a view when they sit in the first chunk, else one copy of n bytes.
  const take = (n: number): Buffer => {
    buffered -= n;
    const first = chunks[0];
    if (first.length >= n) {
      if (first.length === n) chunks.shift();
      else chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const joined = Buffer.allocUnsafe(n);
    for (let filled = 0; filled < n; ) {
      const c = chunks[0];
      const k = Math.min(c.length, n - filled);
      c.copy(joined, filled, 0, k);
      filled += k;
      if (k === c.length) chunks.shift();
      else chunks[0] = c.subarray(k);
    }
    return joined;
  };
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    buffered += chunk.length;
    for (;;) {
      if (need < 0) {
        if (buffered < 4) return;
        prefix = take(4);
        need = prefix.readInt32BE(0);
      }
      if (buffered < need) return;
      const frame = take(need);
      need = -1;
      const response = respond(frame);
      frames++;
      bytes += 4 + frame.length;
      out.write(prefix);
      out.write(frame, () => {
        if (response && !socket.destroyed) socket.write(response);
      });
    }
  });
  socket.on('error', () => {});
}

const server = createServer({ noDelay: true }, serve);
server.listen(Number(values.port), '127.0.0.1', () => {
  const a = server.address() as AddressInfo;
  host = a.address;
  port = a.port;
  process.stdout.write(`frame-sink listening on ${host}:${port}\n`);
});
const stop = (): void => {
  process.stderr.write(`frame-sink: ${frames} frames, ${bytes} bytes\n`);
  server.close();
  out.end(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
