import { Hono } from 'hono';
import type { AppDeps } from '../app.ts';

// Placeholder until downloads land.
export function downloadRoutes(_deps: AppDeps): Hono {
  return new Hono();
}
