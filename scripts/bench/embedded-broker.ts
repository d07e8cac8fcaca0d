/**
 * The broker as a library user runs it: `Broker.start` from the built package (dist/, what
 * `import { Broker } from 'gregor'` loads) in a Node process of the user's, with no node flags, disk
 * storage in --data-dir and Kafka's defaults otherwise. Prints "embedded broker listening on
 * HOST:PORT" once it listens; stops the broker on SIGTERM.
 *
 *   node --import tsx scripts/bench/embedded-broker.ts --data-dir DIR
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// The built package, loaded at run time (`npm run bench` builds it first), typed by its source.
const distIndex = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'index.js')).href;
const { Broker } = (await import(distIndex)) as typeof import('../../src/index.js');

const at = process.argv.indexOf('--data-dir');
const dataDir = at >= 0 ? process.argv[at + 1] : undefined;
if (dataDir === undefined) throw new Error('usage: embedded-broker.ts --data-dir DIR');

const broker = await Broker.start({ port: 0, dataDir, logLevel: 'warn' });
console.log(`embedded broker listening on ${broker.bootstrap}`);
process.once('SIGTERM', () => {
  broker.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
});
