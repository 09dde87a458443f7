/**
 * @module http/etag
 * Conditional GET: whether an `If-None-Match` header matches an entity tag, for the routes that answer 304
 * (update checks, the static manifest, downloads).
 */

/** RFC 9110 §13.1.2 (https://www.rfc-editor.org/rfc/rfc9110#section-13.1.2): weak comparison, a list, or `*`. */
export function etagMatches(ifNoneMatch: string | null | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch === etag) return true;
  return ifNoneMatch.split(',').some((tag) => {
    const value = tag.trim();
    return value === '*' || value === etag || value === `W/${etag}`;
  });
}
