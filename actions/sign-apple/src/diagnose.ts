/**
 * @module diagnose
 * The Apple credentials diagnosis, shared by sign-apple's `mode: diagnose` and `tauri-release doctor --apple`: checks
 * the .p12 and the .p8 offline, before a release fails on them, and names each problem with its fix.
 *
 *   p12          opens with the password (`openssl pkcs12`; again with `-legacy` for the RC2/3DES of older Keychain
 *                exports, which OpenSSL 3 refuses by default) and holds a private key
 *   certificate  a "Developer ID Application" certificate (not Apple Development/Distribution, not Installer)
 *   expiry       valid today, with the days left
 *   team         the team in the name matches the certificate's OU, the team-id given and the identity given
 *   p8           an EC P-256 private key (ES256), with a Key ID and an Issuer ID of the right shape
 *   jwt          a 20-minute App Store Connect token can be signed with it (and verifies), as notarytool would
 *
 * The password reaches openssl in a private file (`-passin file:`), never in argv; messages never quote a secret.
 */
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { jwtVerify, SignJWT } from 'jose';
import { isIssuerId, isKeyId, isTeamId } from '../../shared/src/apple-credentials.ts';
import { makePrivateDir, removePrivateDir, writePrivateFile } from '../../shared/src/files.ts';
import type { Secret } from '../../shared/src/secret.ts';
import type { Runner } from '../../shared/src/spawn.ts';

export const APPLE_CHECKS = ['p12', 'certificate', 'expiry', 'team', 'p8', 'jwt'] as const;
export type AppleCheck = (typeof APPLE_CHECKS)[number];

export interface AppleFinding {
  check: AppleCheck;
  status: 'ok' | 'problem' | 'skipped';
  message: string;
  /** What to do; set on every problem. */
  fix?: string;
}

export interface AppleCredentials {
  /** The .p12 file's bytes (decoded from base64). */
  p12?: Buffer;
  p12Password?: Secret;
  /** APPLE_SIGNING_IDENTITY: a name fragment or SHA-1 the certificate must match. */
  identity?: string;
  /** APPLE_TEAM_ID, for Apple ID notarization. */
  teamId?: string;
  /** The .p8 file's text (PEM). */
  p8?: Secret;
  keyId?: string;
  issuer?: string;
}

export interface DiagnoseDeps {
  run: Runner;
  /** Where the private scratch folder for openssl is made. */
  tempRoot: string;
  now?: Date;
}

const TEMP_PREFIX = 'apple-diagnose-';
const DAY_MS = 86_400_000;
const ok = (check: AppleCheck, message: string): AppleFinding => ({ check, status: 'ok', message });
const problem = (check: AppleCheck, message: string, fix: string): AppleFinding => ({ check, status: 'problem', message, fix });
const skipped = (check: AppleCheck, message: string): AppleFinding => ({ check, status: 'skipped', message });

const EXPORT_FIX =
  'In Keychain Access, select the "Developer ID Application" certificate together with its private key, File → Export ' +
  'Items… as .p12 with a password, then store `base64 -i certificate.p12` as APPLE_CERTIFICATE';

/** Every check, in APPLE_CHECKS order; a credential not given is `skipped`, not a problem. */
export async function diagnoseApple(creds: AppleCredentials, deps: DiagnoseDeps): Promise<AppleFinding[]> {
  return [...(await diagnoseP12(creds, deps)), ...(await diagnoseP8(creds, deps.now ?? new Date()))];
}

type Opened = { ok: true; certificates: X509Certificate[]; legacy: boolean } | { ok: false; finding: AppleFinding };

