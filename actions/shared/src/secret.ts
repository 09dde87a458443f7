/**
 * @module secret
 * A credential that reaches a child process's argv but never a log line. Modelled on electron/notarize's
 * `makeSecret` (src/helpers.ts), with two changes: the type is nominal (a private field, so a plain string is not a
 * `Secret` and vice versa), and `toString()`/`toJSON()` yield `***`, so interpolating one by mistake leaks nothing.
 * The value comes out only through `reveal()`, which the spawn wrapper calls when it builds the real argv.
 */

export const REDACTED = '***';

export class Secret {
  readonly #value: string;
  /** What the value is, for messages: the input or variable it came from (`certificate-password`). */
  readonly label: string;

  constructor(label: string, value: string) {
    if (value.length === 0) throw new Error(`Secret ${label} is empty; treat an empty value as absent before wrapping it.`);
    this.label = label;
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Secret(${this.label})`;
  }
}

export function isSecret(value: unknown): value is Secret {
  return value instanceof Secret;
}

/** Replaces every occurrence of each secret's value (and of each of its lines, for multi-line keys) with `***`. */
export function redact(text: string, secrets: readonly Secret[]): string {
  let out = text;
  for (const secret of secrets) {
    for (const piece of secretPieces(secret.reveal())) out = out.split(piece).join(REDACTED);
  }
  return out;
}

/**
 * The strings a log must never show for one secret value: the value, and for a multi-line value (a PEM key, wrapped
 * base64) each line of four characters or more, because a tool may print one line of it. Longest first, so a line
 * never hides part of the whole value from the replacement.
 */
export function secretPieces(value: string): string[] {
  const pieces = new Set<string>([value]);
  if (/[\r\n]/.test(value)) {
    for (const line of value.split(/\r?\n/)) {
      const trimmed = line.trim();
      if (trimmed.length >= 4) pieces.add(trimmed);
    }
  }
  return [...pieces].filter((piece) => piece.length > 0).sort((a, b) => b.length - a.length);
}
