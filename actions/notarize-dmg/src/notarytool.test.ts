/**
 * How notarytool results are read. The fake tools cover the usual paths end to end; these pin the classification
 * rules, including a wait our own time limit had to stop, with a Runner that returns canned results.
 */
import { describe, expect, it } from '@jest/globals';
import { Secret } from '../../shared/src/secret.ts';
import type { RunResult, Runner } from '../../shared/src/spawn.ts';
import { authArgs, NotarytoolError, parseJson, submit, wait } from './notarytool.ts';

const credentials = { kind: 'api-key', keyPath: '/k.p8', keyId: '2X9R4HXF34', issuer: '57246542-96fe-1a63-e053-0824d011072a' } as const;
const timeout = { text: '30m', seconds: 1800 };
const answer = (result: Partial<RunResult>): Runner => async () => {
  const full = { code: 0, stdout: '', stderr: '', timedOut: false, ...result };
  return { ...full, output: [full.stdout, full.stderr].filter(Boolean).join('\n') };
};

describe('notarytool', () => {
  it('reads the JSON object even with progress lines around it', () => {
    expect(parseJson('Conducting pre-submission checks...\n{"id":"x","status":"Accepted"}\n')).toEqual({ id: 'x', status: 'Accepted' });
    expect(parseJson('no json here')).toBeUndefined();
    expect(parseJson('{broken')).toBeUndefined();
  });

  it('builds the two credential argument sets, keeping secrets wrapped', () => {
    expect(authArgs(credentials)).toEqual(['--key', '/k.p8', '--key-id', '2X9R4HXF34', '--issuer', credentials.issuer]);
    const password = new Secret('apple-password', 'pw');
    expect(authArgs({ kind: 'apple-id', appleId: new Secret('apple-id', 'a@b.c'), password, teamId: 'ABCDE12345' })[3]).toBe(password);
  });

  it('takes the verdict from JSON: exit 0 with Invalid is final, not success', async () => {
    const run = answer({ stdout: '{"id":"x","status":"Invalid","message":"Processing complete"}' });
    expect(await wait(run, 'x', credentials, timeout)).toEqual({ status: 'Invalid', unfinished: false });
  });

  it('treats a wait our time limit stopped, or one without a final status, as unfinished', async () => {
    expect(await wait(answer({ code: -1, timedOut: true }), 'x', credentials, timeout)).toEqual({ unfinished: true });
    expect(await wait(answer({ code: 1, stdout: '{"status":"In Progress"}' }), 'x', credentials, timeout)).toEqual({ status: 'In Progress', unfinished: true });
  });

  it('throws a retryable error for network failures and a final one for refused credentials', async () => {
    const network = await wait(answer({ code: 1, stderr: 'Error: HTTPError(statusCode: nil, error: Error Domain=NSURLErrorDomain Code=-1009)' }), 'x', credentials, timeout).catch((e: unknown) => e);
    expect(network).toBeInstanceOf(NotarytoolError);
    expect((network as NotarytoolError).network).toBe(true);
    const refused = await submit(answer({ code: 69, stderr: 'Error: HTTP status code: 401. Invalid credentials.' }), '/a.dmg', credentials).catch((e: unknown) => e);
    expect(refused).toMatchObject({ network: false, message: expect.stringContaining('Retrying will not help.') });
  });

  it('refuses a submit that exits 0 without an ID', async () => {
    await expect(submit(answer({ stdout: 'Successfully uploaded' }), '/a.dmg', credentials)).rejects.toThrow(/^notarytool submit failed \(exit 0\)/);
  });
});
