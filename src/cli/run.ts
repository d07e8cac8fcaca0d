/**
 * The `gregor` command: `gregor start` runs a broker; further commands (topics, produce, consume,
 * groups, configs, ...) are Kafka's console tools. `run` returns the exit code rather than exiting,
 * and writes to the streams it is given (main.ts passes the process's), so that tests can run a
 * command without a process.
 *
 * A usage error prints the error and one line pointing at --help (exit 2), so the error is the last
 * thing on the screen rather than scrolled away above 40 lines of options; a command given no
 * arguments at all prints its whole usage. Other failures print one line (exit 1).
 */
import { nearestName } from '../util/nearest-name.js';
import { PROCESS_IO, type CliIo } from './io.js';
import { UsageError } from './usage.js';
import { gregorVersion } from './version.js';

// Each command is loaded when it runs, so that the console tools do not load the broker.
const COMMANDS: Partial<Record<string, (argv: string[], io: CliIo) => Promise<number>>> = {
  start: async (argv, io) => (await import('./start.js')).runStart(argv, io),
  topics: async (argv, io) => (await import('./topics.js')).runTopics(argv, io),
  produce: async (argv, io) => (await import('./produce.js')).runProduce(argv, io),
  consume: async (argv, io) => (await import('./consume.js')).runConsume(argv, io),
  groups: async (argv, io) => (await import('./groups.js')).runGroups(argv, io),
  configs: async (argv, io) => (await import('./configs.js')).runConfigs(argv, io),
  'get-offsets': async (argv, io) => (await import('./get-offsets.js')).runGetOffsets(argv, io),
  'delete-records': async (argv, io) => (await import('./delete-records.js')).runDeleteRecords(argv, io),
  'log-dirs': async (argv, io) => (await import('./log-dirs.js')).runLogDirs(argv, io),
  cluster: async (argv, io) => (await import('./cluster.js')).runCluster(argv, io),
  transactions: async (argv, io) => (await import('./transactions.js')).runTransactions(argv, io),
};

const USAGE = `Usage: gregor <command> [options]

Commands:
  start           run a broker (gregor start --help)
  topics          create, list, describe, alter and delete topics, as kafka-topics
  produce         write lines from standard input to a topic, as kafka-console-producer
  consume         print a topic's records, as kafka-console-consumer
  groups          list, describe, reset the offsets of and delete consumer groups, as kafka-consumer-groups
  configs         describe and change topic and broker configs, as kafka-configs
  get-offsets     print partitions' offsets (latest, earliest, by time), as kafka-get-offsets
  delete-records  delete partitions' records before an offset, as kafka-delete-records
  log-dirs        print log directories and each partition's size, as kafka-log-dirs
  cluster         cluster id, controller, brokers and their api versions, as rpk cluster info
                  and kafka-broker-api-versions
  transactions    list and describe transactions and producers, find and abort hanging
                  transactions, as kafka-transactions

Run 'gregor <command> --help' for a command's options; 'gregor --version' prints the version.
`;

export async function run(argv: readonly string[], io: CliIo = PROCESS_IO): Promise<number> {
  const command = argv.at(0);
  const rest = argv.slice(1);
  if (command === undefined || command === '--help' || command === '-h') {
    io.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-V' || command === 'version') {
    io.stdout.write(`gregor ${gregorVersion()}\n`);
    return 0;
  }
  const runCommand = COMMANDS[command];
  if (!runCommand) {
    const near = nearestName(command, Object.keys(COMMANDS));
    io.stderr.write(`gregor: unknown command '${command}'${near ? `. Did you mean '${near}'?` : ''}\nRun 'gregor --help' for the list of commands.\n`);
    return 2;
  }
  // Kafka's tools all take --version (CommandDefaultOptions); so does every command here.
  if (rest.includes('--version')) {
    io.stdout.write(`gregor ${gregorVersion()}\n`);
    return 0;
  }
  try {
    return await runCommand(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      if (rest.length === 0) {
        io.stderr.write(`gregor ${command}: ${err.message}\n\n${err.usage}`);
      } else {
        const synopsis = err.usage.split('\n', 1)[0];
        io.stderr.write(`gregor ${command}: ${err.message}\n${synopsis}  ('gregor ${command} --help' lists every option)\n`);
      }
      return 2;
    }
    io.stderr.write(`gregor: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
