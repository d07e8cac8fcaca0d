/** Every client the suite drives, in the order the table lists them. */
import type { ClientDriver, ClientName } from '../lib/types.js';
import { KcatDriver } from './kcat.js';
import { KafkaJsDriver } from './kafkajs.js';
import { PlatformaticDriver } from './platformatic.js';
import { ConfluentKafkaDriver, KafkaPythonDriver } from './python.js';

export const kcat = new KcatDriver();
export const kafkaPython = new KafkaPythonDriver();
export const confluentKafka = new ConfluentKafkaDriver();
export const kafkajs = new KafkaJsDriver();
export const platformatic = new PlatformaticDriver();

export const CLIENTS: readonly ClientDriver[] = [kcat, confluentKafka, kafkaPython, kafkajs, platformatic];

export function client(name: ClientName): ClientDriver {
  const c = CLIENTS.find((x) => x.name === name);
  if (!c) throw new Error(`no client ${name}`);
  return c;
}
