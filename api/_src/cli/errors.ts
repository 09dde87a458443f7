/**
 * @module cli/errors
 * Every way the CLI can fail, each with its exit code, so `main.ts` maps them in one place:
 *
 *   0  ok
 *   1  refused: the server answered with an error, or a check the server would make refused it first
 *      (a signature that does not verify against the app's key; an artifact, key or policy named by the user that the
 *      server's list does not have is `not_found`, as the server would say), or doctor found something wrong
 *   2  usage: unknown command or option, a missing or invalid argument, not logged in
 *   3  network: the server could not be reached, or did not answer within 60 s (REQUEST_TIMEOUT_MS)
 *
 * A failure prints one line, `error: <code>: <message>`, where `code` is the server's own error code
 * (`not_found`, `conflict`, `key_id_mismatch`, …), `usage`, or `network`.
 */

export const EXIT_OK = 0;
export const EXIT_REFUSED = 1;
export const EXIT_USAGE = 2;
export const EXIT_NETWORK = 3;

export class CliError extends Error {
  override name = 'CliError';
  readonly exitCode: number;
  readonly code: string;
  constructor(exitCode: number, code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.exitCode = exitCode;
    this.code = code;
  }
}

/** Wrong invocation: says what was expected. */
export const usageError = (message: string) => new CliError(EXIT_USAGE, 'usage', message);

/** The server said no; `code` and `message` are the server's (`{"error":{"code","message"}}`). */
export class ServerRefusal extends CliError {
  override name = 'ServerRefusal';
  readonly status: number;
  constructor(status: number, code: string, message: string) {
    super(EXIT_REFUSED, code, message);
    this.status = status;
  }
}

/** No answer: refused connection, DNS, timeout, a connection that broke off. */
export class NetworkFailure extends CliError {
  override name = 'NetworkFailure';
  constructor(message: string, options?: ErrorOptions) {
    super(EXIT_NETWORK, 'network', message, options);
  }
}

/** Refused here, before anything was sent, by the same rule the server applies (e.g. a signature check). */
export const localRefusal = (code: string, message: string) => new CliError(EXIT_REFUSED, code, message);
