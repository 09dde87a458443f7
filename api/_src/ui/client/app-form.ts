/**
 * @module ui/client/app-form
 * The app form's checks as the user types, with the admin API's own rules (api/_src/protocol/schemas.ts
 * `createAppBodySchema`): the slug pattern from protocol/app-slug.ts and the key parser from protocol/minisign-key.ts
 * are the very ones the server validates with, so a form the page accepts is a body the API accepts.
 */
import { APP_SLUG_PATTERN, APP_SLUG_RULE } from '../../protocol/app-slug.ts';
import { MAX_PUBLIC_KEY_LENGTH, parseTauriPublicKey } from '../../protocol/minisign-key.ts';

export const MAX_NAME_LENGTH = 200;
export const MAX_DESCRIPTION_LENGTH = 2000;

export function slugProblem(slug: string): string | null {
  if (slug === '') return 'Choose a slug: it becomes part of the updater URL of every installed copy.';
  return APP_SLUG_PATTERN.test(slug) ? null : `The slug ${APP_SLUG_RULE}.`;
}

export function nameProblem(name: string): string | null {
  const trimmed = name.trim();
  if (trimmed === '') return 'Give the app a name.';
  return trimmed.length > MAX_NAME_LENGTH ? `The name must be at most ${MAX_NAME_LENGTH} characters.` : null;
}

export function descriptionProblem(description: string): string | null {
  return description.trim().length > MAX_DESCRIPTION_LENGTH ? `The description must be at most ${MAX_DESCRIPTION_LENGTH} characters.` : null;
}

export type KeyCheck = { kind: 'empty' } | { kind: 'valid'; keyId: string; value: string } | { kind: 'invalid'; reason: string };

/** An empty field means "no key" (the API takes null); anything else must parse as the server parses it. */
export function checkPublicKey(input: string): KeyCheck {
  const value = input.trim();
  if (value === '') return { kind: 'empty' };
  if (input.length > MAX_PUBLIC_KEY_LENGTH) return { kind: 'invalid', reason: `The key is longer than ${MAX_PUBLIC_KEY_LENGTH} characters; paste only the content of the .pub file.` };
  const parsed = parseTauriPublicKey(value);
  if (!parsed.ok) return { kind: 'invalid', reason: parsed.reason.charAt(0).toUpperCase() + parsed.reason.slice(1) };
  return { kind: 'valid', keyId: parsed.key.keyId, value };
}

/** A slug proposed from the name while the user has not typed one: "My App 2" → "my-app-2". */
export function slugFromName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
}
