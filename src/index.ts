/**
 * Gregor: a Kafka wire-protocol-compatible broker for Node.js. The codec is available on its own
 * as `gregor/protocol`.
 */
export * as protocol from './protocol/index.js';
