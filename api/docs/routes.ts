import { Hono } from 'hono';

// Placeholder until /openapi.json and /docs land.
export function docsRoutes(): Hono {
  return new Hono();
}
