import { beforeAll, describe, expect, it } from '@jest/globals';
import { generateTauriPublicKey } from '../../admin/testing.ts';
import { createAppBodySchema } from '../../protocol/schemas.ts';
import { checkPublicKey, descriptionProblem, nameProblem, slugFromName, slugProblem } from './app-form.ts';

/** The form's verdict must be the API's: both accept, or both refuse. */
function apiAccepts(body: Record<string, unknown>): boolean {
  return createAppBodySchema.safeParse({ slug: 'ok', name: 'Ok', ...body }).success;
}

describe('app form checks', () => {
  let pub: string;
  beforeAll(async () => {
    pub = await generateTauriPublicKey();
  });

  it.each(['a', 'my-app', '0day', 'a-', 'x'.repeat(63), '', '-app', 'My-App', 'my_app', 'my app', 'x'.repeat(64), 'é'])(
    'slug %j: the form and the API agree',
    (slug) => {
      expect(slugProblem(slug) === null).toBe(apiAccepts({ slug }));
    },
  );

  it('says what a slug may contain', () => {
    expect(slugProblem('My App')).toBe('The slug must be 1–63 characters of a-z, 0-9 and "-", starting with a letter or digit.');
  });

  it.each(['App', '  padded  ', '', '   ', 'n'.repeat(200), 'n'.repeat(201)])('name %j: the form and the API agree', (name) => {
    expect(nameProblem(name) === null).toBe(apiAccepts({ name }));
  });

  it.each(['', 'short', 'd'.repeat(2000), `${'d'.repeat(2000)}   `, 'd'.repeat(2001)])('description of %#: the form and the API agree', (description) => {
    expect(descriptionProblem(description) === null).toBe(apiAccepts({ description }));
  });

  it('reads a valid key and its id; an empty field is no key', () => {
    const check = checkPublicKey(`\n${pub}  `);
    expect(check).toMatchObject({ kind: 'valid', value: pub });
    expect(check.kind === 'valid' && check.keyId).toMatch(/^[0-9A-F]{16}$/);
    expect(checkPublicKey('  ')).toEqual({ kind: 'empty' });
    expect(apiAccepts({ public_key: pub })).toBe(true);
  });

  it.each([
    ['the raw RW line', () => Buffer.from(pub, 'base64').toString('utf8').split('\n')[1]!],
    ['garbage', () => 'not a key'],
    ['a padded key over the length limit', () => `${pub}${' '.repeat(1100)}`],
  ])('refuses %s with the API\'s reason', (_name, make) => {
    const input = make();
    const check = checkPublicKey(input);
    expect(check.kind).toBe('invalid');
    expect(apiAccepts({ public_key: input })).toBe(false);
  });

  it('refuses the raw line with the parser\'s own advice', () => {
    const raw = Buffer.from(pub, 'base64').toString('utf8').split('\n')[1]!;
    const check = checkPublicKey(raw);
    expect(check.kind === 'invalid' && check.reason).toMatch(/^Invalid public key: this is the raw "RW…" key line/);
  });

  it.each([
    ['My App', 'my-app'],
    ['  Ça va? 2 ', 'ca-va-2'],
    ['---', ''],
    ['x'.repeat(70), 'x'.repeat(63)],
  ])('proposes a slug from %j', (name, slug) => {
    expect(slugFromName(name)).toBe(slug);
    if (slug) expect(slugProblem(slug)).toBeNull();
  });
});
