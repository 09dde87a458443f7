/**
 * @module protocol/ref-glob
 * The globs a trusted publisher's `allowed_refs` holds, e.g. `refs/tags/v*`. Deliberately small:
 * `*` matches any run of characters except `/`, `**` any run including `/`, and every other character
 * matches itself. GitHub's filter syntax (`?`, `+`, `[…]`, `!`) is refused when the glob is saved rather
 * than half-supported, so a glob never means something other than what it looks like. Here, in protocol/, because
 * the publisher schemas (publishers.ts) check globs with it wherever they are read; the token exchange matches with it.
 */

export const MAX_REF_GLOB_LENGTH = 255;

/** Returns null for a usable glob, or what is wrong with it. */
export function checkRefGlob(glob: string): string | null {
  if (!glob.startsWith('refs/')) return 'must start with "refs/", e.g. "refs/tags/v*" or "refs/heads/main"';
  if (glob.length > MAX_REF_GLOB_LENGTH) return `must be at most ${MAX_REF_GLOB_LENGTH} characters`;
  // Characters git forbids in ref names (git check-ref-format), and the glob syntax we do not support.
  if (/[\s\u0000-\u001f\u007f~^:\\]/.test(glob)) return 'must not contain whitespace, control characters, "~", "^", ":" or "\\"';
  if (/[?[\]!+]/.test(glob)) return 'supports only the wildcards "*" (within one path segment) and "**" (across segments)';
  if (/\*{3,}/.test(glob)) return 'has "***"; use "*" or "**"';
  return null;
}

const cache = new Map<string, RegExp>();

export function refGlobToRegExp(glob: string): RegExp {
  let compiled = cache.get(glob);
  if (!compiled) {
    const source = glob
      .split('**')
      .map((part) => part.split('*').map((text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('[^/]*'))
      .join('[\\s\\S]*');
    compiled = new RegExp(`^${source}$`);
    if (cache.size < 1000) cache.set(glob, compiled);
  }
  return compiled;
}

export function refGlobMatches(glob: string, ref: string): boolean {
  return refGlobToRegExp(glob).test(ref);
}