async function openP12(p12: Buffer, password: Secret, run: Runner, tempRoot: string): Promise<Opened> {
  const dir = await makePrivateDir(tempRoot, TEMP_PREFIX);
  try {
    const file = join(dir, 'certificate.p12');
    const passFile = join(dir, 'password');
    await writePrivateFile(file, p12);
    await writePrivateFile(passFile, password.reveal());
    const pkcs12 = (extra: string[]) => run('openssl', ['pkcs12', '-in', file, '-passin', `file:${passFile}`, ...extra], { quiet: true });
    let legacy = false;
    let info = await pkcs12(['-info', '-noout']);
    if (info.code !== 0 && /unsupported|RC2|legacy/i.test(info.output) && !/mac verify/i.test(info.output)) {
      legacy = true;
      info = await pkcs12(['-info', '-noout', '-legacy']);
    }
    if (info.code !== 0) {
      if (/mac verify|invalid password/i.test(info.output)) {
        return { ok: false, finding: problem('p12', 'the .p12 does not open with APPLE_CERTIFICATE_PASSWORD (MAC verification failed)', `set APPLE_CERTIFICATE_PASSWORD to the password chosen when exporting the .p12, or export it again. ${EXPORT_FIX}`) };
      }
      return { ok: false, finding: problem('p12', `openssl cannot read APPLE_CERTIFICATE as a PKCS#12 file: ${info.output.split('\n')[0]}`, `store the base64 of the .p12 file itself. ${EXPORT_FIX}`) };
    }
    if (!/Shrouded Keybag|Key bag/i.test(info.output)) {
      return { ok: false, finding: problem('p12', 'the .p12 holds no private key, only the certificate: codesign cannot sign with it', EXPORT_FIX) };
    }
    const certs = await pkcs12(['-nokeys', ...(legacy ? ['-legacy'] : [])]);
    const pems = certs.stdout.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
    return { ok: true, certificates: pems.map((pem) => new X509Certificate(pem)), legacy };
  } finally {
    await removePrivateDir(dir, TEMP_PREFIX);
  }
}

/** The value of one attribute of a certificate subject (`CN`, `OU`), as node prints subjects (one `K=V` a line). */
const attribute = (subject: string, key: string): string | undefined => new RegExp(`^${key}=(.*)$`, 'm').exec(subject)?.[1];

async function diagnoseP12(creds: AppleCredentials, deps: DiagnoseDeps): Promise<AppleFinding[]> {
  const rest = (why: string) => (['certificate', 'expiry', 'team'] as const).map((check) => skipped(check, why));
  if (!creds.p12) return [skipped('p12', 'APPLE_CERTIFICATE is not set: the certificate was not checked'), ...rest('no .p12 to check')];
  if (!creds.p12Password) {
    return [problem('p12', 'APPLE_CERTIFICATE is set but APPLE_CERTIFICATE_PASSWORD is empty', 'set APPLE_CERTIFICATE_PASSWORD to the .p12\'s export password (an empty export password is refused by `security import`)'), ...rest('the .p12 could not be opened')];
  }
  const opened = await openP12(creds.p12, creds.p12Password, deps.run, deps.tempRoot);
  if (!opened.ok) return [opened.finding, ...rest('the .p12 could not be opened')];
  const findings: AppleFinding[] = [
    ok('p12', `the .p12 opens with the password and holds a private key${opened.legacy ? ' (legacy RC2/3DES encryption: fine for `security import`)' : ''}`),
  ];

  const names = opened.certificates.map((cert) => ({ cert, cn: attribute(cert.subject, 'CN') ?? cert.subject }));
  const developerId = names.find(({ cn }) => cn.startsWith('Developer ID Application:'));
  if (!developerId) {
    const found = names.map(({ cn }) => `"${cn}"`).join(', ') || 'no certificate';
    findings.push(problem('certificate', `the .p12 holds ${found}, not a "Developer ID Application" certificate: apps outside the Mac App Store must be signed with one to be notarized`, 'the Account Holder creates a "Developer ID Application" certificate at developer.apple.com → Certificates (or in Xcode → Settings → Accounts → Manage Certificates); then export it with its key. ' + EXPORT_FIX));
    return [...findings, ...rest('no Developer ID Application certificate').slice(1)];
  }
  const { cert, cn } = developerId;
  findings.push(ok('certificate', `"${cn}" (SHA-1 ${cert.fingerprint.replaceAll(':', '')})`));

  const now = (deps.now ?? new Date()).getTime();
  const validTo = new Date(cert.validTo);
  const days = Math.floor((validTo.getTime() - now) / DAY_MS);
  if (validTo.getTime() <= now) {
    findings.push(problem('expiry', `the certificate expired on ${validTo.toISOString().slice(0, 10)}: codesign refuses it and Apple does not notarize with it`, 'create a new Developer ID Application certificate (an expired one cannot be renewed), export it with its key and replace APPLE_CERTIFICATE and APPLE_CERTIFICATE_PASSWORD'));
  } else if (new Date(cert.validFrom).getTime() > now) {
    findings.push(problem('expiry', `the certificate is not valid before ${new Date(cert.validFrom).toISOString()}`, 'check this machine\'s clock, or wait until then'));
  } else {
    findings.push(ok('expiry', `valid until ${validTo.toISOString().slice(0, 10)}, ${days} day${days === 1 ? '' : 's'} left${days < 30 ? ': create its successor now' : ''}`));
  }

  findings.push(checkTeam(cn, attribute(cert.subject, 'OU'), cert.fingerprint.replaceAll(':', ''), creds));
  return findings;
}

