import { Hono } from 'hono';
import type { AppDeps } from '../app.ts';

// Placeholder until the updater endpoint lands.
export function updateRoutes(_deps: AppDeps): Hono {
  return new Hono();
}
