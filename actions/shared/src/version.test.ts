import { describe, expect, it } from '@jest/globals';
import { parsePlatformInput } from './platform-input.ts';
import { requireVersion, resolveVersion, tagOf } from './version.ts';

describe('resolveVersion', () => {
  it.each([
    [{ GITHUB_REF: 'refs/tags/v1.2.3' }, '1.2.3'],
    [{ GITHUB_REF: 'refs/tags/my-app-v2.0.0-beta.1+7' }, '2.0.0-beta.1+7'],
    [{ GITHUB_REF: 'refs/tags/release/1.0.0' }, '1.0.0'],
    [{ GITHUB_REF_TYPE: 'tag', GITHUB_REF_NAME: 'v3.1.4' }, '3.1.4'],
  ])('from the tag %j → %s', (env, version) => expect(resolveVersion(undefined, env)).toEqual({ version, source: 'tag' }));

  it('the input wins, spelled canonically', () => {
    expect(resolveVersion('v1.0.0', { GITHUB_REF: 'refs/tags/v9.9.9' })).toEqual({ version: '1.0.0', source: 'input' });
  });

  it('null when neither gives one; errors name the input or the tag', () => {
    expect(resolveVersion(undefined, { GITHUB_REF: 'refs/heads/main' })).toBeNull();
    expect(tagOf({ GITHUB_REF: 'refs/heads/main', GITHUB_REF_TYPE: 'branch', GITHUB_REF_NAME: 'main' })).toBeNull();
    expect(() => resolveVersion('1.2', {})).toThrow('Input version "1.2" is not a semantic version');
    expect(() => resolveVersion(undefined, { GITHUB_REF: 'refs/tags/nightly' })).toThrow('the tag "nightly" does not end in a semantic version');
    expect(() => requireVersion(undefined, { GITHUB_REF: 'refs/heads/main' })).toThrow('Input version is empty and this run was not started by a tag (ref refs/heads/main): pass version');
  });
});

describe('parsePlatformInput', () => {
  it('one key, several, or darwin-universal for both Mac keys', () => {
    expect(parsePlatformInput('platform', 'linux-x86_64')).toEqual(['linux-x86_64']);
    expect(parsePlatformInput('platform', 'darwin-universal')).toEqual(['darwin-aarch64', 'darwin-x86_64']);
    expect(parsePlatformInput('platform', 'darwin-x86_64, darwin-universal')).toEqual(['darwin-x86_64', 'darwin-aarch64']);
  });

  it('refuses empty and unknown values, listing the keys', () => {
    expect(() => parsePlatformInput('platform', undefined)).toThrow('Input platform is empty');
    expect(() => parsePlatformInput('platform', 'macos-arm64')).toThrow(/"macos-arm64" is not a platform key\. Use \{os\}-\{arch\}: linux-x86_64, .*, or darwin-universal/);
  });
});
