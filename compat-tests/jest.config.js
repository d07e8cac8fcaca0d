// The compat suite: real, unmodified Kafka clients (kcat, kafka-python, confluent-kafka, KafkaJS,
// @platformatic/kafka) against a broker the suite starts. Run with `npm run test:compat`; `npm test`
// does not include it (the root jest.config.js roots only test/). Same @swc/jest native-ESM setup as
// the root config; longer timeouts because every case starts clients and waits on the network; one
// file at a time (--runInBand in the npm script, maxWorkers 1 here) because the clients are
// processes of their own and the machine has two cores.
export default {
  rootDir: '..',
  testEnvironment: 'node',
  roots: ['<rootDir>/compat-tests'],
  testMatch: ['**/compat-tests/**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'es6' } }],
  },
  globalSetup: '<rootDir>/compat-tests/lib/global-setup.js',
  testTimeout: 120_000,
  maxWorkers: 1,
  // A client library that leaves a socket or timer behind must not keep CI waiting.
  forceExit: true,
};
