/**
 * Gregor's configuration layer: Kafka's server.properties and topic configs with Kafka's names,
 * defaults, validation and DescribeConfigs reporting.
 */
export * from './properties.js';
export * from './config-def.js';
export * from './broker-config-defs.js';
export * from './broker-config.js';
export * from './listeners.js';
export * from './broker-config-alter.js';
export * from './broker-config-describe.js';
export * from './topic-config.js';
export * from './meta-properties.js';