function checkTeam(cn: string, ou: string | undefined, sha1: string, creds: AppleCredentials): AppleFinding {
  const inName = /\(([A-Z0-9]{10})\)\s*$/.exec(cn)?.[1];
  const team = inName ?? ou;
  if (!team) return problem('team', `"${cn}" names no team ID`, 'use the certificate Apple issued; its name ends in "(TEAMID)"');
  if (ou && inName && ou !== inName) return problem('team', `the name says team ${inName} but the certificate's OU is ${ou}`, 'use the certificate Apple issued, unchanged');
  if (creds.teamId && creds.teamId !== team) {
    return problem('team', `APPLE_TEAM_ID is ${isTeamId(creds.teamId) ? creds.teamId : 'not a team ID'}, but the certificate belongs to team ${team}`, `set APPLE_TEAM_ID to ${team}, or use the certificate of team ${creds.teamId}`);
  }
  if (creds.identity && !cn.includes(creds.identity) && creds.identity.toUpperCase() !== sha1) {
    return problem('team', `APPLE_SIGNING_IDENTITY "${creds.identity}" does not match "${cn}": Tauri and codesign would not find it`, `set APPLE_SIGNING_IDENTITY to "${cn}" (or its SHA-1 ${sha1}), or leave it empty`);
  }
  return ok('team', `team ${team}${creds.teamId ? ', as APPLE_TEAM_ID' : ''}${creds.identity ? `; APPLE_SIGNING_IDENTITY matches` : ''}`);
}

const P8_FIX = 'download the key from App Store Connect → Users and Access → Integrations → Team Keys (a .p8 is offered once; a lost one is revoked and replaced)';

async function diagnoseP8(creds: AppleCredentials, now: Date): Promise<AppleFinding[]> {
  if (!creds.p8) return [skipped('p8', 'no App Store Connect API key (.p8) given: not checked'), skipped('jwt', 'no .p8 to sign with')];
  let key: KeyObject;
  try {
    key = createPrivateKey(creds.p8.reveal());
  } catch {
    return [problem('p8', 'the API key is not a PEM private key', `store the .p8 file's content (or its base64). ${P8_FIX}`), skipped('jwt', 'the key could not be read')];
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || curve !== 'prime256v1') {
    const what = key.asymmetricKeyType === 'ec' ? `an EC key on ${curve}` : `an ${key.asymmetricKeyType?.toUpperCase()} key`;
    return [problem('p8', `the API key is ${what}, not the EC P-256 (ES256) key App Store Connect issues`, P8_FIX), skipped('jwt', 'the key cannot sign ES256')];
  }
  const shape = [
    ...(creds.keyId && isKeyId(creds.keyId) ? [] : [`the Key ID (APPLE_API_KEY) is ${creds.keyId ? 'not 10 letters and digits' : 'empty'}`]),
    ...(creds.issuer && isIssuerId(creds.issuer) ? [] : [`the Issuer ID (APPLE_API_ISSUER) is ${creds.issuer ? 'not a UUID' : 'empty'}`]),
  ];
  if (shape.length > 0) {
    return [problem('p8', `the key is ES256, but ${shape.join(' and ')}`, 'copy both from App Store Connect → Users and Access → Integrations (the Key ID is in the key\'s row, the Issuer ID above the table)'), skipped('jwt', 'no Key ID or Issuer ID to put in the token')];
  }
  const findings: AppleFinding[] = [ok('p8', `an ES256 (P-256) key, Key ID ${creds.keyId}`)];
  try {
    const iat = Math.floor(now.getTime() / 1000);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: creds.keyId!, typ: 'JWT' })
      .setIssuer(creds.issuer!)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 20 * 60)
      .setAudience('appstoreconnect-v1')
      .sign(key);
    await jwtVerify(token, createPublicKey(key), { audience: 'appstoreconnect-v1', issuer: creds.issuer!, currentDate: now });
    findings.push(ok('jwt', 'a 20-minute App Store Connect token signs and verifies (whether Apple accepts it is checked only by a notarization)'));
  } catch (error) {
    findings.push(problem('jwt', `no App Store Connect token could be made with the key: ${(error as Error).message}`, P8_FIX));
  }
  return findings;
}

/** Each finding as `ok       check: message` lines, with `fix:` under a problem (the action log and the CLI). */
export function findingLines(findings: readonly AppleFinding[]): string[] {
  const mark = { ok: 'ok     ', problem: 'PROBLEM', skipped: 'skipped' } as const;
  return findings.map((f) => `${mark[f.status]}  ${f.check}: ${f.message}${f.fix ? `\n         fix: ${f.fix}` : ''}`);
}
