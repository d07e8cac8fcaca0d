/**
 * Integration-test helpers: an in-process broker and KafkaJS clients pointed at it.
 */
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { Broker, type BrokerOptions } from '../../src/broker.js';

export async function startBroker(options: BrokerOptions = {}): Promise<Broker> {
  return Broker.start({ port: 0, ...options });
}

export function kafkaFor(broker: Broker, config: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: 'gregor-test',
    brokers: [broker.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 3, initialRetryTime: 50 },
    ...config,
  });
}
