/**
 * @module files
 * The `files` input: one path or glob per line, relative to the working directory. A line that names no
 * file is an error: a release that silently ships unsigned installers is worse than a failed step.
 */
import { glob, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';

const GLOB_CHARS = /[*?[\]{}]/;

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isFile() ?? false;
}

/** Tauri's updater signature beside a bundle: never a Windows binary, but a glob over a bundle folder matches it. */
const isUpdaterSignature = (path: string): boolean => path.endsWith('.sig');

/**
 * Absolute paths of the files the lines name, in line order, each once. Lines starting with # are comments. A glob
 * leaves out updater `.sig` files (`bundle/nsis/*` also matches `App-setup.exe.sig`); a path naming one is an error.
 */
export async function expandFiles(lines: readonly string[], cwd: string): Promise<string[]> {
  const patterns = lines.map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  if (patterns.length === 0) {
    throw new Error('files is empty: list the files to sign, one path or glob per line (e.g. src-tauri/target/release/bundle/nsis/*-setup.exe)');
  }
  const found = new Set<string>();
  const problems: string[] = [];
  for (const pattern of patterns) {
    const matches: string[] = [];
    if (GLOB_CHARS.test(pattern)) {
      for await (const match of glob(pattern, { cwd })) {
        const path = isAbsolute(match) ? match : resolve(cwd, match);
        if (!isUpdaterSignature(path) && (await isFile(path))) matches.push(path);
      }
    } else if (await isFile(resolve(cwd, pattern))) {
      if (isUpdaterSignature(pattern)) {
        problems.push(`files: "${pattern}" is an updater signature, not a Windows binary: name the .exe or .msi it belongs to`);
        continue;
      }
      matches.push(resolve(cwd, pattern));
    }
    if (matches.length === 0) {
      problems.push(`files: "${pattern}" names no file under ${resolve(cwd)}${isUpdaterSignature(pattern) ? ' (updater .sig files are not Authenticode-signed)' : ''}`);
    }
    for (const path of matches.sort()) found.add(path);
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return [...found];
}
