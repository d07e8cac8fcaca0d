/**
 * The package as an application loads it: `require('gregor')` from CommonJS and `import 'gregor'`
 * from an ES module, each in a node process of its own in a scratch project whose node_modules links
 * this package. Each starts a broker with Broker.start, asks it for its api versions through
 * `gregor/protocol` over a socket, and stops it. The CommonJS script runs with require(esm) turned
 * off where Node has it, as jest's default module system and older Node have no require(esm): it must
 * get the CommonJS build, not fall back to the ES one.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtAt, newestSourceMtime } from './helpers/dist-build.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** What `npm install` does to a clone (its prepare script): both builds, when src/ is newer. */
function ensureBuilt(): void {
  const newest = newestSourceMtime();
  if (builtAt('dist/index.js') >= newest && builtAt('dist/cjs/index.js') >= newest && builtAt('dist/cjs/package.json') > 0) return;
  const r = spawnSync('npm', ['run', 'build'], { cwd: REPO, encoding: 'utf8' });
  if (builtAt('dist/cjs/index.js') < newest) throw new Error(`npm run build did not build dist/ and dist/cjs/:\n${r.stdout}\n${r.stderr}`);
}

// Shared by both scripts: start, one ApiVersions round trip with the codec, stop; one JSON line out.
const body = (load: string): string => `${load}
const net = require('node:net');
(async () => {
  const broker = await Broker.start({ port: 0 });
  const socket = net.connect(broker.port, broker.host);
  await new Promise((r, j) => socket.once('connect', r).once('error', j));
  const header = { apiKey: protocol.ApiKey.ApiVersions, apiVersion: 3, correlationId: 7, clientId: 'entry-point' };
  socket.write(protocol.encodeRequest(header, { ...protocol.defaultApiVersionsRequest(), clientSoftwareName: 'test', clientSoftwareVersion: '1' }));
  let buffered = Buffer.alloc(0);
  const frame = await new Promise((r) => socket.on('data', (c) => {
    buffered = Buffer.concat([buffered, c]);
    if (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) r(buffered.subarray(4, 4 + buffered.readInt32BE(0)));
  }));
  socket.destroy();
  const response = protocol.decodeResponse(frame, protocol.ApiKey.ApiVersions, 3);
  await broker.stop();
  console.log(JSON.stringify({ resolved, correlationId: response.correlationId, errorCode: response.body.errorCode, apis: response.body.apiKeys.length }));
})().catch((err) => { console.error(err); process.exit(1); });
`;

const CJS = body(`const { Broker } = require('gregor');
const protocol = require('gregor/protocol');
const resolved = [require.resolve('gregor'), require.resolve('gregor/protocol')];`);

// An ES module has no require: net comes through createRequire so that the body is shared.
const ESM = body(`import { Broker } from 'gregor';
import * as protocol from 'gregor/protocol';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const resolved = [import.meta.resolve('gregor'), import.meta.resolve('gregor/protocol')];`);

let scratch: string;

beforeAll(() => {
  ensureBuilt();
  scratch = mkdtempSync(join(tmpdir(), 'gregor-entry-points-'));
  mkdirSync(join(scratch, 'node_modules'));
  symlinkSync(REPO, join(scratch, 'node_modules', 'gregor'), 'dir');
  writeFileSync(join(scratch, 'app.cjs'), CJS);
  writeFileSync(join(scratch, 'app.mjs'), ESM);
}, 300_000);

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function runNode(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { cwd: scratch, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => { done({ code, stdout, stderr }); });
  });
}

describe('the package entry points', () => {
  it('require(): the CommonJS build starts and stops a broker and encodes and decodes with gregor/protocol', async () => {
    const noRequireEsm = 'require_module' in process.features ? ['--no-experimental-require-module'] : [];
    const r = await runNode([...noRequireEsm, 'app.cjs']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { resolved: string[]; correlationId: number; errorCode: number; apis: number };
    expect(out.resolved).toEqual([join(REPO, 'dist/cjs/index.js'), join(REPO, 'dist/cjs/protocol/index.js')]);
    expect(out).toMatchObject({ correlationId: 7, errorCode: 0 });
    expect(out.apis).toBeGreaterThan(10);
  });

  it('import: the ES module build does the same', async () => {
    const r = await runNode(['app.mjs']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { resolved: string[]; correlationId: number; errorCode: number; apis: number };
    expect(out.resolved.map((u) => fileURLToPath(u))).toEqual([join(REPO, 'dist/index.js'), join(REPO, 'dist/protocol/index.js')]);
    expect(out).toMatchObject({ correlationId: 7, errorCode: 0 });
    expect(out.apis).toBeGreaterThan(10);
  });
});
