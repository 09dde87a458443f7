/**
 * @module child-env
 * What the tests' own child processes (the server of `server.ts`, the CLI of `test/cli/run-cli.ts`) get from the jest
 * run besides the environment a test gives them: Node's compile cache, a folder made once by `global-setup.ts`.
 * Dozens of files start hundreds of short-lived Node processes that each compile the same TypeScript modules; with
 * the cache they read the compiled code instead (measured: a `tauri-release --help` took 0.48 s of CPU against
 * 0.88 s without). The cache is keyed by each file's content, so it never serves code that has changed.
 */
export function childNodeEnv(): Record<string, string> {
  const cache = process.env.NODE_COMPILE_CACHE;
  return cache ? { NODE_COMPILE_CACHE: cache } : {};
}
