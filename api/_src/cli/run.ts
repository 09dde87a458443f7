/**
 * @module cli/run
 * The process entry of the CLI (bin.mjs loads it under Node ≥ 24): the real streams and environment into `main`.
 * `exitCode` rather than `exit()`, so stdout is flushed to a pipe before the process ends.
 */
import { main } from './main.ts';

process.exitCode = await main({ argv: process.argv.slice(2), env: process.env, stdout: process.stdout, stderr: process.stderr, stdin: process.stdin });
