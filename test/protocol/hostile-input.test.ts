/**
 * Bytes no client should send: truncated frames, lengths pointing past the end, negative and huge
 * counts, overlong varints, unknown tags, random garbage. Decoding must end in ProtocolDecodeError
 * (or a valid message, when the mutation happens to stay valid), never another exception, a hang,
 * or an allocation sized by the hostile length.
 */
import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { loadProtocol } from '../../scripts/protocol-schema.js';
import { decodeRequest, encodeRequest, UnsupportedVersionError } from '../../src/protocol/codec.js';
import { ProtocolDecodeError } from '../../src/protocol/decode-error.js';
import { API_TABLE, type ApiKey } from '../../src/protocol/generated/api-table.js';
import { Reader } from '../../src/protocol/reader.js';
import { Random, randomStruct } from './schema-values.js';

const root = join(new URL('.', import.meta.url).pathname, '..', '..');
const requests = loadProtocol(join(root, 'protocol')).filter((m) => m.kind === 'request');

/** Decodes and reports how it ended: 'ok', 'decode-error', or the unexpected error. */
function attempt(frame: Buffer): 'ok' | 'decode-error' {
  try {
    decodeRequest(frame);
    return 'ok';
  } catch (e) {
    if (e instanceof ProtocolDecodeError) return 'decode-error';
    throw e;
  }
}

function validFrames(seed: number): Buffer[] {
  const frames: Buffer[] = [];
  for (const msg of requests) {
    for (let v = msg.validVersions.min; v <= msg.validVersions.max; v++) {
      const body = randomStruct(new Random(seed + v * 31 + msg.apiKey), msg.fields, msg, v);
      const header = { apiKey: msg.apiKey as ApiKey, apiVersion: v, correlationId: 7, clientId: 'c' };
      // Strip the size prefix: decodeRequest takes what follows it.
      frames.push(encodeRequest(header, body as never).subarray(4));
    }
  }
  return frames;
}

describe('hostile request frames', () => {
  const frames = validFrames(1);

  it('decodes every valid frame', () => {
    for (const f of frames) expect(attempt(f)).toBe('ok');
  });

  it('rejects every truncation of every valid frame with ProtocolDecodeError', () => {
    let rejected = 0;
    for (const f of frames) {
      // Every prefix shorter than the frame must fail cleanly (or, rarely, decode: trailing optional data).
      const step = Math.max(1, Math.floor(f.length / 40));
      for (let n = 0; n < f.length; n += step) {
        if (attempt(f.subarray(0, n)) === 'decode-error') rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(frames.length);
  });

  it('survives random byte flips and random garbage', () => {
    const rnd = new Random(99);
    let outcomes = 0;
    for (const f of frames) {
      for (let k = 0; k < 8; k++) {
        const copy = Buffer.from(f);
        const flips = rnd.int(1, 4);
        for (let i = 0; i < flips; i++) copy[rnd.int(0, copy.length - 1)] = rnd.int(0, 255);
        attempt(copy);
        outcomes++;
      }
    }
    for (let i = 0; i < 2000; i++) {
      const garbage = rnd.bytes(rnd.int(0, 300));
      // Keep a known api key and version half the time so the garbage reaches the body decoders.
      if (garbage.length >= 4 && rnd.chance(0.5)) {
        const keys = Object.keys(API_TABLE).map(Number);
        const info = API_TABLE[keys[rnd.int(0, keys.length - 1)] as ApiKey];
        garbage.writeInt16BE(info.key, 0);
        garbage.writeInt16BE(rnd.int(info.minVersion, info.maxVersion), 2);
      }
      attempt(garbage);
      outcomes++;
    }
    expect(outcomes).toBeGreaterThan(2000);
  });

  it('refuses huge and negative counts before allocating for them', () => {
    // Metadata v1: header, then topics array count.
    const header = Buffer.from([0, 3, 0, 1, 0, 0, 0, 1, 0, 1, 0x63]);
    for (const count of [0x7fffffff, 0x10000000, -2, -0x80000000]) {
      const n = Buffer.alloc(4);
      n.writeInt32BE(count);
      const before = process.memoryUsage().heapUsed;
      expect(attempt(Buffer.concat([header, n, Buffer.alloc(8)]))).toBe('decode-error');
      expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
    }
  });

  it('refuses string and bytes lengths past the end', () => {
    // ApiVersions v0 has an empty body, so use SaslHandshake v1: mechanism string claiming 30000 bytes.
    const frame = Buffer.from([0, 17, 0, 1, 0, 0, 0, 1, 0, 1, 0x63, 0x75, 0x30, 0x41]);
    expect(attempt(frame)).toBe('decode-error');
  });

  it('refuses overlong varints and compact lengths', () => {
    // ApiVersions v3 (flexible): header v2 then clientSoftwareName as a compact string with a 6-byte varint.
    const frame = Buffer.from([0, 18, 0, 3, 0, 0, 0, 1, 0, 1, 0x63, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(attempt(frame)).toBe('decode-error');
    const r = new Reader(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80]));
    expect(() => r.unsignedVarint()).toThrow(ProtocolDecodeError);
  });

  it('keeps unknown tags and rejects a tag whose size runs past the end', () => {
    // ApiVersions v3 request: header v2 with no tags, body: two compact strings, then one tag claiming 100 bytes.
    const good = Buffer.from([0, 18, 0, 3, 0, 0, 0, 1, 0, 1, 0x63, 0, 2, 0x61, 2, 0x62, 1, 9, 2, 0xaa, 0xbb]);
    const decoded = decodeRequest(good);
    expect((decoded.body as { _unknownTaggedFields?: unknown })._unknownTaggedFields).toEqual([{ tag: 9, data: Buffer.from([0xaa, 0xbb]) }]);
    const bad = Buffer.from([0, 18, 0, 3, 0, 0, 0, 1, 0, 1, 0x63, 0, 2, 0x61, 2, 0x62, 1, 9, 100, 0xaa]);
    expect(attempt(bad)).toBe('decode-error');
  });

  it('rejects unknown api keys, and reports unsupported versions with the header it could read', () => {
    expect(attempt(Buffer.from([0x7f, 0x00, 0, 0, 0, 0, 0, 1, 0xff, 0xff]))).toBe('decode-error');
    const frame = Buffer.from([0, 18, 0x01, 0, 0, 0, 0, 42, 0, 3, 0x61, 0x62, 0x63]);
    let error: unknown;
    try {
      decodeRequest(frame);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnsupportedVersionError);
    expect(error).toMatchObject({ apiKey: 18, apiVersion: 256, correlationId: 42, clientId: 'abc' });
  });
});
