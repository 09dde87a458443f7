import { describe, expect, it } from '@jest/globals';
import {
  comparePrecedence,
  compareVersions,
  formatVersion,
  isPrerelease,
  normalizeVersion,
  parseVersion,
  safeParseVersion,
  SemverError,
  versionSchema,
} from './semver.ts';

const cmp = (a: string, b: string) => compareVersions(parseVersion(a), parseVersion(b));

/** Every element must be strictly below every later one, both ways round. */
function expectAscending(chain: readonly string[]) {
  for (let i = 0; i < chain.length; i++) {
    for (let j = 0; j < chain.length; j++) {
      const expected = Math.sign(i - j);
      expect([chain[i], chain[j], cmp(chain[i]!, chain[j]!)]).toEqual([chain[i], chain[j], expected]);
    }
  }
}

describe('parse', () => {
  it.each([
    ['1.2.3', { major: 1n, minor: 2n, patch: 3n, prerelease: [], build: [] }],
    ['v1.2.3', { major: 1n, minor: 2n, patch: 3n, prerelease: [], build: [] }],
    ['vvv0.0.0', { major: 0n, minor: 0n, patch: 0n, prerelease: [], build: [] }],
    ['1.0.0-alpha.1', { major: 1n, minor: 0n, patch: 0n, prerelease: ['alpha', '1'], build: [] }],
    ['1.0.0-0.3.7', { major: 1n, minor: 0n, patch: 0n, prerelease: ['0', '3', '7'], build: [] }],
    ['1.0.0-x-y-z.--', { major: 1n, minor: 0n, patch: 0n, prerelease: ['x-y-z', '--'], build: [] }],
    ['1.0.0+001', { major: 1n, minor: 0n, patch: 0n, prerelease: [], build: ['001'] }],
    ['1.0.0-beta+exp.sha.5114f85', { major: 1n, minor: 0n, patch: 0n, prerelease: ['beta'], build: ['exp', 'sha', '5114f85'] }],
    ['18446744073709551615.0.0', { major: 18446744073709551615n, minor: 0n, patch: 0n, prerelease: [], build: [] }],
  ])('accepts %s', (text, expected) => {
    expect(parseVersion(text)).toEqual(expected);
  });

  it.each([
    ['', 'version is empty'],
    ['v', 'version is empty'],
    ['1.2', 'MAJOR.MINOR.PATCH'],
    ['1.2.3.4', 'MAJOR.MINOR.PATCH'],
    ['01.2.3', 'major version 01 has a leading zero'],
    ['1.02.3', 'minor version 02 has a leading zero'],
    ['1.2.03', 'patch version 03 has a leading zero'],
    ['1.0.0-01', 'numeric pre-release identifier 01 has a leading zero'],
    ['1.0.0-', 'empty pre-release identifier'],
    ['1.0.0-alpha..1', 'empty pre-release identifier'],
    ['1.0.0+', 'empty build metadata identifier'],
    ['1.0.0+a+b', 'may only contain'],
    ['1.0.0-alpha_1', 'may only contain'],
    [' 1.0.0', 'is not a number'],
    ['1.0.0 ', 'is not a number'],
    ['V1.0.0', 'is not a number'],
    ['1.x.0', 'is not a number'],
    ['-1.0.0', 'MAJOR.MINOR.PATCH'],
    ['18446744073709551616.0.0', 'too large'],
  ])('rejects %j', (text, message) => {
    const result = safeParseVersion(text);
    expect(result.success).toBe(false);
    expect(result.success ? '' : result.error).toContain(message);
    expect(() => parseVersion(text)).toThrow(SemverError);
  });
});

describe('format and normalise', () => {
  it.each([
    ['v1.2.3', '1.2.3'],
    ['vv1.0.0-rc.1+build.007', '1.0.0-rc.1+build.007'],
    ['0.0.0', '0.0.0'],
  ])('%s → %s', (input, output) => {
    expect(normalizeVersion(input)).toBe(output);
    expect(formatVersion(parseVersion(input))).toBe(output);
  });
  it('normalises nothing that is not a version', () => {
    expect(normalizeVersion('1.2')).toBeNull();
  });
  it('validates through zod with the reason', () => {
    expect(versionSchema.parse('v2.0.0')).toBe('2.0.0');
    const result = versionSchema.safeParse('2.0');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain('MAJOR.MINOR.PATCH');
  });
});

describe('isPrerelease', () => {
  it.each([
    ['1.0.0', false],
    ['1.0.0+beta', false],
    ['1.0.0-beta', true],
    ['1.0.0-0', true],
  ])('%s → %s', (text, expected) => {
    expect(isPrerelease(text)).toBe(expected);
    expect(isPrerelease(parseVersion(text))).toBe(expected);
  });
});

describe('ordering (semver crate Ord)', () => {
  it('follows the SemVer 2.0.0 §11 precedence example', () => {
    expectAscending([
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
    ]);
  });

  it('compares major, minor and patch numerically', () => {
    expectAscending(['0.0.1', '0.0.2', '0.0.10', '0.1.0', '0.9.0', '0.10.0', '1.0.0', '2.0.0', '10.0.0', '18446744073709551615.0.0']);
  });

  it('orders pre-release identifiers: numeric < alphanumeric, numbers by value, text in ASCII', () => {
    expectAscending(['1.0.0-0', '1.0.0-1', '1.0.0-9', '1.0.0-10', '1.0.0-100', '1.0.0-1a0', '1.0.0-A', '1.0.0-a', '1.0.0-alpha', '1.0.0-alpha.0', '1.0.0-alpha.11', '1.0.0-alpha11', '1.0.0-alpha2', '1.0.0-beta']);
  });

  it('puts a pre-release below its release but above the previous release', () => {
    expectAscending(['1.0.0', '1.1.0-beta.1', '1.1.0-rc.1', '1.1.0', '1.1.1-alpha']);
  });

  it('orders build metadata like the crate: empty first, then piecewise with leading-zero tie-breaks', () => {
    expect(cmp('1.0.0+2', '1.0.0+1')).toBe(1);
    expect(cmp('1.0.0+1', '1.0.0')).toBe(1);
    expect(cmp('1.0.0+1', '1.0.0+1')).toBe(0);
    expectAscending(['1.0.0', '1.0.0+0', '1.0.0+00', '1.0.0+1', '1.0.0+01', '1.0.0+001', '1.0.0+2', '1.0.0+02', '1.0.0+002', '1.0.0+10', '1.0.0+1a0', '1.0.0+a', '1.0.0+a.0', '1.0.0+b']);
  });

  it('ranks build metadata only after pre-release and core', () => {
    expectAscending(['1.0.0-alpha+zzz', '1.0.0-beta', '1.0.0-beta+1', '1.0.0', '1.0.0+a', '1.0.1']);
  });

  it('treats a leading v as the same version', () => {
    expect(cmp('v1.2.3', '1.2.3')).toBe(0);
  });

  it('offers spec precedence that ignores build metadata', () => {
    expect(comparePrecedence(parseVersion('1.0.0+2'), parseVersion('1.0.0+1'))).toBe(0);
    expect(comparePrecedence(parseVersion('1.0.0-beta+2'), parseVersion('1.0.0'))).toBe(-1);
  });
});
