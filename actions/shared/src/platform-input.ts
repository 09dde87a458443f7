/**
 * @module platform-input
 * The `platform` input of the upload and registration steps: which updater platform keys (`{os}-{arch}`,
 * api/_src/protocol/platforms.ts) one matrix leg's artifacts serve. One key per leg, except a universal macOS build,
 * whose one `.app.tar.gz` runs on both Mac architectures and is registered for both (as tauri-action's latest.json
 * does with `updaterJsonKeepUniversal` off).
 */
import { ALL_PLATFORM_KEYS, parsePlatformKey, type PlatformKey, UNIVERSAL_MACOS_KEYS } from '../../../api/_src/protocol/platforms.ts';

/** The matrix `platform` of a universal macOS leg (build-matrix's `macos-universal`). */
export const UNIVERSAL_MACOS = 'darwin-universal';

/**
 * `darwin-aarch64`, `darwin-universal`, or several keys separated by commas, spaces or new lines.
 *
 * @throws Error listing the valid keys
 */
export function parsePlatformInput(name: string, value: string | undefined): PlatformKey[] {
  const words = (value ?? '').split(/[\s,]+/).filter(Boolean);
  if (words.length === 0) throw new Error(`Input ${name} is empty: pass the leg's platform, e.g. \${{ matrix.platform }} from build-matrix (darwin-aarch64, linux-x86_64, …).`);
  const keys: PlatformKey[] = [];
  for (const word of words) {
    const found = word === UNIVERSAL_MACOS ? UNIVERSAL_MACOS_KEYS : parsePlatformKey(word) ? [word as PlatformKey] : null;
    if (!found) {
      throw new Error(`Input ${name}: ${JSON.stringify(word)} is not a platform key. Use {os}-{arch}: ${ALL_PLATFORM_KEYS.join(', ')}, or ${UNIVERSAL_MACOS} for a universal macOS build.`);
    }
    for (const key of found) if (!keys.includes(key)) keys.push(key);
  }
  return keys;
}
