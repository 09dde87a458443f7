import { describe, expect, it } from '@jest/globals';
import { formatCommand } from '../../shared/src/spawn.ts';
import { Secret } from '../../shared/src/secret.ts';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TIMESTAMP_URLS, InputError, missingProgramHint, validateOptions } from './options.ts';
import { osslsigncodeSignArgs, osslsigncodeVerifyArgs } from './osslsigncode.ts';
import { findSigntool, signtoolSignArgs, signtoolVerifyArgs } from './signtool.ts';
import { tryTimestampServers } from './timestamp.ts';

// A real DER prefix is enough for validation: a SEQUENCE of 100 bytes.
const pfx = new Secret('certificate', Buffer.concat([Buffer.from([0x30, 0x82, 0x00, 0x64]), Buffer.alloc(100, 1)]).toString('base64'));

const problemsOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error('expected an InputError');
};

describe('validateOptions', () => {
  it('fills defaults: osslsigncode off Windows, signtool on it, the public timestamp servers, 60 s, verify on', () => {
    const linux = validateOptions({ certificate: pfx }, 'linux');
    expect(linux).toMatchObject({
      tool: 'osslsigncode', timestampUrls: DEFAULT_TIMESTAMP_URLS, timestampTimeoutMs: 60_000, allowUntimestamped: false,
      verify: true, updater: null, certificatePassword: null, workingDirectory: '.',
    });
    expect(Object.isFrozen(linux)).toBe(true);
    expect(validateOptions({ certificate: pfx }, 'win32').tool).toBe('signtool');
  });

  it('says an empty certificate is probably an unset secret', () => {
    expect(problemsOf(() => validateOptions({}, 'linux'))).toMatch(/^certificate is empty \(an unset or misspelled/);
  });

  it('tells a path or a PEM from the base64 of a PFX', () => {
    expect(problemsOf(() => validateOptions({ certificate: new Secret('c', './cert.pfx') }, 'linux'))).toContain('certificate is not base64');
    const pem = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB'.repeat(8)).toString('base64');
    expect(problemsOf(() => validateOptions({ certificate: new Secret('c', pem) }, 'linux'))).toContain('not a PKCS#12');
  });

  it('accepts base64 wrapped over lines, as `base64` prints it', () => {
    const wrapped = new Secret('c', pfx.reveal().replace(/(.{20})/g, '$1\n'));
    expect(validateOptions({ certificate: wrapped }, 'linux').certificate!.reveal()).toBe(pfx.reveal());
  });

  it('refuses a verify-ca-file that is not there, before anything is signed or timestamped', () => {
    expect(problemsOf(() => validateOptions({ certificate: pfx, verifyCaFile: 'certs/private-ca.pem' }, 'linux'))).toBe(
      'verify-ca-file "certs/private-ca.pem" is not a file: pass the PEM of the CA(s) that issued the certificate and the timestamp, or leave it empty for the system store',
    );
    expect(validateOptions({ certificate: pfx, verifyCaFile: 'package.json' }, 'linux').verifyCaFile).toBe('package.json');
  });

  it('reports every problem at once', () => {
    const message = problemsOf(() =>
      validateOptions(
        {
          certificate: pfx, timestampUrls: ['ftp://tsa.example', 'not a url'], timestampTimeout: '0', tool: 'signtool',
          descriptionUrl: 'example.com', tauriSigningPrivateKeyPassword: new Secret('p', 'x'),
        },
        'linux',
      ),
    );
    expect(message.split('\n')).toEqual([
      'timestamp-urls: "ftp://tsa.example" is not the http(s) URL of an RFC 3161 server',
      'timestamp-urls: "not a url" is not the http(s) URL of an RFC 3161 server',
      'Input timestamp-timeout must be a whole number from 1 to 600, not "0".',
      'tool: signtool runs on Windows runners only; osslsigncode (the default elsewhere) signs the same files',
      'description-url must be an http(s) URL, not "example.com"',
      expect.stringMatching(/^tauri-signing-private-key-password is set but tauri-signing-private-key is empty/),
    ]);
  });

  it('needs a timestamp server unless untimestamped signatures are allowed', () => {
    expect(problemsOf(() => validateOptions({ certificate: pfx, timestampUrls: ['', ' '] }, 'linux'))).toContain('timestamp-urls lists no server');
    expect(validateOptions({ certificate: pfx, timestampUrls: [], allowUntimestamped: true }, 'linux').timestampUrls).toEqual([]);
  });

  it('turns a Tauri key into updater signing', () => {
    const key = new Secret('k', 'dW50cnVzdGVk');
    expect(validateOptions({ certificate: pfx, tauriSigningPrivateKey: key, appVersion: '1.2.3', tauriCli: 'cargo tauri' }, 'linux').updater)
      .toEqual({ privateKey: key, password: null, cli: 'cargo tauri', appVersion: '1.2.3' });
  });
});

describe('tool command lines', () => {
  const cert = { pfxPath: '/t/cert.pfx', passwordPath: '/t/password' };
  const label = { description: 'My App', descriptionUrl: 'https://example.com' };

  it('osslsigncode: RFC 3161 (-ts), SHA-256, password from a file', () => {
    expect(osslsigncodeSignArgs({ input: 'a.exe', output: '.a.x.exe', timestampUrl: 'http://ts' }, cert, label)).toEqual([
      'sign', '-pkcs12', '/t/cert.pfx', '-readpass', '/t/password', '-h', 'sha256', '-n', 'My App', '-i', 'https://example.com',
      '-ts', 'http://ts', '-in', 'a.exe', '-out', '.a.x.exe',
    ]);
    expect(osslsigncodeSignArgs({ input: 'a.exe', output: 'b.exe', timestampUrl: null }, { pfxPath: 'c.pfx', passwordPath: null }, { description: null, descriptionUrl: null }))
      .toEqual(['sign', '-pkcs12', 'c.pfx', '-h', 'sha256', '-in', 'a.exe', '-out', 'b.exe']);
    expect(osslsigncodeVerifyArgs('a.exe', 'ca.pem')).toEqual(['verify', '-ignore-crl', '-CAfile', 'ca.pem', '-TSA-CAfile', 'ca.pem', '-in', 'a.exe']);
    expect(osslsigncodeVerifyArgs('a.exe', null)).toEqual(['verify', '-ignore-crl', '-in', 'a.exe']);
  });

  it('signtool: /fd sha256 /tr … /td sha256 as Tauri does, the password masked in the logged line', () => {
    const password = new Secret('certificate-password', 'hunter2');
    const args = signtoolSignArgs('C:\\b\\App-setup.exe', 'http://ts', 'C:\\t\\cert.pfx', password, label);
    expect(args).toEqual(['sign', '/fd', 'sha256', '/f', 'C:\\t\\cert.pfx', '/p', password, '/d', 'My App', '/du', 'https://example.com',
      '/tr', 'http://ts', '/td', 'sha256', 'C:\\b\\App-setup.exe']);
    expect(formatCommand('signtool.exe', args)).not.toContain('hunter2');
    expect(signtoolSignArgs('x.msi', null, 'c.pfx', null, { description: null, descriptionUrl: null })).toEqual(['sign', '/fd', 'sha256', '/f', 'c.pfx', 'x.msi']);
    expect(signtoolVerifyArgs('x.msi')).toEqual(['verify', '/pa', '/v', 'x.msi']);
  });

  it('finds the newest Windows SDK signtool for the architecture', async () => {
    const kits = await mkdtemp(join(tmpdir(), 'kits-'));
    for (const [version, arch] of [['10.0.19041.0', 'x64'], ['10.0.22621.0', 'x64'], ['10.0.26100.0', 'arm64'], ['10.0.9999.0', 'x64']] as const) {
      await mkdir(join(kits, version, arch), { recursive: true });
      await writeFile(join(kits, version, arch, 'signtool.exe'), '');
    }
    await mkdir(join(kits, 'x64'));
    expect(await findSigntool(kits, 'x64')).toBe(join(kits, '10.0.22621.0', 'x64', 'signtool.exe'));
    expect(await findSigntool(kits, 'arm64')).toBe(join(kits, '10.0.26100.0', 'arm64', 'signtool.exe'));
    expect(await findSigntool(kits, 'x86')).toBeNull();
    expect(await findSigntool(join(kits, 'missing'), 'x64')).toBeNull();
  });
});

describe('tryTimestampServers', () => {
  const result = (code: number, timedOut = false) => ({ code, stdout: '', stderr: '', output: code ? 'HTTP failure\nRFC 3161 timestamping failed' : 'Succeeded', timedOut });

  it('stops at the first server that works and reports the ones before it', async () => {
    const asked: string[] = [];
    const failures: string[] = [];
    const outcome = await tryTimestampServers(['a', 'b', 'c', 'd'], async (url) => {
      asked.push(url);
      return url === 'a' ? result(1) : url === 'b' ? result(-1, true) : result(0);
    }, (f) => failures.push(`${f.url} ${f.result}`));
    expect(asked).toEqual(['a', 'b', 'c']);
    expect(failures).toEqual(['a failed', 'b timed out']);
    expect(outcome).toEqual({
      url: 'c',
      attempts: [
        { url: 'a', result: 'failed', detail: 'HTTP failure\nRFC 3161 timestamping failed' },
        { url: 'b', result: 'timed out', detail: '' },
        { url: 'c', result: 'ok', detail: '' },
      ],
    });
  });

  it('returns no server when all fail, and asks none when the list is empty', async () => {
    expect((await tryTimestampServers(['a'], async () => result(1))).url).toBeNull();
    expect(await tryTimestampServers([], async () => result(0))).toEqual({ url: null, attempts: [] });
  });
});

describe('missingProgramHint', () => {
  const key = new Secret('tauri-signing-private-key', 'k');
  it('names the input the missing program came from', () => {
    expect(missingProgramHint(validateOptions({ signCommand: 'smctl sign --input %1' }, 'linux'), 'smctl')).toMatch(/^sign-command names a program/);
    expect(missingProgramHint(validateOptions({ certificate: pfx, tauriSigningPrivateKey: key, tauriCli: 'pnpm tauri' }, 'linux'), 'pnpm')).toMatch(/^tauri-cli names a program/);
    expect(missingProgramHint(validateOptions({ certificate: pfx, tauriSigningPrivateKey: key }, 'linux'), 'cargo')).toMatch(/No @tauri-apps\/cli was found .* set tauri-cli/);
    expect(missingProgramHint(validateOptions({ certificate: pfx }, 'linux'), 'osslsigncode')).toMatch(/apt-get install osslsigncode/);
    expect(missingProgramHint(validateOptions({ certificate: pfx }, 'win32'), 'signtool.exe')).toMatch(/^Set signtool-path/);
  });
});
