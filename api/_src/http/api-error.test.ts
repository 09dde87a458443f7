import { describe, expect, it } from '@jest/globals';
import { isConnectionError } from './api-error.ts';

describe('isConnectionError', () => {
  it('knows a WebSocket ErrorEvent or CloseEvent, which the Neon driver rejects with when its socket dies', () => {
    const socket = new EventTarget();
    for (const type of ['error', 'close']) {
      let seen: Event | undefined;
      socket.addEventListener(type, (event) => (seen = event));
      socket.dispatchEvent(new Event(type));
      expect(isConnectionError(seen)).toBe(true);
      // Wrapped as a cause, too.
      expect(isConnectionError(new Error('query failed', { cause: seen }))).toBe(true);
    }
    // An object shaped like one that is not an event from a socket.
    expect(isConnectionError({ type: 'message', target: {} })).toBe(false);
  });

  it('knows connection failures by code and message, and not query errors', () => {
    expect(isConnectionError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('admin shutdown'), { code: '57P01' }))).toBe(true);
    expect(isConnectionError(new Error('Query read timeout'))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
    expect(isConnectionError(new Error('column "x" does not exist'))).toBe(false);
  });
});
