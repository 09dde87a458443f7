/**
 * @module http/storable-text
 * The one input rule for text: Postgres stores text as UTF-8 and refuses U+0000 (SQLSTATE 22021, 22P05 in jsonb)
 * and a lone surrogate cannot be encoded as UTF-8 at all, so a client's string holding either is refused with a
 * 400 naming the field before it reaches a query. `request.ts` applies it to every JSON body and query string,
 * `storablePath` to every path; other inputs (multipart fields) call `assertStorableText`.
 */
import type { MiddlewareHandler } from 'hono';
import { tryDecodeURIComponent } from 'hono/utils/url';
import { badRequest } from './api-error.ts';

export const UNSTORABLE_TEXT = 'must not contain U+0000 or unpaired surrogates';

/** NUL, a high surrogate not followed by a low one, or a low one not preceded by a high one (UTF-16 code units). */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export const isStorableText = (text: string): boolean => !UNSTORABLE.test(text);

const unstorable = (field: string) => badRequest(`${field.slice(0, 200) || '(body)'}: ${UNSTORABLE_TEXT}`);

/** Throws the 400 when `value` is a string Postgres cannot store; `field` names it in the message. */
export function assertStorableText(value: unknown, field: string): void {
  if (typeof value === 'string' && !isStorableText(value)) throw unstorable(field);
}

interface JsonNode { value: unknown; key: string | number | null; parent: JsonNode | null }

const pathOf = (node: JsonNode): string => {
  const keys: (string | number)[] = [];
  for (let at: JsonNode | null = node; at && at.key !== null; at = at.parent) keys.unshift(at.key);
  return keys.join('.');
};

/**
 * Walks a parsed JSON value, keys and values, and throws the 400 for the first unstorable string; the field is
 * named as zod names it (`channels.0.name`). Iterative, since a body may nest thousands of levels deep.
 */
export function assertStorableJson(value: unknown): void {
  const pending: JsonNode[] = [{ value, key: null, parent: null }];
  for (let node = pending.pop(); node; node = pending.pop()) {
    const current = node.value;
    if (typeof current === 'string') {
      if (!isStorableText(current)) throw unstorable(pathOf(node));
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) pending.push({ value: current[i], key: i, parent: node });
    } else if (typeof current === 'object' && current !== null) {
      const entries = Object.entries(current);
      // JSON.stringify escapes the NUL or surrogate, so the message shows which key.
      const badKey = entries.find(([key]) => !isStorableText(key))?.[0];
      if (badKey !== undefined) throw unstorable(pathOf({ value: null, key: `${JSON.stringify(badKey.slice(0, 50))} (a key)`, parent: node }));
      for (let i = entries.length - 1; i >= 0; i--) pending.push({ value: entries[i]![1], key: entries[i]![0], parent: node });
    }
  }
}

/**
 * Middleware for every route: a path segment that decodes (as Hono decodes path parameters) to unstorable text is
 * refused. `templates` are the documented paths (`/admin/apps/{app}`), so the message names the parameter.
 */
export function storablePath(templates: readonly string[]): MiddlewareHandler {
  const split = templates.map((template) => template.split('/'));
  return async function storablePath(c, next) {
    // Only an escape can carry NUL into a path (a raw one never reaches here), so most requests skip the decoding.
    if (c.req.url.includes('%')) {
      const segments = new URL(c.req.url).pathname.split('/').map(tryDecodeURIComponent);
      const bad = segments.findIndex((segment) => !isStorableText(segment));
      if (bad !== -1) throw unstorable(parameterName(split, segments, bad));
    }
    await next();
  };
}

/** The `{name}` at `index` of the first template the path fits, else `path segment N`. */
function parameterName(templates: readonly string[][], segments: readonly string[], index: number): string {
  for (const template of templates) {
    if (template.length !== segments.length) continue;
    const fits = template.every((part, i) => part === segments[i] || /^\{[^}]+\}$/.test(part));
    const name = /^\{([^}]+)\}$/.exec(template[index]!)?.[1];
    if (fits && name) return name;
  }
  return `path segment ${index}`;
}
