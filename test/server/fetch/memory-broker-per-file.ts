/**
 * A memory broker for the tests of a file, started before them and stopped after them. Kept apart
 * from fixture.ts, which does not depend on jest.
 */
import { afterAll, beforeAll } from '@jest/globals';
import type { Broker } from '../../../src/broker.js';
import { createTopic, startMemoryBroker } from './fixture.js';

/** A memory broker shared by the tests of a file, and topics of their own on it. */
export interface SharedMemoryBroker {
  readonly broker: Broker;
  /** A topic named `<prefix>-<n>`, new for each call. */
  newTopic: (partitions?: number, configs?: Record<string, string>) => Promise<string>;
}

/** Starts a memory broker before the tests of the file and stops it after them. */
export function memoryBrokerPerFile(topicPrefix: string, config: Record<string, string | number | boolean> = {}): SharedMemoryBroker {
  let current: Broker | undefined;
  let topicCount = 0;
  beforeAll(async () => {
    current = await startMemoryBroker(config);
  });
  afterAll(async () => {
    await current?.stop();
  });
  const shared: SharedMemoryBroker = {
    get broker() {
      if (!current) throw new Error('the broker runs only while the tests of the file do');
      return current;
    },
    newTopic: async (partitions = 1, configs = {}) => {
      const name = `${topicPrefix}-${++topicCount}`;
      await createTopic(shared.broker, name, partitions, configs);
      return name;
    },
  };
  return shared;
}
