/**
 * The `gregor` command: `gregor start` runs a broker; further commands (topics, produce, consume,
 * groups) are Kafka's console tools. Usage errors print the usage and exit 2, other failures one
 * line and exit 1. `run` returns the exit code rather than exiting, and writes to the streams it is
 * given (main.ts passes the process's), so that tests can run a command without a process.
 */
import { PROCESS_IO, type CliIo } from './io.js';
import { UsageError } from './usage.js';

// Each command is loaded when it runs, so that the console tools do not load the broker.
const COMMANDS: Record<string, (argv: string[], io: CliIo) => Promise<number>> = {
  start: async (argv, io) => (await import('./start.js')).runStart(argv, io),
  topics: async (argv, io) => (await import('./topics.js')).runTopics(argv, io),
  produce: async (argv, io) => (await import('./produce.js')).runProduce(argv, io),
  consume: async (argv, io) => (await import('./consume.js')).runConsume(argv, io),
  groups: async (argv, io) => (await import('./groups.js')).runGroups(argv, io),
};

const USAGE = `Usage: gregor <command> [options]

Commands:
  start     run a broker (gregor start --help)
  topics    create, list, describe, alter and delete topics, as kafka-topics
  produce   write lines from standard input to a topic, as kafka-console-producer
  consume   print a topic's records, as kafka-console-consumer
  groups    list, describe, reset the offsets of and delete consumer groups, as kafka-consumer-groups
`;

export async function run(argv: readonly string[], io: CliIo = PROCESS_IO): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    io.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  const runCommand = COMMANDS[command];
  if (!runCommand) {
    io.stderr.write(`gregor: unknown command '${command}'\n\n${USAGE}`);
    return 2;
  }
  try {
    return await runCommand(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`gregor ${command}: ${err.message}\n\n${err.usage}`);
      return 2;
    }
    io.stderr.write(`gregor: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
