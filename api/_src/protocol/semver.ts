/**
 * @module semver
 * Semantic versions exactly as the Tauri updater client reads and orders them, shared by the server
 * and the actions.
 *
 * - Parsing: the client runs `Version::from_str(s.trim_start_matches('v'))` (tauri-plugin-updater
 *   `updater.rs`), i.e. every leading `v` is dropped and the rest must be strict SemVer 2.0.0: three
 *   numeric parts without leading zeros that fit a u64, dot-separated `[0-9A-Za-z-]` identifiers,
 *   no leading zeros in numeric pre-release identifiers (build identifiers may have them), no
 *   whitespace (dtolnay/semver `parse.rs`).
 * - Ordering: `release.version > current` with the semver crate's derived `Ord` for `Version`
 *   (major, minor, patch, pre, build). `Prerelease` follows SemVer §11; `BuildMetadata` is NOT ignored
 *   as the spec says, but ordered piecewise: numeric segments by value, then the one with more leading
 *   zeros is greater (`0 < 00 < 1 < 01`), numeric below alphanumeric, alphanumeric by ASCII, and a
 *   shorter prefix-equal list first; an empty build sorts first (dtolnay/semver `src/impls.rs`,
 *   `impl Ord for Prerelease` / `impl Ord for BuildMetadata`).
 */
// zod/mini (as config.ts): the update path imports this module, and classic zod costs a cold start of the Vercel
// function ~20 ms to load; the schemas work the same inside classic ones.
import * as z from 'zod/mini';

export interface Version {
  readonly major: bigint;
  readonly minor: bigint;
  readonly patch: bigint;
  /** Pre-release identifiers; empty for a release. */
  readonly prerelease: readonly string[];
  /** Build metadata identifiers; empty when there is none. */
  readonly build: readonly string[];
}

export type ParseResult = { success: true; version: Version } | { success: false; error: string };

const U64_MAX = 18446744073709551615n;
const IDENTIFIER = /^[0-9A-Za-z-]+$/;
const DIGITS = /^[0-9]+$/;
const PARTS = ['major', 'minor', 'patch'] as const;

function parseNumber(text: string, part: string): bigint | string {
  if (text === '') return `${part} version is empty`;
  if (!DIGITS.test(text)) return `${part} version ${JSON.stringify(text)} is not a number`;
  if (text.length > 1 && text[0] === '0') return `${part} version ${text} has a leading zero`;
  const value = BigInt(text);
  return value > U64_MAX ? `${part} version ${text} is too large` : value;
}

function parseIdentifiers(text: string, what: 'pre-release' | 'build metadata'): string[] | string {
  const identifiers = text.split('.');
  for (const identifier of identifiers) {
    if (identifier === '') return `empty ${what} identifier`;
    if (!IDENTIFIER.test(identifier)) return `${what} identifier ${JSON.stringify(identifier)} may only contain 0-9, A-Z, a-z and -`;
    if (what === 'pre-release' && identifier.length > 1 && identifier[0] === '0' && DIGITS.test(identifier)) {
      return `numeric pre-release identifier ${identifier} has a leading zero`;
    }
  }
  return identifiers;
}

/** Parses like the Tauri client: leading `v`s dropped, then strict SemVer. Never throws. */
export function safeParseVersion(input: string): ParseResult {
  let start = 0;
  while (input.charCodeAt(start) === 118 /* v */) start++;
  const text = input.slice(start);
  if (text === '') return { success: false, error: 'version is empty' };
  const plus = text.indexOf('+');
  const core = plus < 0 ? text : text.slice(0, plus);
  const dash = core.indexOf('-');
  const numbers = (dash < 0 ? core : core.slice(0, dash)).split('.');
  if (numbers.length !== 3) return { success: false, error: 'version must be MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]' };
  const parsed: bigint[] = [];
  for (const [i, part] of PARTS.entries()) {
    const value = parseNumber(numbers[i]!, part);
    if (typeof value === 'string') return { success: false, error: value };
    parsed.push(value);
  }
  const prerelease = dash < 0 ? [] : parseIdentifiers(core.slice(dash + 1), 'pre-release');
  if (typeof prerelease === 'string') return { success: false, error: prerelease };
  const build = plus < 0 ? [] : parseIdentifiers(text.slice(plus + 1), 'build metadata');
  if (typeof build === 'string') return { success: false, error: build };
  return { success: true, version: { major: parsed[0]!, minor: parsed[1]!, patch: parsed[2]!, prerelease, build } };
}

