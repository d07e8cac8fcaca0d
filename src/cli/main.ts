#!/usr/bin/env node
/**
 * The `gregor` command: `gregor start` runs a broker; further commands (topics, produce, consume,
 * groups) are Kafka's console tools. Usage errors print the usage and exit 2.
 */
import { UsageError } from './usage.js';

// Each command is loaded when it runs, so that the console tools do not load the broker.
const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  start: async (argv) => (await import('./start.js')).runStart(argv),
  topics: async (argv) => (await import('./topics.js')).runTopics(argv),
  produce: async (argv) => (await import('./produce.js')).runProduce(argv),
  consume: async (argv) => (await import('./consume.js')).runConsume(argv),
  groups: async (argv) => (await import('./groups.js')).runGroups(argv),
};

const USAGE = `Usage: gregor <command> [options]

Commands:
  start     run a broker (gregor start --help)
  topics    create, list, describe, alter and delete topics, as kafka-topics
  produce   write lines from standard input to a topic, as kafka-console-producer
  consume   print a topic's records, as kafka-console-consumer
  groups    list, describe, reset the offsets of and delete consumer groups, as kafka-consumer-groups
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  const run = COMMANDS[command];
  if (!run) {
    process.stderr.write(`gregor: unknown command '${command}'\n\n${USAGE}`);
    return 2;
  }
  try {
    return await run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`gregor ${command}: ${err.message}\n\n${err.usage}`);
      return 2;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`gregor: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
