/**
 * @module http/logged-error
 * A failure as the server's log shows it: one line saying what failed, then the frames that raised it, never the
 * data a statement carried. Logging the error object itself would print a PostgreSQL error's `detail` ("Failing row
 * contains (…)", which can hold a webhook's signing secret), its `where`, and a data exception's message quoting the
 * input (`invalid input syntax for type uuid: "…"`). Secret-shaped text is masked wherever it appears: this
 * server's key formats, credentials in a URL or a connection string, bearer and license values, presigned-URL
 * signatures, and the secrets this instance was configured with (`hideInLogs`).
 */
import { describeDriverError } from '../../../db/driver-errors.ts';

const MASK = '…';

/** Values masked in every logged error; the configuration's secrets (create-deps.ts). */
const configuredSecrets = new Set<string>();

/** Values too short to be secrets would mask ordinary words. */
const MIN_HIDDEN_LENGTH = 8;

export function hideInLogs(...values: (string | undefined)[]): void {
  for (const value of values) if (value && value.length >= MIN_HIDDEN_LENGTH) configuredSecrets.add(value);
}

/** The parts of config.ts' `Config` that hold secrets (structural, so this module stays below config.ts). */
interface ConfiguredSecrets {
  adminToken: string | undefined;
  databaseUrl: string | undefined;
  storage: { driver: 'fs' } | { driver: 's3'; secretAccessKey: string };
  github: { secretsKey: Buffer | undefined };
}

/** The secrets in the configuration: ADMIN_TOKEN, the database's password, the S3 secret key and SECRETS_KEY. */
export function hideConfiguredSecrets(config: ConfiguredSecrets): void {
  const databasePassword = config.databaseUrl && URL.canParse(config.databaseUrl) ? new URL(config.databaseUrl).password : '';
  hideInLogs(
    config.adminToken,
    databasePassword && decodeURIComponentSafely(databasePassword),
    databasePassword,
    config.storage.driver === 's3' ? config.storage.secretAccessKey : undefined,
    config.github.secretsKey?.toString('base64'),
  );
}

function decodeURIComponentSafely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const SECRET_PATTERNS: [RegExp, string][] = [
  // API keys, license keys, CI credentials, webhook secrets: the prefix stays, to say what kind it was.
  [/\b(trk|trl|trci|whsec)_[A-Za-z0-9_-]{8,}/g, `$1_${MASK}`],
  // scheme://user:password@host (a DATABASE_URL, an S3 endpoint with credentials)
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]*:[^\s/@]*@/gi, `$1${MASK}@`],
  // libpq's key=value form and query parameters that carry a credential
  [/\b(password|passwd|secret|token|access_token|key|sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token)=[^\s&#;,"']+/gi, `$1=${MASK}`],
  [/\b(Bearer|License|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${MASK}`],
];

/** `text` with every secret-shaped part masked. */
export function maskSecrets(text: string): string {
  let masked = text;
  for (const secret of configuredSecrets) masked = masked.split(secret).join(MASK);
  for (const [pattern, replacement] of SECRET_PATTERNS) masked = masked.replace(pattern, replacement);
  return masked;
}

interface PostgresErrorFields {
  code: string;
  severity: string;
  table?: unknown;
  column?: unknown;
  constraint?: unknown;
}

/** An error PostgreSQL sent (the Neon driver's and PGlite's `DatabaseError`): a SQLSTATE and a severity. */
function isPostgresError(error: Error): error is Error & PostgresErrorFields {
  const { code, severity } = error as Partial<PostgresErrorFields>;
  return typeof severity === 'string' && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

/**
 * The message and the names PostgreSQL gives (table, column, constraint), without `detail` or `where`. Class 22,
 * data exceptions, quote the offending value in double quotes, so their quoted parts are dropped.
 */
function describePostgresError(error: Error & PostgresErrorFields): string {
  const message = error.code.startsWith('22') ? error.message.replace(/"[^"]*"/g, `"${MASK}"`) : error.message;
  const names = (['table', 'column', 'constraint'] as const)
    .filter((field) => typeof error[field] === 'string' && error[field] !== '')
    .map((field) => `${field} ${String(error[field])}`);
  return `${error.name}: ${message} (code ${[error.code, ...names].join(', ')})`;
}

function describeOne(error: unknown): string {
  if (!(error instanceof Error)) return describeDriverError(error);
  if (isPostgresError(error)) return describePostgresError(error);
  return `${error.name}: ${describeDriverError(error)}`;
}

const MAX_CAUSES = 4;

/** The failure for a log line: what failed, the frames that raised it, and what caused it, masked. */
export function loggedError(error: unknown): string {
  const lines = [describeOne(error)];
  if (error instanceof Error) lines.push(...(error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line)));
  let cause = (error as { cause?: unknown } | null)?.cause;
  for (let depth = 0; cause !== undefined && cause !== null && depth < MAX_CAUSES; depth++) {
    lines.push(`  caused by ${describeOne(cause)}`);
    cause = (cause as { cause?: unknown }).cause;
  }
  return maskSecrets(lines.join('\n'));
}