export class SemverError extends Error {
  override name = 'SemverError';
}

/** Parses or throws a `SemverError` naming what is wrong. */
export function parseVersion(input: string): Version {
  const result = safeParseVersion(input);
  if (!result.success) throw new SemverError(`${JSON.stringify(input)} is not a semantic version: ${result.error}`);
  return result.version;
}

export function isValidVersion(input: string): boolean {
  return safeParseVersion(input).success;
}

/** `MAJOR.MINOR.PATCH[-PRE][+BUILD]`, never with a leading `v`. */
export function formatVersion(version: Version): string {
  let text = `${version.major}.${version.minor}.${version.patch}`;
  if (version.prerelease.length) text += `-${version.prerelease.join('.')}`;
  if (version.build.length) text += `+${version.build.join('.')}`;
  return text;
}

/** The canonical spelling (`v1.2.3` → `1.2.3`), or null when `input` is not a version. */
export function normalizeVersion(input: string): string | null {
  const result = safeParseVersion(input);
  return result.success ? formatVersion(result.version) : null;
}

export function isPrerelease(version: Version | string): boolean {
  return (typeof version === 'string' ? parseVersion(version) : version).prerelease.length > 0;
}

type Ordering = -1 | 0 | 1;

const sign = (a: number | bigint | string, b: typeof a): Ordering => (a < b ? -1 : a > b ? 1 : 0);
const isNumeric = (identifier: string) => DIGITS.test(identifier);

/**
 * Two identifier lists field by field (§11.4): a numeric identifier is below an alphanumeric one, two
 * numeric ones by `compareNumbers`, two alphanumeric ones in ASCII order, and a list above its own prefix.
 */
function compareIdentifiers(a: readonly string[], b: readonly string[], compareNumbers: (x: string, y: string) => Ordering): Ordering {
  for (let i = 0; i < a.length; i++) {
    if (i >= b.length) return 1;
    const x = a[i]!;
    const y = b[i]!;
    const xNumeric = isNumeric(x);
    const yNumeric = isNumeric(y);
    if (xNumeric !== yNumeric) return xNumeric ? -1 : 1;
    const order = xNumeric ? compareNumbers(x, y) : sign(x, y);
    if (order) return order;
  }
  return a.length === b.length ? 0 : -1;
}

// No leading zeros here, so a longer number is a larger one.
const comparePrereleaseNumbers = (x: string, y: string): Ordering => sign(x.length, y.length) || sign(x, y);

function compareBuildNumbers(x: string, y: string): Ordering {
  const xValue = x.replace(/^0+/, '');
  const yValue = y.replace(/^0+/, '');
  // By value, then the spelling with more leading zeros is greater: 0 < 00 < 1 < 01 < 001 < 2.
  return sign(xValue.length, yValue.length) || sign(xValue, yValue) || sign(x.length, y.length);
}

function comparePrerelease(a: readonly string[], b: readonly string[]): Ordering {
  if (!a.length || !b.length) return sign(b.length, a.length); // a release is greater than its pre-releases
  return compareIdentifiers(a, b, comparePrereleaseNumbers);
}

function compareBuild(a: readonly string[], b: readonly string[]): Ordering {
  if (!a.length || !b.length) return sign(a.length, b.length); // empty build metadata sorts first
  return compareIdentifiers(a, b, compareBuildNumbers);
}

/** SemVer precedence (§11): build metadata ignored. */
export function comparePrecedence(a: Version, b: Version): Ordering {
  return sign(a.major, b.major) || sign(a.minor, b.minor) || sign(a.patch, b.patch) || comparePrerelease(a.prerelease, b.prerelease);
}

/** The total order the Tauri client uses (`semver::Version: Ord`): precedence, then build metadata. */
export function compareVersions(a: Version, b: Version): Ordering {
  return comparePrecedence(a, b) || compareBuild(a.build, b.build);
}

/** A zod schema accepting anything `safeParseVersion` does and yielding the normalised string. */
export const versionSchema = z.pipe(
  z.string(),
  z.transform((input: string, ctx) => {
    const result = safeParseVersion(input);
    if (result.success) return formatVersion(result.version);
    ctx.issues.push({ code: 'custom', message: `not a semantic version: ${result.error}`, input });
    return z.NEVER;
  }),
);
