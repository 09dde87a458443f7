/**
 * @module cli/output
 * What the CLI writes. Results go to stdout: a human table by default, or with `--json` the server's own JSON (the
 * shapes of api/_src/protocol/schemas.ts), one document per command, so scripts can pipe it to `jq`. Progress, notes and
 * errors go to stderr, so they never mix into the JSON. An error is one line: `error: <code>: <message>`.
 */
import type { Writable } from 'node:stream';

export interface Output {
  readonly json: boolean;
  /** The command's result: `data` as JSON with --json, else `human(data)`. */
  result<T>(data: T, human: (data: T) => string): void;
  /** A line on stderr (progress, what was done, hints). */
  note(line: string): void;
  error(code: string, message: string): void;
  readonly stderr: Writable & { isTTY?: boolean; columns?: number };
}

export function createOutput(json: boolean, stdout: Writable, stderr: Writable & { isTTY?: boolean }): Output {
  return {
    json,
    stderr,
    result(data, human) {
      const text = json ? JSON.stringify(data, null, 2) : human(data);
      if (text !== '') stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    },
    note(line) {
      stderr.write(`${line}\n`);
    },
    error(code, message) {
      // One line whatever the message holds, so `2>&1 | tail -1` always finds it.
      stderr.write(`error: ${code}: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
      if (json) stdout.write(`${JSON.stringify({ error: { code, message } }, null, 2)}\n`);
    },
  };
}

export type Cell = string | number | boolean | null | undefined;

/**
 * Columns padded to their widest cell; an empty list prints `empty` instead of a bare header.
 *
 * @example table(['SLUG', 'NAME'], [['my-app', 'My App']]) // "SLUG    NAME\nmy-app  My App"
 */
export function table(headers: readonly string[], rows: readonly (readonly Cell[])[], empty = '(none)'): string {
  if (rows.length === 0) return empty;
  const text = rows.map((row) => row.map((cell) => (cell === null || cell === undefined || cell === '' ? '-' : String(cell))));
  const widths = headers.map((header, i) => Math.max(header.length, ...text.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ');
  return [line(headers), ...text.map(line)].join('\n');
}

/** `key: value` lines, keys aligned. */
export function fields(entries: readonly (readonly [string, Cell])[]): string {
  const width = Math.max(...entries.map(([key]) => key.length));
  return entries.map(([key, value]) => `${`${key}:`.padEnd(width + 2)}${value === null || value === undefined || value === '' ? '-' : String(value)}`).join('\n');
}

const MIB = 1024 * 1024;
export const formatSize = (bytes: number): string =>
  bytes >= MIB ? `${(bytes / MIB).toFixed(1)} MiB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} B`;

/** `2026-12-06 13:04` from an RFC 3339 timestamp (UTC). */
export const formatTime = (value: string | null): string | null => (value === null ? null : value.slice(0, 16).replace('T', ' '));
