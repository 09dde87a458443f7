/**
 * @module signtool
 * Authenticode on Windows runners with the Windows SDK's signtool, as Tauri's own default sign command
 * does: `sign /fd sha256 … /tr <url> /td sha256`, then `verify /pa`. The PFX is used from disk with `/f`
 * (no certificate store import); signtool takes its password only in argv (`/p`), so it is a Secret
 * there and masked in every log line. signtool signs in place, so the input is first copied to the output.
 */
import { copyFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuthenticodeTool, CertificateFiles, SignRequest, SignatureLabel } from './authenticode.ts';
import type { Secret } from '../../shared/src/secret.ts';
import type { Arg, Runner } from '../../shared/src/spawn.ts';

export function signtoolSignArgs(file: string, timestampUrl: string | null, pfxPath: string, password: Secret | null, label: SignatureLabel): Arg[] {
  const args: Arg[] = ['sign', '/fd', 'sha256', '/f', pfxPath];
  if (password) args.push('/p', password);
  if (label.description) args.push('/d', label.description);
  if (label.descriptionUrl) args.push('/du', label.descriptionUrl);
  if (timestampUrl) args.push('/tr', timestampUrl, '/td', 'sha256');
  args.push(file);
  return args;
}

export function signtoolVerifyArgs(file: string): string[] {
  return ['verify', '/pa', '/v', file];
}

/** Windows SDK versions sort as dotted numbers: 10.0.26100.0 > 10.0.22621.0. */
function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/**
 * signtool is not on PATH on GitHub's Windows images; it sits in
 * `%ProgramFiles(x86)%\Windows Kits\10\bin\<sdk version>\<arch>\signtool.exe`. The newest SDK wins, as in
 * Tauri's bundler (`windows/sign.rs`). Returns null when no SDK is installed.
 */
export async function findSigntool(kitsBin: string, arch: 'x64' | 'arm64' | 'x86'): Promise<string | null> {
  let entries: string[];
  try {
    entries = await readdir(kitsBin);
  } catch {
    return null;
  }
  const versions = entries.filter((name) => /^\d+(\.\d+)+$/.test(name)).sort(compareVersions).reverse();
  for (const version of versions) {
    const candidate = join(kitsBin, version, arch, 'signtool.exe');
    try {
      if ((await readdir(join(kitsBin, version, arch))).includes('signtool.exe')) return candidate;
    } catch {
      // no such architecture folder in this SDK
    }
  }
  return null;
}

export function signtool(run: Runner, program: string, cert: CertificateFiles, password: Secret | null, label: SignatureLabel): AuthenticodeTool {
  return {
    name: 'signtool',
    async sign(request: SignRequest) {
      await copyFile(request.input, request.output);
      return run(program, signtoolSignArgs(request.output, request.timestampUrl, cert.pfxPath, password, label), { timeoutMs: request.timeoutMs });
    },
    verify: (file) => run(program, signtoolVerifyArgs(file), { timeoutMs: 120_000 }),
  };
}
