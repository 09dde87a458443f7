export default async function globalTeardown(): Promise<void> {
  await globalThis.__neonWsProxy?.close();
  globalThis.__neonWsProxy = undefined;
}
