/**
 * @module matrix
 * One release leg per platform: which runner builds it, for which Rust target, with which `tauri build` arguments,
 * and which updater platform keys (api/_src/protocol/platforms.ts) and bundles it yields. Runners and arguments follow
 * Tauri's own pipeline guide (docs/reference/github-actions.md §B6): macOS cross-compiles both architectures on the (arm64)
 * `macos-latest` image with `--target`; Linux builds on Ubuntu 22.04, whose older glibc keeps the AppImage and
 * .deb installable on more distributions, with GitHub's arm64 image for aarch64; Windows arm64 builds natively on
 * `windows-11-arm` (WiX 3.14, which Tauri uses, makes arm64 MSIs).
 *
 * A universal macOS build makes one `.app.tar.gz` for both architectures: its leg serves `darwin-aarch64` and
 * `darwin-x86_64` (matrix `platform` is `darwin-universal`, which upload-r2 expands), so it cannot be combined with
 * `macos-arm64` or `macos-x64`, which serve one of them, and `all` does not include it. Nor does it include
 * 32-bit Windows (`windows-x86`), which is built on request only.
 */
import { type BundleType, type PlatformKey, UNIVERSAL_MACOS_KEYS } from '../../../api/_src/protocol/platforms.ts';
import { UNIVERSAL_MACOS } from '../../shared/src/platform-input.ts';

export type RunnerOs = 'macOS' | 'Linux' | 'Windows';

export interface Leg {
  /** The name users pass in `platforms`. */
  name: string;
  /** The same leg in the `{os}-{arch}` vocabulary (also accepted in `platforms`). */
  alias: string;
  /** What the leg's steps take as `platform`: its platform key, or `darwin-universal`. */
  platform: string;
  /** The updater platform keys its artifacts are registered for. */
  updatePlatforms: readonly PlatformKey[];
  runner: string;
  os: RunnerOs;
  /** `tauri build --target`. */
  target: string;
  /** What `rustup target add` (dtolnay/rust-toolchain `targets`) needs for it. */
  rustTargets: readonly string[];
  /** What `tauri build` makes by default on this OS. */
  bundles: readonly string[];
  /** The bundles among them that get an updater `.sig` (and are uploaded). */
  updaterBundles: readonly BundleType[];
  /** In `all`. */
  inAll: boolean;
}

const MAC = { os: 'macOS', runner: 'macos-latest', bundles: ['app', 'dmg'], updaterBundles: ['app'], inAll: true } as const;
const LINUX = { os: 'Linux', bundles: ['appimage', 'deb', 'rpm'], updaterBundles: ['appimage', 'deb', 'rpm'], inAll: true } as const;
const WINDOWS = { os: 'Windows', bundles: ['nsis', 'msi'], updaterBundles: ['nsis', 'msi'] } as const;

export const LEGS: readonly Leg[] = [
  { ...MAC, name: 'macos-arm64', alias: 'darwin-aarch64', platform: 'darwin-aarch64', updatePlatforms: ['darwin-aarch64'], target: 'aarch64-apple-darwin', rustTargets: ['aarch64-apple-darwin'] },
  { ...MAC, name: 'macos-x64', alias: 'darwin-x86_64', platform: 'darwin-x86_64', updatePlatforms: ['darwin-x86_64'], target: 'x86_64-apple-darwin', rustTargets: ['x86_64-apple-darwin'] },
  {
    ...MAC,
    name: 'macos-universal',
    alias: UNIVERSAL_MACOS,
    platform: UNIVERSAL_MACOS,
    updatePlatforms: UNIVERSAL_MACOS_KEYS,
    target: 'universal-apple-darwin',
    rustTargets: ['aarch64-apple-darwin', 'x86_64-apple-darwin'],
    // Not in `all`, which builds each Mac architecture on its own (smaller downloads); see the module comment.
    inAll: false,
  },
  { ...LINUX, name: 'linux-x64', alias: 'linux-x86_64', platform: 'linux-x86_64', updatePlatforms: ['linux-x86_64'], runner: 'ubuntu-22.04', target: 'x86_64-unknown-linux-gnu', rustTargets: ['x86_64-unknown-linux-gnu'] },
  { ...LINUX, name: 'linux-arm64', alias: 'linux-aarch64', platform: 'linux-aarch64', updatePlatforms: ['linux-aarch64'], runner: 'ubuntu-22.04-arm', target: 'aarch64-unknown-linux-gnu', rustTargets: ['aarch64-unknown-linux-gnu'] },
  { ...WINDOWS, name: 'windows-x64', alias: 'windows-x86_64', platform: 'windows-x86_64', updatePlatforms: ['windows-x86_64'], runner: 'windows-latest', target: 'x86_64-pc-windows-msvc', rustTargets: ['x86_64-pc-windows-msvc'], inAll: true },
  { ...WINDOWS, name: 'windows-arm64', alias: 'windows-aarch64', platform: 'windows-aarch64', updatePlatforms: ['windows-aarch64'], runner: 'windows-11-arm', target: 'aarch64-pc-windows-msvc', rustTargets: ['aarch64-pc-windows-msvc'], inAll: true },
  // 32-bit Windows: on request only (not in `all`).
  { ...WINDOWS, name: 'windows-x86', alias: 'windows-i686', platform: 'windows-i686', updatePlatforms: ['windows-i686'], runner: 'windows-latest', target: 'i686-pc-windows-msvc', rustTargets: ['i686-pc-windows-msvc'], inAll: false },
];

