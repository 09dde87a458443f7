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
  // Creating a PGlite instance alone can take 10 s on a busy 2-core machine.
  testTimeout: 60_000,
};
