import { describe, expect, it } from '@jest/globals';
import { ConfigError, GITHUB_ACTIONS_ISSUER, loadConfig } from '../config.ts';

describe('OIDC_ISSUER and OIDC_AUDIENCE', () => {
  it('default to GitHub.com\'s issuer and trusted publishing off', () => {
    expect(loadConfig({}).oidc).toEqual({ issuer: 'https://token.actions.githubusercontent.com', audience: undefined });
    expect(GITHUB_ACTIONS_ISSUER).toBe('https://token.actions.githubusercontent.com');
  });

  it.each([
    'https://token.actions.githubusercontent.com',
    'https://token.actions.githubusercontent.com/octo-enterprise', // GHEC include_enterprise_slug
    'https://token.actions.octocorp.ghe.com', // GHE.com data residency
    'https://github.example.com/_services/token', // GHES
    'https://github.example.com:8443/_services/token',
    'http://127.0.0.1:43123', // the tests' local issuer
    'http://127.0.0.1:43123/issuer/one',
    'http://[::1]:43123',
  ])('accepts %s', (issuer) => {
    expect(loadConfig({ OIDC_ISSUER: issuer }).oidc.issuer).toBe(issuer);
  });

  it.each([
    'https://token.actions.githubusercontent.com/', // trailing slash: another issuer (AADSTS70021)
    'https://token.actions.githubusercontent.com.evil.com',
    'https://token.actions.githubusercontent.com@evil.com',
    'https://token.actions.githubusercontent.com/a/b', // a slug is one segment
    'https://token.actions.githubusercontent.com/../evil',
    'https://token.actions.githubusercontent.com/%2e%2e',
    'https://token.actions.githubusercontent.com/slug?x=1',
    'https://token.actions.githubusercontent.com/slug#x',
    'http://token.actions.githubusercontent.com',
    'https://evil.githubusercontent.com/_services/token',
    'https://github.example.com/_services/token/',
    'https://github.example.com/other',
    'http://github.example.com/_services/token', // plain HTTP only on loopback
    'http://localhost:8080', // a name, resolved through DNS
    'http://127.0.0.2:8080',
    'http://10.0.0.1:8080',
    'vstoken.actions.githubusercontent.com',
  ])('refuses %s, naming the variable and the accepted forms', (issuer) => {
    expect(() => loadConfig({ OIDC_ISSUER: issuer })).toThrow(ConfigError);
    expect(() => loadConfig({ OIDC_ISSUER: issuer })).toThrow(/OIDC_ISSUER must be https:\/\/token\.actions\.githubusercontent\.com \(no trailing slash\)/);
  });

  it('accepts an audience that names this service', () => {
    expect(loadConfig({ OIDC_AUDIENCE: 'tauri-release:updates.example.com' }).oidc.audience).toBe('tauri-release:updates.example.com');
    expect(loadConfig({ OIDC_AUDIENCE: '  ' }).oidc.audience).toBeUndefined();
  });

  it.each([
    'https://github.com/octo-org', // what every workflow gets without asking
    'sigstore',
    'sts.amazonaws.com',
    'api://AzureADTokenExchange',
    'npm:registry.npmjs.org',
    'pypi',
    'crates.io',
    'two words',
    'x'.repeat(201),
  ])('refuses the audience %s', (audience) => {
    expect(() => loadConfig({ OIDC_AUDIENCE: audience })).toThrow(/OIDC_AUDIENCE must/);
  });

  it('reports OIDC problems together with the others', () => {
    expect(() => loadConfig({ OIDC_ISSUER: 'https://evil.example', OIDC_AUDIENCE: 'sigstore', PORT: 'eighty' })).toThrow(
      /PORT[\s\S]*OIDC_ISSUER must[\s\S]*OIDC_AUDIENCE must/,
    );
  });
});
