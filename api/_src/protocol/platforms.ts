/**
 * @module platforms
 * The one definition of Tauri's platform vocabulary, shared by the control plane and the actions.
 * Values are exactly what the Tauri v2 updater sends in `{{target}}`, `{{arch}}` and
 * `{{bundle_type}}` (see tauri-plugin-updater `updater_os()`, `updater_arch()`, `Installer::name()`).
 */
// zod/mini (as config.ts): the update path imports this module, and classic zod costs a cold start of the Vercel
// function ~20 ms to load; the schemas work the same inside classic ones.
import * as z from 'zod/mini';

export const OPERATING_SYSTEMS = ['linux', 'darwin', 'windows'] as const;
export type OperatingSystem = (typeof OPERATING_SYSTEMS)[number];

export const ARCHITECTURES = ['x86_64', 'aarch64', 'i686', 'armv7', 'riscv64'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export const BUNDLE_TYPES = ['app', 'appimage', 'deb', 'rpm', 'msi', 'nsis'] as const;
export type BundleType = (typeof BUNDLE_TYPES)[number];

/** The bundle types an installed app of each OS can report, in the order a default artifact is chosen. */
export const DEFAULT_BUNDLE_PREFERENCE: Readonly<Record<OperatingSystem, readonly BundleType[]>> = {
  darwin: ['app'],
  // NSIS first: it is what `tauri build` makes by default on Windows and what most apps ship.
  windows: ['nsis', 'msi'],
  // AppImage first: it is the only Linux bundle every version of the v2 updater can install.
  linux: ['appimage', 'deb', 'rpm'],
};

/** Bundle types that belong to each OS; an artifact of another OS's bundle type is refused. */
export function bundleBelongsTo(bundle: BundleType, os: OperatingSystem): boolean {
  return DEFAULT_BUNDLE_PREFERENCE[os].includes(bundle);
}

export const operatingSystemSchema = z.enum(OPERATING_SYSTEMS);
export const architectureSchema = z.enum(ARCHITECTURES);
export const bundleTypeSchema = z.enum(BUNDLE_TYPES);

export interface Platform {
  os: OperatingSystem;
  arch: Architecture;
}

/** `{os}-{arch}`, the key Tauri's static manifest uses (`darwin-aarch64`). */
export type PlatformKey = `${OperatingSystem}-${Architecture}`;

export function platformKey({ os, arch }: Platform): PlatformKey {
  return `${os}-${arch}`;
}

/** Parses `{os}-{arch}`; returns null for anything else. */
export function parsePlatformKey(key: string): Platform | null {
  const dash = key.indexOf('-');
  if (dash < 0) return null;
  const os = operatingSystemSchema.safeParse(key.slice(0, dash));
  const arch = architectureSchema.safeParse(key.slice(dash + 1));
  return os.success && arch.success ? { os: os.data, arch: arch.data } : null;
}

export const ALL_PLATFORM_KEYS: readonly PlatformKey[] = OPERATING_SYSTEMS.flatMap((os) =>
  ARCHITECTURES.map((arch) => platformKey({ os, arch })),
);

/** What one universal macOS build (`universal-apple-darwin`) serves: both Mac architectures. */
export const UNIVERSAL_MACOS_KEYS: readonly PlatformKey[] = ['darwin-aarch64', 'darwin-x86_64'];

export const platformKeySchema = z
  .string()
  .check(
    z.refine((value) => parsePlatformKey(value) !== null, {
      message: `must be {os}-{arch} with os one of ${OPERATING_SYSTEMS.join('|')} and arch one of ${ARCHITECTURES.join('|')}`,
    }),
  )
  .register(z.globalRegistry, { description: '{os}-{arch}, e.g. darwin-aarch64' }) as unknown as z.ZodMiniType<PlatformKey>;
