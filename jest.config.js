/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts', '.tsx'],
  transform: {
    '^.+\\.tsx?$': ['@swc/jest', {
      jsc: { parser: { syntax: 'typescript', tsx: true }, target: 'es2023',
        transform: { react: { runtime: 'automatic', importSource: 'hono/jsx' } } },
      module: { type: 'es6' },
    }],
  },
  testMatch: ['<rootDir>/{api,db,actions,test}/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.cache/'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  reporters: ['default', '<rootDir>/test/support/summary-reporter.cjs'],
  maxWorkers: 2,
  // Each test file's ES modules stay in a worker's heap (jest's vm modules): workers reached 1.7 GB by the end of a
  // run and then took over jest's 500 ms to exit ("A worker process has failed to exit gracefully"), with nothing
  // left open and their 'exit' event within 10 ms of jest's request. A worker above this after a file is replaced
  // by a fresh one; the run was no slower for it.
  workerIdleMemoryLimit: '800MB',
  // Creating a PGlite instance alone can take 10 s on a busy 2-core machine.
  testTimeout: 60_000,
};
