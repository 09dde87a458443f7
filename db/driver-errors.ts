/**
 * @module driver-errors
 * What the Neon driver reports, in words for a log line. Besides Errors it passes on the WebSocket's own DOM events:
 * an `ErrorEvent` (Node's WebSocket, from undici) has an empty `message` and logs as `ErrorEvent {}`, so it is
 * described by its type, the socket it came from and the error inside it; a `CloseEvent` adds its close code.
 */

interface SocketEvent {
  type: string;
  target?: { url?: unknown; readyState?: unknown } | null;
  message?: unknown;
  error?: unknown;
  code?: unknown;
  reason?: unknown;
}

/** WebSocket.readyState, https://websockets.spec.whatwg.org/#dom-websocket-readystate */
const READY_STATES = ['connecting', 'open', 'closing', 'closed'];

/**
 * A WebSocket's `ErrorEvent`/`CloseEvent` (a DOM event, not an Error): what the Neon driver rejects with when its
 * socket fails to open or dies under a query, and emits when a socket fails later.
 */
export function isSocketEvent(value: unknown): value is SocketEvent {
  if (typeof value !== 'object' || value === null || value instanceof Error) return false;
  const { type, target } = value as { type?: unknown; target?: unknown };
  return (type === 'error' || type === 'close') && typeof target === 'object';
}

function withCode(text: string, code: unknown): string {
  return code === undefined || code === '' ? text : `${text} (code ${String(code)})`;
}

function describeSocketEvent(event: SocketEvent): string {
  const socket = event.target;
  const state = typeof socket?.readyState === 'number' ? READY_STATES[socket.readyState] : undefined;
  let text = `WebSocket ${event.type} event`;
  if (typeof socket?.url === 'string') text += ` on ${socket.url}`;
  if (state) text += ` (socket ${state})`;
  const inner = event.error instanceof Error ? event.error.message : '';
  const said = [event.message, inner, event.reason].filter((part) => typeof part === 'string' && part !== '');
  if (said.length) text += `: ${said.join('; ')}`;
  return withCode(text, event.code);
}

/**
 * No connection could be opened, whatever the driver or the server said: a refused socket, a timeout, or PostgreSQL
 * refusing the session (`55000` database not accepting connections, `3D000` no such database, `28P01` a rotated
 * password, Neon's endpoint disabled). The statement never ran, so to a request the database is unavailable.
 */
export class DatabaseConnectError extends Error {
  override name = 'DatabaseConnectError';
}

/** A one-line description of anything the driver throws or emits, never empty. */
export function describeDriverError(error: unknown): string {
  if (error instanceof Error) {
    return withCode(error.message || error.name, (error as { code?: unknown }).code);
  }
  if (isSocketEvent(error)) return describeSocketEvent(error);
  return String(error) || 'an empty error';
}
