import { Hono } from 'hono';
import type { AppDeps } from '../app.ts';

// Placeholder until the admin API lands.
export function adminRoutes(_deps: AppDeps): Hono {
  return new Hono();
}
