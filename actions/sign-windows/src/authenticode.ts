/**
 * @module authenticode
 * What sign.ts needs from a signing tool, whichever it is: sign one file into a new file, with or without
 * an RFC 3161 timestamp, and verify a signed file. osslsigncode.ts and signtool.ts implement it.
 */
import type { RunResult } from '../../shared/src/spawn.ts';

export interface SignRequest {
  input: string;
  /** A path in the input's folder with the input's extension (signtool picks the format by extension). */
  output: string;
  /** RFC 3161 server, or null to sign without a timestamp. */
  timestampUrl: string | null;
  timeoutMs: number;
}

export interface AuthenticodeTool {
  readonly name: string;
  sign(request: SignRequest): Promise<RunResult>;
  verify(file: string): Promise<RunResult>;
}

/** The credentials on disk for the length of one run (see sign.ts withCertificate). */
export interface CertificateFiles {
  pfxPath: string;
  /** File holding the password (osslsigncode -readpass), or null when the PFX has none. */
  passwordPath: string | null;
}

export interface SignatureLabel {
  description: string | null;
  descriptionUrl: string | null;
}

/** The tool's output trimmed to its last lines, for an error message. */
export function tail(output: string, lines = 12): string {
  const all = output.trim().split(/\r?\n/);
  return all.slice(-lines).join('\n');
}
