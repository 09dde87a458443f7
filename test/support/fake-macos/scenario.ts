/**
 * The fake macOS tools' scenario, state and call-log shapes, shared by the tools (`tools.ts`, run as a program) and
 * the test-side installer (`index.ts`).
 */

export interface Identity {
  hash: string;
  name: string;
}

export interface FakeScenario {
  /** The password that opens the .p12 (default `p12-password`). */
  p12Password?: string;
  /** What the .p12 holds (default: one Developer ID Application identity, `DEFAULT_IDENTITY`). */
  identities?: Identity[];
  /** Identities already in the login keychain (a self-hosted Mac with a certificate installed). */
  loginIdentities?: Identity[];
  /** `codesign --sign` fails this many times with "The timestamp service is not available." */
  codesignTimestampFailures?: number;
  /**
   * `codesign --sign` waits on a keychain prompt no one can answer (the key's partition list lacks codesign, or the
   * keychain locked again), printing "replacing existing signature" and then nothing: it never exits on its own.
   */
  codesignPrompts?: boolean;
  /** `codesign --sign` fails with errSecInternalComponent (no Developer ID intermediate). */
  codesignChainFailure?: boolean;
  /** `notarytool submit` fails this many times with a network error before uploading. */
  submitNetworkFailures?: number;
  /** `notarytool wait` fails this many times with a network error. */
  waitNetworkFailures?: number;
  /** Every notarytool call fails with HTTP 401. */
  notaryUnauthorized?: boolean;
  /** What Apple decides (default `Accepted`); `In Progress` makes `notarytool wait` run out its --timeout. */
  notaryStatus?: 'Accepted' | 'Invalid' | 'Rejected' | 'In Progress';
  /** `codesign --verify --deep --strict` on a .app fails, naming this path inside it as the unsigned subcomponent. */
  appNestedUnsigned?: string;
  /** Gatekeeper assessments are disabled on this Mac: spctl accepts everything by override. */
  assessmentsDisabled?: boolean;
  /** `stapler staple` fails this many times with CloudKit "Record not found" (Error 65) after Accepted. */
  stapleRecordNotFound?: number;
}

export interface FakeState {
  searchList: string[];
  keychains: Record<string, { password: string; identities: Identity[] }>;
  signatures: Record<string, string>;
  stapled: string[];
  submissions: Record<string, { file: string; status: string }>;
  counters: Record<string, number>;
}

export interface FakeCall {
  tool: string;
  args: string[];
  cwd: string;
}

export const DEFAULT_IDENTITY: Identity = {
  hash: '3F2504E04F8911D39A0C0305E82C33011D8A2F4B',
  name: 'Developer ID Application: Example Corp (ABCDE12345)',
};
export const LOGIN_KEYCHAIN = '/Users/runner/Library/Keychains/login.keychain-db';
