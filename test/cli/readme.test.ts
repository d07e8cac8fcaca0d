/**
 * README.md's commands, run as a reader would run them, so that the README cannot rot.
 *
 * Every fenced block marked `sh` or `console` is run, in order, in a scratch directory that looks
 * like a clone (package.json, dist/ and node_modules/ linked from this repository), against the
 * broker the README itself starts with `npm start`; blocks marked `python NAME` or `js NAME` are
 * written to NAME first. `localhost:9092` becomes a free port everywhere (the broker gets it through
 * GREGOR_LISTENERS, as a user could set it).
 *
 * - `sh`: each line is a command that must succeed. `npm start` is left running (it is the broker)
 *   once it says it is listening. `npm install` is the one command not run here: it installs
 *   dependencies over the network and CI runs it as its first step on a fresh machine (checked
 *   below); what it does to a clone that is already installed, building dist/ (its `prepare`
 *   script), is done here when dist/ is older than src/.
 * - `console`: a transcript. `$ ` lines are commands; `>` lines are what is typed (standard input,
 *   then end of input); `^C` interrupts the command once the lines before it were printed; the
 *   other lines are the expected output, standard output then standard error. Compared after
 *   trimming trailing blanks, with topic ids (random) and npm's own warnings set aside.
 * - npx runs with a cache of its own in the scratch directory, offline, without scripts (it would
 *   run the build that ensureDistBuilt already did).
 * - `python3` is an interpreter that has kafka-python (the first python3 on PATH may lack it; CI
 *   installs Debian's python3-kafka into /usr/bin/python3).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDistBuilt } from '../helpers/dist-build.js';
import { REPO, freePort } from './helpers.js';

interface Block {
  lang: string;
  name: string | undefined;
  body: string;
  line: number;
}

function readmeBlocks(): Block[] {
  const text = readFileSync(join(REPO, 'README.md'), 'utf8');
  const blocks: Block[] = [];
  const re = /^```([^\s`]*)[ \t]*([^\s`]*)[^\n]*\n([\s\S]*?)^```[ \t]*$/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    blocks.push({ lang: m[1], name: m[2] || undefined, body: m[3], line: text.slice(0, m.index).split('\n').length });
  }
  return blocks;
}

function python3WithKafka(): string | undefined {
  for (const candidate of ['python3', '/usr/bin/python3']) {
    if (spawnSync(candidate, ['-c', 'import kafka'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  return undefined;
}

const normalize = (text: string): string[] => {
  const lines = text
    .split('\n')
    .filter((l) => !/^npm (warn|notice)/.test(l))
    .map((l) => l.replace(/TopicId: [A-Za-z0-9_-]{22}/, 'TopicId: <id>').replace(/[ \t]+$/, ''));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
};

interface Running {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

let scratch: string;
let port: number;
let env: NodeJS.ProcessEnv;
const background: Running[] = [];

function run(command: string, input?: string): Running {
  // Its own process group, so that ^C reaches the tool behind npx as a terminal's Ctrl-C would.
  const child = spawn('bash', ['-c', command], { cwd: scratch, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  child.stdin.on('error', () => undefined);
  if (input !== undefined) child.stdin.end(input);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => { resolve(code); }));
  return { child, out: () => Buffer.concat(out).toString('utf8'), err: () => Buffer.concat(err).toString('utf8'), exited };
}

async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const withPort = (s: string): string => s.replaceAll('localhost:9092', `localhost:${port}`);

beforeAll(async () => {
  ensureDistBuilt();
  scratch = mkdtempSync(join(tmpdir(), 'gregor-readme-'));
  for (const entry of ['package.json', 'dist', 'node_modules']) symlinkSync(join(REPO, entry), join(scratch, entry));
  port = await freePort();
  const bin = join(scratch, '.bin');
  mkdirSync(bin);
  const python = python3WithKafka();
  if (python && python !== 'python3') symlinkSync(python, join(bin, 'python3'));
  env = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    GREGOR_LISTENERS: `PLAINTEXT://:${port}`,
    // The broker's default waits 3 s for more members before a group's first rebalance.
    GREGOR_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    // npx must find the package's own bin, never download one. In a clone, npx links the package
    // into its cache and runs its prepare script (the build) the first time; dist/ is built above,
    // so scripts are skipped, and the cache is this directory's own (removed afterwards).
    npm_config_offline: 'true',
    npm_config_ignore_scripts: 'true',
    npm_config_cache: join(scratch, '.npm-cache'),
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
  };
}, 120_000);

afterAll(async () => {
  for (const b of background) {
    try {
      process.kill(-b.child.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    await b.exited;
  }
  rmSync(scratch, { recursive: true, force: true });
});

describe('README.md', () => {
  it('leaves the install to CI, which runs npm ci first on a fresh machine', () => {
    const ci = readFileSync(join(REPO, '.ci/run'), 'utf8');
    const steps = ci.split('\n').filter((l) => /^(npm|bash|node|apt)/.test(l.trim()));
    expect(steps[0]).toMatch(/^npm ci\b/);
  });

  it('runs every sh and console block and prints what it shows', async () => {
    const blocks = readmeBlocks().filter((b) => b.lang === 'sh' || b.lang === 'console' || ((b.lang === 'python' || b.lang === 'js') && b.name));
    expect(blocks.filter((b) => b.lang === 'console').length).toBeGreaterThanOrEqual(5);
    for (const block of blocks) {
      const where = `README.md line ${block.line}`;
      if (block.lang === 'python' || block.lang === 'js') {
        writeFileSync(join(scratch, block.name!), withPort(block.body));
        continue;
      }
      if (block.lang === 'sh') {
        for (const raw of block.body.split('\n')) {
          const command = raw.replace(/\s+#.*$/, '').trim();
          if (command === '' || command.startsWith('#')) continue;
          if (command === 'npm install') continue;
          if (command.startsWith('npm start')) {
            const broker = run(withPort(command));
            background.push(broker);
            await until(() => broker.out().includes('Gregor broker listening on'), `${where}: npm start to listen`);
            expect(broker.out()).toContain(`listening on localhost:${port}`);
            continue;
          }
          const r = run(withPort(command), '');
          const code = await r.exited;
          if (code !== 0) throw new Error(`${where}: \`${command}\` exited ${code}\n${r.out()}${r.err()}`);
        }
        continue;
      }
      // A console transcript.
      const lines = block.body.replace(/\n$/, '').split('\n');
      for (let i = 0; i < lines.length; ) {
        const command = lines[i];
        if (!command.startsWith('$ ')) throw new Error(`${where}: expected a "$ " command line, got ${JSON.stringify(command)}`);
        const input: string[] = [];
        const before: string[] = [];
        const after: string[] = [];
        let interrupt = false;
        for (i++; i < lines.length && !lines[i].startsWith('$ '); i++) {
          const l = lines[i];
          if (l.startsWith('>')) input.push(l.slice(1));
          else if (l === '^C') interrupt = true;
          else (interrupt ? after : before).push(withPort(l));
        }
        const cmd = withPort(command.slice(2));
        const r = run(cmd, interrupt ? undefined : input.map((l) => `${l}\n`).join(''));
        if (interrupt) {
          const expected = normalize(before.join('\n'));
          await until(() => normalize(r.out()).length >= expected.length, `${where}: output of \`${cmd}\` (so far ${JSON.stringify(r.out())})`);
          expect(normalize(r.out())).toEqual(expected);
          process.kill(-r.child.pid!, 'SIGINT');
          await r.exited;
          expect(normalize(r.err())).toEqual(normalize(after.join('\n')));
        } else {
          const code = await r.exited;
          if (code !== 0) throw new Error(`${where}: \`${cmd}\` exited ${code}\n${r.out()}${r.err()}`);
          expect({ command: cmd, output: normalize(r.out() + r.err()) }).toEqual({ command: cmd, output: normalize(before.join('\n')) });
        }
      }
    }
  }, 180_000);
});
