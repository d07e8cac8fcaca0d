/**
 * A coordinator fixture for every test of a file: opened before each test and closed after it.
 * Kept apart from helpers.ts because that file is also loaded by child processes outside jest.
 */
import { afterEach, beforeEach } from '@jest/globals';
import type { GroupCoordinator } from '../../src/coordinator/group-coordinator.js';
import { openFixture, type Fixture, type TestConfig } from './helpers.js';

/** The object returned reads and writes through to the running test's fixture. */
export function fixturePerTest(overrides: Partial<TestConfig> = {}): Fixture {
  let current: Fixture | undefined;
  beforeEach(async () => {
    current = await openFixture(overrides);
  });
  afterEach(async () => {
    await current?.coordinator.close();
    current = undefined;
  });
  const now = (): Fixture => {
    if (!current) throw new Error('the fixture is open only while a test runs');
    return current;
  };
  return {
    get clock() {
      return now().clock;
    },
    get store() {
      return now().store;
    },
    get topics() {
      return now().topics;
    },
    get config() {
      return now().config;
    },
    set config(c: TestConfig) {
      now().config = c;
    },
    get coordinator() {
      return now().coordinator;
    },
    set coordinator(c: GroupCoordinator) {
      now().coordinator = c;
    },
    restart: () => now().restart(),
  };
}
