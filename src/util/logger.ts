/**
 * Structured logging with pino: JSON lines for machines, a human format when writing to a terminal.
 * Library users get a silent logger unless they pass one or a level.
 */
import { pino, type Logger as PinoLogger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';

export type Logger = PinoLogger;
export type LogLevel = LevelWithSilent;

export function createLogger(options: { level?: LogLevel; pretty?: boolean; name?: string } = {}): Logger {
  const level = options.level ?? 'info';
  const human = options.pretty ?? process.stdout.isTTY;
  if (human) {
    return pino({ level, ...(options.name === undefined ? {} : { name: options.name }) }, pretty({ sync: true, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
  }
  return pino({ level, ...(options.name === undefined ? {} : { name: options.name }) });
}

export const silentLogger: Logger = pino({ level: 'silent' });
