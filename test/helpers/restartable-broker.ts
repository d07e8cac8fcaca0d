/**
 * A broker on a data dir of its own that a test stops, damages and starts again, keeping the log
 * lines (warnings and up) of its latest start: what the damage tests look at.
 */
import { afterEach, beforeEach } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Broker } from '../../src/broker.js';
import { startBroker } from './kafka.js';

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export class RestartableBroker {
  dir = '';
  lines: LogLine[] = [];
  private broker: Broker | undefined;

  /** Registers the jest hooks: a fresh dir before each test, the broker stopped and the dir removed after. */
  constructor(prefix: string) {
    beforeEach(async () => {
      this.dir = await mkdtemp(join(tmpdir(), prefix));
    });
    afterEach(async () => {
      await this.broker?.stop();
      this.broker = undefined;
      await rm(this.dir, { recursive: true, force: true });
    });
  }

  /** The running broker; a test that calls this before start() has a bug. */
  get running(): Broker {
    if (this.broker === undefined) throw new Error('the broker is not running');
    return this.broker;
  }

  /** Starts the broker on the dir (one partition per topic by default), with fresh `lines`. */
  async start(): Promise<Broker> {
    this.lines = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void this.lines.push(JSON.parse(line) as LogLine) });
    this.broker = await startBroker({ dataDir: this.dir, logger, config: { 'num.partitions': 1 } });
    return this.broker;
  }

  async stop(): Promise<void> {
    await this.running.stop();
    this.broker = undefined;
  }

  /** Options for the project's clients, patient enough for a busy machine. */
  client(): { bootstrapServers: string; retryTimeoutMs: number } {
    return { bootstrapServers: this.running.bootstrap, retryTimeoutMs: 30_000 };
  }
}
