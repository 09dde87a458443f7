import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '../config.ts';

describe('webhook settings', () => {
  it('defaults to 5 attempts over about 21 minutes, 5 s per attempt, a circuit at 15 failures, public targets only', () => {
    expect(loadConfig({}).webhooks).toEqual({ allowPrivateTargets: false, retryDelaysMs: [15_000, 60_000, 240_000, 960_000], timeoutMs: 5000, circuitThreshold: 15 });
  });

  it('reads the schedule in seconds, fractions allowed', () => {
    const config = loadConfig({ WEBHOOK_RETRY_SCHEDULE: '0.05,2', WEBHOOK_TIMEOUT_SECONDS: '1.5', WEBHOOK_CIRCUIT_FAILURES: '3', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' });
    expect(config.webhooks).toEqual({ allowPrivateTargets: true, retryDelaysMs: [50, 2000], timeoutMs: 1500, circuitThreshold: 3 });
  });

  it.each([
    ['WEBHOOK_RETRY_SCHEDULE', '15;60'],
    ['WEBHOOK_RETRY_SCHEDULE', '-1'],
    ['WEBHOOK_RETRY_SCHEDULE', Array(20).fill('1').join(',')],
    ['WEBHOOK_TIMEOUT_SECONDS', '0'],
    ['WEBHOOK_TIMEOUT_SECONDS', '60'],
    ['WEBHOOK_CIRCUIT_FAILURES', '0'],
    ['WEBHOOK_ALLOW_PRIVATE_TARGETS', 'maybe'],
  ])('refuses %s=%s, naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});
