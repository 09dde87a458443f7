/**
 * @module listener
 * The control plane as one `node:http` request listener, the same for both entries: `local.ts` (`npm start`)
 * and the Vercel function (`index.ts`, whose Node.js runtime calls a `(req, res)` handler). Cached update checks
 * are answered on node:http (update/node-listener.ts); everything else, and every check that cannot be answered
 * from memory, goes to the Hono app. Why the Vercel entry runs the node:http path too: the README's Performance
 * section has the measurement.
 */
import type { RequestListener } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { createApp } from './app.ts';
import type { AppDeps } from './deps.ts';
import { withUpdateChecks } from './update/node-listener.ts';

export interface ListenerOptions {
  /** The host Hono's request URL gets when a request has no Host header (HTTP/1.0). */
  hostname?: string;
}

export function controlPlaneListener(deps: AppDeps, options: ListenerOptions = {}): RequestListener {
  return withUpdateChecks(deps, getRequestListener(createApp(deps).fetch, options));
}
