/**
 * Runs once before all test files. With TEST_DATABASE_URL set, starts the WebSocket proxy the Neon driver
 * needs to reach the local PostgreSQL; jest forks its workers after this, so they inherit NEON_WS_PROXY.
 */
import { startWsProxy, type WsProxy } from './ws-proxy.ts';

declare global {
  var __neonWsProxy: WsProxy | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (!process.env.TEST_DATABASE_URL || process.env.NEON_WS_PROXY) return;
  const proxy = await startWsProxy();
  globalThis.__neonWsProxy = proxy;
  process.env.NEON_WS_PROXY = proxy.address;
}
