/**
 * Choosing the signing identity from what `security find-identity` lists. Signing by SHA-1 rather than by name avoids
 * codesign's "ambiguous (matches …)" when two certificates share a name (docs/reference/signing.md §1.3, §7).
 */
import type { Identity } from './security.ts';

const SHA1 = /^[0-9A-Fa-f]{40}$/;

function listing(identities: readonly Identity[]): string {
  return identities.map((id) => `  ${id.hash} "${id.name}"`).join('\n');
}

/**
 * @param wanted a SHA-1, or a name or part of one (Tauri's rule: the certificate's name must *contain* it, e.g.
 *   "Developer ID Application" or the team ID). Without it, the one Developer ID Application identity is taken.
 * @param where what was searched, for messages ("the imported .p12", "this Mac's keychains").
 */
export function selectIdentity(identities: readonly Identity[], wanted: string | undefined, where: string): Identity {
  if (identities.length === 0) {
    throw new Error(
      `No valid code-signing identity in ${where}. The certificate may have expired or been revoked, or be missing its ` +
        'private key (export the certificate *with* its key from Keychain Access as .p12).',
    );
  }
  if (wanted) {
    const matches = SHA1.test(wanted)
      ? identities.filter((id) => id.hash === wanted.toUpperCase())
      : identities.filter((id) => id.name.includes(wanted));
    const exact = matches.filter((id) => id.name === wanted);
    if (matches.length === 1) return matches[0]!;
    if (exact.length === 1) return exact[0]!;
    if (matches.length === 0) {
      throw new Error(`signing-identity ${JSON.stringify(wanted)} matches no identity in ${where}, which has:\n${listing(identities)}`);
    }
    throw new Error(
      `signing-identity ${JSON.stringify(wanted)} matches ${matches.length} identities in ${where}; pass the SHA-1 of ` +
        `the one to use:\n${listing(matches)}`,
    );
  }
  const developerId = identities.filter((id) => id.name.startsWith('Developer ID Application:'));
  if (developerId.length === 1) return developerId[0]!;
  if (developerId.length === 0 && identities.length === 1) return identities[0]!;
  throw new Error(
    `${where} has ${developerId.length || identities.length} code-signing identities; set signing-identity to the ` +
      `SHA-1 of the one to use:\n${listing(developerId.length > 0 ? developerId : identities)}`,
  );
}

/** The team ID at the end of an identity name: `Developer ID Application: Example Corp (ABCDE12345)` → `ABCDE12345`. */
export function teamIdOf(name: string): string | undefined {
  return /\(([A-Z0-9]{10})\)\s*$/.exec(name)?.[1];
}

/** Only Developer ID Application identities produce apps that Gatekeeper opens on other Macs and Apple notarizes. */
export function isDeveloperIdApplication(identity: Identity): boolean {
  return identity.name.startsWith('Developer ID Application:');
}
