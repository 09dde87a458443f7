import { describe, expect, it } from '@jest/globals';
import { isDeveloperIdApplication, selectIdentity, teamIdOf } from './identity.ts';
import { parseIdentities, parseKeychainList } from './security.ts';

const DEV_ID = { hash: '3F2504E04F8911D39A0C0305E82C33011D8A2F4B', name: 'Developer ID Application: Example Corp (ABCDE12345)' };
const DEV_ID_2 = { hash: '9A0C0305E82C33011D8A2F4B3F2504E04F8911D3', name: 'Developer ID Application: Example Corp (ABCDE12345)' };
const APPLE_DEV = { hash: '0123456789ABCDEF0123456789ABCDEF01234567', name: 'Apple Development: dev@example.com (ZZZZZ99999)' };

describe('parsing security output', () => {
  it('reads the identities `find-identity -v -p codesigning` lists, upper-casing the SHA-1', () => {
    const stdout = [
      `  1) ${DEV_ID.hash.toLowerCase()} "${DEV_ID.name}"`,
      `  2) ${APPLE_DEV.hash} "${APPLE_DEV.name}"`,
      '     2 valid identities found',
    ].join('\n');
    expect(parseIdentities(stdout)).toEqual([DEV_ID, APPLE_DEV]);
  });

  it('skips identities listed with a trust problem, and reads an empty listing', () => {
    expect(parseIdentities(`  1) ${DEV_ID.hash} "${DEV_ID.name}" (CSSMERR_TP_CERT_EXPIRED)\n     1 identities found`)).toEqual([]);
    expect(parseIdentities('     0 valid identities found\n')).toEqual([]);
  });

  it('reads the quoted, indented search list', () => {
    const stdout = '    "/Users/runner/Library/Keychains/login.keychain-db"\n    "/Library/Keychains/System.keychain"\n';
    expect(parseKeychainList(stdout)).toEqual(['/Users/runner/Library/Keychains/login.keychain-db', '/Library/Keychains/System.keychain']);
  });
});

describe('selectIdentity', () => {
  const where = 'the imported .p12';

  it('takes the one Developer ID Application identity when none is named', () => {
    expect(selectIdentity([APPLE_DEV, DEV_ID], undefined, where)).toBe(DEV_ID);
    expect(selectIdentity([APPLE_DEV], undefined, where)).toBe(APPLE_DEV);
  });

  it('matches a SHA-1 in any case, or a name fragment as tauri does', () => {
    expect(selectIdentity([DEV_ID, DEV_ID_2], DEV_ID_2.hash.toLowerCase(), where)).toBe(DEV_ID_2);
    expect(selectIdentity([APPLE_DEV, DEV_ID], 'ABCDE12345', where)).toBe(DEV_ID);
  });

  it('asks for the SHA-1 when a name is ambiguous, listing the candidates', () => {
    expect(() => selectIdentity([DEV_ID, DEV_ID_2], 'Developer ID Application', where)).toThrow(
      new RegExp(`matches 2 identities in the imported \\.p12; pass the SHA-1 .*\\n  ${DEV_ID.hash} .*\\n  ${DEV_ID_2.hash}`),
    );
    expect(() => selectIdentity([DEV_ID, DEV_ID_2], undefined, where)).toThrow(/has 2 code-signing identities; set signing-identity to the SHA-1/);
  });

  it('names what it searched when nothing matches or nothing is there', () => {
    expect(() => selectIdentity([DEV_ID], 'Other Corp', where)).toThrow(/"Other Corp" matches no identity in the imported \.p12, which has:\n  3F25/);
    expect(() => selectIdentity([], undefined, where)).toThrow(/No valid code-signing identity in the imported \.p12\. The certificate may have expired/);
  });

  it('reads the team ID and the certificate kind from the name', () => {
    expect(teamIdOf(DEV_ID.name)).toBe('ABCDE12345');
    expect(teamIdOf('Some Name')).toBeUndefined();
    expect(isDeveloperIdApplication(DEV_ID)).toBe(true);
    expect(isDeveloperIdApplication(APPLE_DEV)).toBe(false);
  });
});
