/**
 * @module osslsigncode
 * Authenticode off Windows with osslsigncode (Debian/Ubuntu package `osslsigncode`, 2.x). The password
 * is passed with `-readpass <file>`, so it never appears in argv. `-ts` is RFC 3161; the legacy `-t`
 * fails against RFC 3161-only servers ("Authenticode timestamping failed", osslsigncode#126).
 */
import type { AuthenticodeTool, CertificateFiles, SignRequest, SignatureLabel } from './authenticode.ts';
import type { Runner } from '../../shared/src/spawn.ts';

export function osslsigncodeSignArgs(request: Omit<SignRequest, 'timeoutMs'>, cert: CertificateFiles, label: SignatureLabel): string[] {
  const args = ['sign', '-pkcs12', cert.pfxPath];
  if (cert.passwordPath) args.push('-readpass', cert.passwordPath);
  args.push('-h', 'sha256');
  if (label.description) args.push('-n', label.description);
  if (label.descriptionUrl) args.push('-i', label.descriptionUrl);
  if (request.timestampUrl) args.push('-ts', request.timestampUrl);
  args.push('-in', request.input, '-out', request.output);
  return args;
}

/**
 * `-ignore-crl`: the check is of the signature and its chain; fetching CRLs from the runner would make
 * it depend on the CA's web servers. Without `caFile` the system store is used.
 */
export function osslsigncodeVerifyArgs(file: string, caFile: string | null): string[] {
  const args = ['verify', '-ignore-crl'];
  if (caFile) args.push('-CAfile', caFile, '-TSA-CAfile', caFile);
  args.push('-in', file);
  return args;
}

export function osslsigncode(
  run: Runner,
  cert: CertificateFiles,
  label: SignatureLabel,
  verifyCaFile: string | null,
  program = 'osslsigncode',
): AuthenticodeTool {
  return {
    name: 'osslsigncode',
    sign: (request) => run(program, osslsigncodeSignArgs(request, cert, label), { timeoutMs: request.timeoutMs }),
    verify: (file) => run(program, osslsigncodeVerifyArgs(file, verifyCaFile), { timeoutMs: 120_000 }),
  };
}
