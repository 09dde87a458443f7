import { describe, expect, it, jest } from '@jest/globals';
import { ConfigError } from './config.ts';
import { DataDirLockedError } from '../../db/data-dir-lock.ts';
import { printStartFailure, StartError, userFixableStartFailure } from './start-failure.ts';

describe('a start failure', () => {
  it('is one line when the user can fix it: a config error, a locked data folder, a port', () => {
    expect(userFixableStartFailure(new ConfigError('PORT must be a number'))).toBe('config error: PORT must be a number');
    expect(userFixableStartFailure(new DataDirLockedError('The data folder /d is in use'))).toBe('The data folder /d is in use');
    expect(userFixableStartFailure(new StartError('port 80 is in use'))).toBe('port 80 is in use');
    expect(userFixableStartFailure(new Error('ECONNREFUSED'))).toBeUndefined();
    expect(userFixableStartFailure('thrown string')).toBeUndefined();
  });

  it('is printed masked, under what failed, when it is anything else', () => {
    const printed = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      printStartFailure('migration failed', new Error('connect to postgresql://app:s3cret@db.example/prod refused'));
      printStartFailure('migration failed', new ConfigError('DATABASE_URL is not a URL'));
      expect(printed.mock.calls).toHaveLength(2);
      const [[unexpected], [config]] = printed.mock.calls as [[string], [string]];
      expect(unexpected).toMatch(/^migration failed: .*refused/);
      expect(unexpected).not.toContain('s3cret');
      expect(config).toBe('config error: DATABASE_URL is not a URL');
    } finally {
      printed.mockRestore();
    }
  });
});