/** What an empty `platforms` builds: Tauri's own pipeline example (both Macs, Linux x64, Windows x64). */
export const DEFAULT_LEGS: readonly string[] = ['macos-arm64', 'macos-x64', 'linux-x64', 'windows-x64'];

const LEG_NAMES_TEXT = LEGS.map((leg) => `${leg.name} (${leg.alias})`).join(', ');
export const VALID_PLATFORMS_TEXT = `${LEG_NAMES_TEXT}, or all (${LEGS.filter((leg) => leg.inAll).map((leg) => leg.name).join(', ')})`;

const byWord = (word: string): Leg | undefined => {
  const lower = word.toLowerCase();
  return LEGS.find((leg) => leg.name === lower || leg.alias === lower);
};

/**
 * The legs `platforms` names (comma, space or newline separated; `all`; empty: `DEFAULT_LEGS`), in the order given.
 *
 * @throws Error naming the unknown platforms and listing the valid ones, or two legs that serve one platform key
 */
export function selectLegs(platforms: string | undefined): Leg[] {
  const words = (platforms ?? '').split(/[\s,]+/).filter(Boolean);
  const chosen: Leg[] = [];
  const unknown: string[] = [];
  for (const word of words.length ? words : DEFAULT_LEGS) {
    const legs = word.toLowerCase() === 'all' ? LEGS.filter((leg) => leg.inAll) : [byWord(word)];
    if (legs[0] === undefined) unknown.push(word);
    for (const leg of legs) if (leg && !chosen.includes(leg)) chosen.push(leg);
  }
  if (unknown.length) {
    throw new Error(`Input platforms: unknown platform${unknown.length > 1 ? 's' : ''} ${unknown.map((w) => JSON.stringify(w)).join(', ')}. Valid: ${VALID_PLATFORMS_TEXT}.`);
  }
  for (const [index, leg] of chosen.entries()) {
    const clash = chosen.slice(0, index).find((other) => other.updatePlatforms.some((key) => leg.updatePlatforms.includes(key)));
    if (clash) {
      throw new Error(
        `Input platforms: ${clash.name} and ${leg.name} would both publish ${leg.updatePlatforms.filter((key) => clash.updatePlatforms.includes(key)).join(' and ')}; ` +
          'keep one (macos-universal serves both Mac architectures with one build).',
      );
    }
  }
  return chosen;
}

/** One `strategy.matrix.include` entry; keys are kebab-case like the actions' inputs (`matrix.rust-targets`). */
export interface MatrixEntry {
  name: string;
  platform: string;
  'update-platforms': string;
  runner: string;
  os: RunnerOs;
  target: string;
  'rust-targets': string;
  args: string;
  bundles: string;
  'updater-bundles': string;
}

export interface MatrixOptions {
  platforms: string | undefined;
  /** More `tauri build` arguments for every leg (after `--target`). */
  tauriArgs?: string | undefined;
  /** Runner labels by leg name or alias, replacing the defaults (`linux-x64=my-big-runner`). */
  runners?: Readonly<Record<string, string>>;
}

export function matrixEntry(leg: Leg, options: Omit<MatrixOptions, 'platforms'> = {}): MatrixEntry {
  const runner = options.runners?.[leg.name] ?? options.runners?.[leg.alias] ?? leg.runner;
  return {
    name: leg.name,
    platform: leg.platform,
    'update-platforms': leg.updatePlatforms.join(','),
    runner,
    os: leg.os,
    target: leg.target,
    'rust-targets': leg.rustTargets.join(','),
    args: [`--target ${leg.target}`, options.tauriArgs?.trim()].filter(Boolean).join(' '),
    bundles: leg.bundles.join(','),
    'updater-bundles': leg.updaterBundles.join(','),
  };
}

/** `name=label` pairs, one per line or comma-separated; names are checked against the legs. */
export function parseRunners(value: string | undefined): Record<string, string> {
  const runners: Record<string, string> = {};
  for (const pair of (value ?? '').split(/[\n,]+/).map((p) => p.trim()).filter(Boolean)) {
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim().toLowerCase();
    const label = pair.slice(eq + 1).trim();
    if (eq <= 0 || !label) throw new Error(`Input runners: ${JSON.stringify(pair)} is not name=label (e.g. linux-x64=ubuntu-22.04-16core).`);
    const leg = byWord(name);
    if (!leg) throw new Error(`Input runners: unknown platform ${JSON.stringify(name)}. Valid: ${LEG_NAMES_TEXT}.`);
    runners[leg.name] = label;
  }
  return runners;
}

export function buildMatrix(options: MatrixOptions): { include: MatrixEntry[] } {
  // Workflows splice args into a shell line (`tauri build ${{ matrix.args }}`), where a line break starts a command.
  if (/[\r\n]/.test(options.tauriArgs?.trim() ?? '')) {
    throw new Error('Input tauri-args: the arguments span several lines; write them on one line (in YAML, `>-` folds lines into one).');
  }
  return { include: selectLegs(options.platforms).map((leg) => matrixEntry(leg, options)) };
}

/** The job summary: one row per leg. */
export function matrixSummary(matrix: { include: MatrixEntry[] }, version: string | null): string {
  const rows = matrix.include.map((e) => `| ${e.name} | ${e.platform === e['update-platforms'] ? e.platform : `${e.platform} (${e['update-platforms']})`} | ${e.runner} | \`${e.args}\` | ${e['updater-bundles']} |`);
  return [
    `### Release matrix${version ? ` for ${version}` : ''}`,
    '',
    '| leg | platform | runner | tauri build | updater bundles |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
