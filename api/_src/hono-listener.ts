/**
 * @module hono-listener
 * The Hono app (app.ts: every route module) as a `node:http` listener. listener.ts imports this on the first request
 * that the update-check fast path does not answer, so an instance that starts for an update check never loads it.
 */
import type { RequestListener } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { createApp } from './app.ts';
import type { AppDeps } from './deps.ts';

export interface ListenerOptions {
  /** The host Hono's request URL gets when a request has no Host header (HTTP/1.0). */
  hostname?: string;
}

export function honoListener(deps: AppDeps, options: ListenerOptions): RequestListener {
  return getRequestListener(createApp(deps).fetch, options);
}
