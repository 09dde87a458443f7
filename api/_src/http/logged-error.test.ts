import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Hono } from 'hono';
import { sql } from 'kysely';
import type { DatabaseHandle } from '../../../db/connect.ts';
import { testEngines } from '../../../test/support/postgres.ts';
import { errorResponse } from './errors.ts';
import { hideConfiguredSecrets, loggedError, maskSecrets } from './logged-error.ts';

const WEBHOOK_SECRET = 'whsec_4f9d2c7b1e8a6d3f0c5b9e2a7d4f1c8b';
const LICENSE_KEY = 'trl_7Q2M9XK4RT8VNB3HJC6PWY5DFG0ABCDEFG';

/** What the 500 path writes for a route that throws `error`, and the response's status. */
async function loggedFailure(error: unknown): Promise<{ status: number; log: string }> {
  const app = new Hono();
  app.onError(errorResponse);
  app.get('/fail', () => {
    throw error;
  });
  const logged = jest.spyOn(console, 'error').mockImplementation(() => {});
  try {
    const response = await app.request('/fail');
    return { status: response.status, log: logged.mock.calls.map((call) => call.map(String).join(' ')).join('\n') };
  } finally {
    logged.mockRestore();
  }
}

describe.each(testEngines)('a failed statement on $name is logged without the data it carried', ({ open }) => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await open();
    await sql`create table hooks (url text not null, secret text not null check (url like 'https://%'))`.execute(database.db);
  });
  afterAll(() => database.close());

  async function failure(statement: Promise<unknown>): Promise<unknown> {
    try {
      await statement;
    } catch (error) {
      return error;
    }
    throw new Error('the statement unexpectedly succeeded');
  }

  it('a check violation: its detail ("Failing row contains …") repeats the row, signing secret included', async () => {
    const error = await failure(sql`insert into hooks (url, secret) values ('http://x', ${WEBHOOK_SECRET})`.execute(database.db));
    expect(JSON.stringify((error as { detail?: string }).detail ?? '') + (error as Error).message).toContain(WEBHOOK_SECRET.slice(6));
    const { status, log } = await loggedFailure(error);
    expect(status).toBe(500);
    expect(log).not.toContain(WEBHOOK_SECRET.slice(6));
    expect(log).toContain('code 23514');
    expect(log).toMatch(/violates check constraint "hooks_url_check"/);
    expect(log).toMatch(/\n\s+at /); // the frames that raised it stay
  });

  it("a data exception's message quotes the input", async () => {
    const error = await failure(sql`select ${LICENSE_KEY.replace('trl_', 'x')}::uuid`.execute(database.db));
    const { log } = await loggedFailure(error);
    expect(log).toContain('code 22P02');
    expect(log).not.toContain(LICENSE_KEY.slice(4));
  });
});

describe('maskSecrets', () => {
  it.each([
    ['a connection string', 'connect to postgresql://neondb_owner:npg_S3cr3tPassw0rd@ep-x.eu-central-1.aws.neon.tech/neondb failed', 'npg_S3cr3tPassw0rd'],
    ['an API key', 'key trk_Zx8Yw7Vu6Ts5Rq4Po3Nm2Lk1Jj0Hh9Gg8Ff7Ee6Dd5 refused', 'Zx8Yw7Vu6Ts5Rq4Po3Nm2Lk1Jj0Hh9Gg8Ff7Ee6Dd5'],
    ['a license key', `license ${LICENSE_KEY} unknown`, LICENSE_KEY.slice(4)],
    ['a CI credential', 'trci_AbCdEfGhIjKlMnOpQrStUvWxYz012345', 'AbCdEfGhIjKlMnOpQrStUvWxYz012345'],
    ['a bearer header', 'Authorization: Bearer some-admin-token-0123456789', 'some-admin-token-0123456789'],
    ['a presigned URL', 'GET https://b.r2.example/k?X-Amz-Credential=AKIA123%2F2026&X-Amz-Signature=abcdef0123456789 timed out', 'abcdef0123456789'],
    ['libpq key=value', "host=ep-x user=u password=hunter2-but-longer dbname=d", 'hunter2-but-longer'],
  ])('masks %s', (_what, text, secret) => {
    const masked = maskSecrets(text);
    expect(masked).not.toContain(secret);
  });

  it('masks what this instance was configured with, wherever it appears', () => {
    hideConfiguredSecrets({
      adminToken: 'configured-admin-token-Qw3Er5Ty7Ui9',
      databaseUrl: 'postgresql://owner:p%40ss-configured-0042@db.example/app',
      storage: { driver: 's3', secretAccessKey: 'r2SecretAccessKeyConfigured0123456789' },
      github: { secretsKey: undefined },
    });
    const text = loggedError(new Error('p@ss-configured-0042 configured-admin-token-Qw3Er5Ty7Ui9 r2SecretAccessKeyConfigured0123456789'));
    for (const secret of ['p@ss-configured-0042', 'configured-admin-token-Qw3Er5Ty7Ui9', 'r2SecretAccessKeyConfigured0123456789']) {
      expect(text).not.toContain(secret);
    }
  });

  it('leaves ordinary failures readable', () => {
    expect(loggedError(new Error('the bucket my-bucket does not exist at https://r2.example; check S3_BUCKET')).split('\n')[0]).toBe(
      'Error: the bucket my-bucket does not exist at https://r2.example; check S3_BUCKET',
    );
  });

  it('follows the cause chain, masking each', () => {
    const error = new Error('could not connect to the database', { cause: new Error('auth for postgres://u:pw-in-cause@h/d failed') });
    const text = loggedError(error);
    expect(text).toContain('caused by Error: auth for postgres://…@h/d failed');
    expect(text).not.toContain('pw-in-cause');
  });
});
