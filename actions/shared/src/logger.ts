/**
 * @module logger
 * What logic modules log through. They never import `@actions/core`: `core-io.ts` adapts core to this interface for
 * the action, and tests pass `memoryLogger()` (testing.ts) to read what was logged.
 */

/** Where an annotation points, as `core.error(message, properties)` takes it. */
export interface AnnotationProperties {
  title?: string;
  file?: string;
}

export interface Logger {
  /** Shown only with step debug logging (`RUNNER_DEBUG=1`). */
  debug(message: string): void;
  info(message: string): void;
  /** An annotation on the run, and a line in the log. */
  warning(message: string, properties?: AnnotationProperties): void;
  error(message: string, properties?: AnnotationProperties): void;
}

/** A logger that drops everything, for code paths whose logs a test does not look at. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warning() {},
  error() {},
};
