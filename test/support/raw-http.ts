/**
 * Reading what a server wrote on a raw socket, for tests that must see the exact bytes (a `100 Continue` before the
 * answer, `Connection: close`) rather than what an HTTP client makes of them.
 */

/** The interim response node:http writes for `Expect: 100-continue`. */
export const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

export interface RawAnswer {
  status: number;
  /** The status line and header lines, lowercased. */
  headers: string;
  /** The JSON body; null when there is none. */
  body: any;
}

/** The final response in `written` (after a `100 Continue`, if any): its status, lowercased head and JSON body. */
export function finalAnswer(written: string): RawAnswer {
  const final = written.startsWith(CONTINUE) ? written.slice(CONTINUE.length) : written;
  const [head = '', body = ''] = final.split('\r\n\r\n');
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), headers: head.toLowerCase(), body: body ? JSON.parse(body) : null };
}
