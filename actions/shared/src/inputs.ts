/**
 * @module inputs
 * Pure helpers for validating action inputs (no `@actions/core` here, so validation modules stay unit-testable):
 * the message for an empty value, and parsers for numbers and durations that name the input they reject.
 */

/**
 * Why an input is empty, for messages. An unset, misspelled or fork-withheld `${{ secrets.X }}` expands to an empty
 * string, so "empty" is the usual symptom of a secret that never arrived.
 */
export function describeEmpty(input: string): string {
  return `${input} is empty (an unset or misspelled \`\${{ secrets.… }}\` expands to an empty string, and pull requests from forks get no secrets)`;
}

/** An integer within `[min, max]`, or `fallback` when empty. */
export function parseIntegerInput(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new Error(`Input ${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}.`);
  }
  return Number(value);
}

/** A non-negative number of seconds (fractions allowed, for tests), or `fallback` when empty. */
export function parseSecondsInput(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+(\.\d+)?$/.test(value)) {
    throw new Error(`Input ${name} must be a number of seconds (e.g. 30), not ${JSON.stringify(value)}.`);
  }
  return Number(value);
}

export interface Duration {
  seconds: number;
  /** The same duration as notarytool's `--timeout` takes it: `<n>s`, `<n>m` or `<n>h`. */
  text: string;
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3600 } as const;

/** `90`, `90s`, `30m` or `2h` (a bare number is seconds), or `fallback` when empty. */
export function parseDurationInput(name: string, value: string | undefined, fallback: string): Duration {
  const text = value ?? fallback;
  const match = /^(\d+)([smh]?)$/.exec(text);
  const amount = Number(match?.[1]);
  if (!match || amount === 0) {
    throw new Error(`Input ${name} must be a duration such as 30m, 2h or 900s, not ${JSON.stringify(text)}.`);
  }
  const unit = (match[2] || 's') as keyof typeof UNIT_SECONDS;
  return { seconds: amount * UNIT_SECONDS[unit], text: `${amount}${unit}` };
}
