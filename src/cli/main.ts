#!/usr/bin/env node
/**
 * The `gregor` command: `gregor start` runs a broker; further commands (topics, produce, consume,
 * groups, configs, ...) are Kafka's console tools. A usage error prints the error and one line
 * pointing at --help (exit 2), so the error is the last thing on the screen rather than scrolled
 * away above 40 lines of options; a command given no arguments at all prints its whole usage.
 */
import { nearestName } from '../util/nearest-name.js';
import { UsageError } from './usage.js';
import { gregorVersion } from './version.js';

// Each command is loaded when it runs, so that the console tools do not load the broker.
const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  start: async (argv) => (await import('./start.js')).runStart(argv),
  topics: async (argv) => (await import('./topics.js')).runTopics(argv),
  produce: async (argv) => (await import('./produce.js')).runProduce(argv),
  consume: async (argv) => (await import('./consume.js')).runConsume(argv),
  groups: async (argv) => (await import('./groups.js')).runGroups(argv),
  configs: async (argv) => (await import('./configs.js')).runConfigs(argv),
  'get-offsets': async (argv) => (await import('./get-offsets.js')).runGetOffsets(argv),
  'delete-records': async (argv) => (await import('./delete-records.js')).runDeleteRecords(argv),
  'log-dirs': async (argv) => (await import('./log-dirs.js')).runLogDirs(argv),
  cluster: async (argv) => (await import('./cluster.js')).runCluster(argv),
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

Run 'gregor <command> --help' for a command's options; 'gregor --version' prints the version.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-V' || command === 'version') {
    process.stdout.write(`gregor ${gregorVersion()}\n`);
    return 0;
  }
  const run = COMMANDS[command];
  if (!run) {
    const near = nearestName(command, Object.keys(COMMANDS));
    process.stderr.write(`gregor: unknown command '${command}'${near ? `. Did you mean '${near}'?` : ''}\nRun 'gregor --help' for the list of commands.\n`);
    return 2;
  }
  // Kafka's tools all take --version (CommandDefaultOptions); so does every command here.
  if (rest.includes('--version')) {
    process.stdout.write(`gregor ${gregorVersion()}\n`);
    return 0;
  }
  try {
    return await run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      if (rest.length === 0) {
        process.stderr.write(`gregor ${command}: ${err.message}\n\n${err.usage}`);
      } else {
        const synopsis = err.usage.split('\n', 1)[0]!;
        process.stderr.write(`gregor ${command}: ${err.message}\n${synopsis}  ('gregor ${command} --help' lists every option)\n`);
      }
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
