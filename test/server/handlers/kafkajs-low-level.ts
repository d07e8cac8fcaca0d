/**
 * KafkaJS's own Broker class (one broker connection, no cluster or metadata), for driving an API at
 * the versions KafkaJS picks, with KafkaJS's encoders and decoders, before the APIs a full KafkaJS
 * client needs (Metadata, FindCoordinator, ...) all exist.
 */
import { createRequire } from 'node:module';
import type { Broker } from '../../../src/broker.js';

const requireCjs = createRequire(import.meta.url);
const KafkaJsBroker = requireCjs('kafkajs/src/broker') as new (options: any) => any;
const ConnectionPool = requireCjs('kafkajs/src/network/connectionPool') as new (options: any) => any;
const socketFactory = requireCjs('kafkajs/src/network/socketFactory') as () => unknown;
const { createLogger, LEVELS } = requireCjs('kafkajs/src/loggers') as { createLogger: (o: any) => any; LEVELS: Record<string, number> };

export type KafkaJsLowLevelBroker = any;

export async function kafkaJsBroker(broker: Broker): Promise<KafkaJsLowLevelBroker> {
  const logger = createLogger({ level: LEVELS.NOTHING, logCreator: () => () => undefined });
  const connectionPool = new ConnectionPool({
    host: broker.services.advertised.host,
    port: broker.port,
    logger,
    socketFactory: socketFactory(),
    clientId: 'kafkajs-low-level',
    connectionTimeout: 1000,
    requestTimeout: 30_000,
    enforceRequestTimeout: true,
  });
  const b = new KafkaJsBroker({ connectionPool, logger, nodeId: broker.services.nodeId });
  await b.connect();
  return b;
}
