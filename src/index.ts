/**
 * Gregor: a Kafka wire-protocol-compatible broker for Node.js.
 *
 *   import { Broker } from 'gregor';
 *   const broker = await Broker.start({ port: 0 });   // in-process, memory storage
 *   // ... point any Kafka client at broker.bootstrap ...
 *   await broker.stop();
 *
 * The codec is available on its own as `gregor/protocol`.
 */
export { Broker, type BrokerOptions } from './broker.js';
export type { Logger, LogLevel } from './util/logger.js';
