import { describe, expect, it } from '@jest/globals';
import { describeDriverError, isSocketEvent } from './driver-errors.ts';

/** The shape of undici's ErrorEvent as the Neon driver passes it on: an empty message, the cause in `error`. */
const socket = { url: 'wss://ep-example.eu-central-1.aws.neon.tech/v2', readyState: 3 };

describe('describeDriverError', () => {
  it('describes a WebSocket ErrorEvent by its type, socket and inner error, never as an empty string', () => {
    expect(describeDriverError({ type: 'error', target: socket, message: '', error: new TypeError('') })).toBe(
      'WebSocket error event on wss://ep-example.eu-central-1.aws.neon.tech/v2 (socket closed)',
    );
    expect(describeDriverError({ type: 'error', target: { ...socket, readyState: 0 }, message: '', error: new Error('connect ECONNREFUSED 10.0.0.1:443') })).toBe(
      'WebSocket error event on wss://ep-example.eu-central-1.aws.neon.tech/v2 (socket connecting): connect ECONNREFUSED 10.0.0.1:443',
    );
  });

  it('adds a CloseEvent its code and reason', () => {
    expect(describeDriverError({ type: 'close', target: socket, code: 1006, reason: '' })).toBe(
      'WebSocket close event on wss://ep-example.eu-central-1.aws.neon.tech/v2 (socket closed) (code 1006)',
    );
  });

  it('gives an Error its message and code (SQLSTATE or errno)', () => {
    expect(describeDriverError(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(
      'terminating connection due to administrator command (code 57P01)',
    );
    expect(describeDriverError(new Error('Connection terminated unexpectedly'))).toBe('Connection terminated unexpectedly');
    expect(describeDriverError(new TypeError(''))).toBe('TypeError');
    expect(describeDriverError(undefined)).toBe('undefined');
    expect(describeDriverError('')).toBe('an empty error');
  });

  it('knows a socket event from an Error or any other object', () => {
    expect(isSocketEvent({ type: 'error', target: socket })).toBe(true);
    expect(isSocketEvent({ type: 'close', target: null })).toBe(true);
    expect(isSocketEvent(Object.assign(new Error('x'), { type: 'error', target: {} }))).toBe(false);
    expect(isSocketEvent({ type: 'message', target: socket })).toBe(false);
    expect(isSocketEvent({ type: 'error' })).toBe(false);
  });
});
