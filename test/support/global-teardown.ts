import { rm } from 'node:fs/promises';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__neonWsProxy?.close();
  globalThis.__neonWsProxy = undefined;
  if (globalThis.__jestRunDir) await rm(globalThis.__jestRunDir, { recursive: true, force: true });
  globalThis.__jestRunDir = undefined;
}
