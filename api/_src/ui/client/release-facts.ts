/**
 * @module ui/client/release-facts
 * What the releases pages tell a person before they act, worked out from the API's release lists: which release is
 * live on each channel, which platforms a release covers, and the sentences the publish, roll back and rollout
 * controls show. Pure, and decided by the update check's own offer rules (protocol/offer.ts), which
 * offer-agreement.test.ts compares with the update check over random release sets:
 * - a client is offered the newest published release of its channel (or a channel it follows) that is higher than
 *   what it runs and whose rollout includes it; never a pre-release filed under `stable`;
 * - archiving the live release therefore makes the next-highest published release of the channel the newest offered,
 *   but installs already on the archived version keep it: nothing lower is offered to them unless the version is
 *   yanked with a replacement.
 */
import { ALL_PLATFORM_KEYS, type BundleType, DEFAULT_BUNDLE_PREFERENCE, OPERATING_SYSTEMS, parsePlatformKey, type PlatformKey } from '../../protocol/platforms.ts';
import { compareVersions, safeParseVersion, type Version } from '../../protocol/semver.ts';
import { DEFAULT_CHANNEL } from '../../protocol/channels.ts';
import { type ChannelPlacement, neverOffered, OFFERED_STATUS, offeredOnChannels } from '../../protocol/offer.ts';

export interface ReleaseFacts {
  id: string;
  version: string;
  status: 'draft' | 'published' | 'archived';
  channel: string;
  rollout_percent: number;
  yanked_at?: string | null;
  artifacts: readonly { platform: string; bundle: string | null }[];
}

export interface ChannelFacts {
  name: string;
  serves_from: readonly string[];
}

const versionOf = (text: string): Version | null => {
  const parsed = safeParseVersion(text);
  return parsed.success ? parsed.version : null;
};

/** Sort order: newest first by the order the Tauri client uses; unparsable versions (none should exist) last. */
export function newestFirst(a: string, b: string): number {
  const x = versionOf(a);
  const y = versionOf(b);
  if (!x || !y) return x ? -1 : y ? 1 : 0;
  return compareVersions(y, x);
}

/** `a` is a higher version than `b`. */
export const isHigher = (a: string, b: string): boolean => newestFirst(a, b) < 0;

export function isPrereleaseVersion(version: string): boolean {
  return (versionOf(version)?.prerelease.length ?? 0) > 0;
}

const placement = (release: Pick<ReleaseFacts, 'version' | 'channel'>): ChannelPlacement => ({
  channel: release.channel,
  prerelease: isPrereleaseVersion(release.version),
});

/** A pre-release filed under stable is never offered to anyone. */
export function neverServed(release: Pick<ReleaseFacts, 'version' | 'channel'>): boolean {
  return neverOffered(placement(release));
}

/** The channels a client of `channel` is served from (its `serves_from`); only itself when the list does not name it. */
export function servesFrom(channels: readonly ChannelFacts[], channel: string): ReadonlySet<string> {
  return new Set(channels.find((other) => other.name === channel)?.serves_from ?? [channel]);
}

/** Published releases that can be offered to a client served from `channels`, newest first. */
function offered<T extends ReleaseFacts>(releases: readonly T[], channels: ReadonlySet<string>): T[] {
  return releases
    .filter((release) => release.status === OFFERED_STATUS && offeredOnChannels(placement(release), channels))
    .sort((a, b) => newestFirst(a.version, b.version));
}

/** The live release of each channel: its highest published release that can be offered. */
export function liveByChannel<T extends ReleaseFacts>(releases: readonly T[]): Map<string, T> {
  const live = new Map<string, T>();
  for (const channel of new Set(releases.map((release) => release.channel))) {
    const top = offered(releases, new Set([channel]))[0];
    if (top) live.set(channel, top);
  }
  return live;
}

/**
 * The newest release clients of `channel` are offered, from it or a channel it follows: what an install below it
 * gets when the rollout includes it and the release has an artifact for its platform; null when there is none.
 */
export function newestOffered<T extends ReleaseFacts>(releases: readonly T[], channels: readonly ChannelFacts[], channel: string): T | null {
  return offered(releases, servesFrom(channels, channel))[0] ?? null;
}

/** What becomes live on the channel when its live release `current` is archived: the next-highest published one. */
export function previousLive<T extends ReleaseFacts>(releases: readonly T[], current: ReleaseFacts): T | null {
  return offered(releases, new Set([current.channel])).find((release) => release.id !== current.id && isHigher(current.version, release.version)) ?? null;
}

/** Published releases lower than `release`, newest first: what a yank may offer instead. */
export function replacementCandidates<T extends ReleaseFacts>(releases: readonly T[], release: ReleaseFacts): T[] {
  return releases
    .filter((other) => other.status === OFFERED_STATUS && other.id !== release.id && isHigher(release.version, other.version))
    .sort((a, b) => newestFirst(a.version, b.version));
}

/** The usual desktop targets: every app is expected to ship these, and any other platform it has ever shipped. */
export const EXPECTED_PLATFORMS: readonly PlatformKey[] = OPERATING_SYSTEMS.flatMap((os) =>
  (['x86_64', 'aarch64'] as const).map((arch) => `${os}-${arch}` as PlatformKey),
);

export interface Coverage {
  covered: PlatformKey[];
  missing: PlatformKey[];
  /** "4/6 platforms" */
  label: string;
}

/** `expected` plus every platform `artifacts` has, in ALL_PLATFORM_KEYS order. */
function platformsOf(artifacts: ReleaseFacts['artifacts'], expected: readonly string[]): PlatformKey[] {
  const wanted = new Set([...expected, ...artifacts.map((artifact) => artifact.platform)]);
  return ALL_PLATFORM_KEYS.filter((key) => wanted.has(key));
}

/** Which of `expected` (plus any other platform this release has) the release's artifacts cover, in ALL_PLATFORM_KEYS order. */
export function platformCoverage(artifacts: ReleaseFacts['artifacts'], expected: readonly string[] = EXPECTED_PLATFORMS): Coverage {
  const have = new Set(artifacts.map((artifact) => artifact.platform));
  const keys = platformsOf(artifacts, expected);
  const covered = keys.filter((key) => have.has(key));
  const missing = keys.filter((key) => !have.has(key));
  return { covered, missing, label: `${covered.length}/${keys.length} platforms` };
}

/**
 * The platforms an app ships, the one measure of "n/m platforms" on the releases list, a release's page and the
 * publish confirmation: the usual targets and every platform a published release of the app has an artifact for
 * (`platformCoverage` adds the release's own). Not every key the protocol accepts: an app that never shipped
 * windows-riscv64 does not lack it.
 */
export function appPlatforms(published: readonly Pick<ReleaseFacts, 'artifacts'>[]): PlatformKey[] {
  const seen = new Set<string>(EXPECTED_PLATFORMS);
  for (const release of published) for (const artifact of release.artifacts) seen.add(artifact.platform);
  return ALL_PLATFORM_KEYS.filter((key) => seen.has(key));
}

export interface ChecklistRow {
  platform: PlatformKey;
  /** The bundle types an install of this OS can report, each with whether the release has it. */
  bundles: { bundle: BundleType; covered: boolean }[];
  /** An artifact without a bundle type also serves the platform. */
  covered: boolean;
}

/** Each platform the app ships (`appPlatforms`, plus the release's own) with its bundles, for the release page's checklist. */
export function platformChecklist(artifacts: ReleaseFacts['artifacts'], expected: readonly string[] = EXPECTED_PLATFORMS): ChecklistRow[] {
  return platformsOf(artifacts, expected).map((platform) => {
    const os = parsePlatformKey(platform)!.os;
    const mine = artifacts.filter((artifact) => artifact.platform === platform);
    const bundles = DEFAULT_BUNDLE_PREFERENCE[os].map((bundle) => ({ bundle, covered: mine.some((artifact) => artifact.bundle === bundle) }));
    return { platform, bundles, covered: mine.length > 0 };
  });
}

/** "to all installs", "to 25% of installs", "to no installs yet (0% pauses it)". */
export function rolloutPhrase(percent: number): string {
  if (percent >= 100) return 'to all installs';
  if (percent <= 0) return 'to no installs yet (a rollout of 0% pauses it)';
  return `to ${percent}% of installs`;
}

/** Channels whose clients are also served from `channel` (beta follows stable: a beta client gets stable releases too). */
export function followersOf(channels: readonly ChannelFacts[], channel: string): string[] {
  return channels.filter((other) => other.name !== channel && other.serves_from.includes(channel)).map((other) => other.name).sort();
}

const list = (items: readonly string[]) => items.join(', ');

/** The confirmation text of "Publish": what goes live, to whom, and what it means for the current live release. */
export function publishSummary(release: ReleaseFacts, published: readonly ReleaseFacts[], channels: readonly ChannelFacts[] = []): string[] {
  const platforms = platformCoverage(release.artifacts, []).covered;
  const lines = [`${release.version} on channel ${release.channel} ${rolloutPhrase(release.rollout_percent)}, for ${list(platforms) || 'no platform'}.`];
  if (neverServed(release)) {
    lines.push(`${release.version} is a pre-release filed under ${DEFAULT_CHANNEL}: the server never offers it to anyone. Put it on another channel (e.g. beta) to ship it.`);
    return lines;
  }
  const others = published.filter((other) => other.id !== release.id);
  const live = liveByChannel(others).get(release.channel);
  if (!live) {
    lines.push(`It becomes the first live release of ${release.channel}: installs on that channel running a lower version are offered it.`);
  } else if (isHigher(release.version, live.version)) {
    lines.push(`It is higher than ${live.version}, live on ${release.channel} now: clients on ${live.version} (and any lower version) will be offered ${release.version}.`);
  } else {
    lines.push(
      `It is not higher than ${live.version}, live on ${release.channel}, so it does not become the live release: installs below ${release.version} ` +
        `get it only where ${live.version} is not offered to them (outside its rollout, or on a platform it lacks).`,
    );
  }
  const ahead = newestOffered(others, channels, release.channel);
  if (ahead && ahead.channel !== release.channel && !isHigher(release.version, ahead.version)) {
    lines.push(
      `Clients of ${release.channel} also get ${ahead.channel}'s releases, where ${ahead.version} is live: installs below it that its rollout includes are offered ${ahead.version}, not ${release.version}.`,
    );
  }
  if (release.rollout_percent > 0 && release.rollout_percent < 100) {
    lines.push(`Only installs that send an install id are in a rollout's cohort; the rest get it at 100%. Installs outside the cohort keep getting the previous release.`);
  }
  const followers = followersOf(channels, release.channel);
  if (followers.length) lines.push(`Clients of ${list(followers)} (following ${release.channel}) are offered it too when it is the newest they can get.`);
  const missing = platformCoverage(release.artifacts, appPlatforms(published)).missing;
  if (missing.length) lines.push(`No artifact for ${list(missing)}: installs there keep getting older releases that have one.`);
  return lines;
}

/** The confirmation text of "Roll back" on the live release, or why there is nothing to roll back to. */
export function rollbackSummary(release: ReleaseFacts, published: readonly ReleaseFacts[]): { possible: boolean; lines: string[] } {
  const previous = previousLive(published, release);
  if (!previous) {
    return {
      possible: false,
      lines: [`No other published release on ${release.channel} is lower than ${release.version}, so there is nothing to roll back to. Archive it to stop offering it, or publish a fixed version.`],
    };
  }
  return {
    possible: true,
    lines: [
      `Archive ${release.version}: ${previous.version} becomes the live release of ${release.channel} again (the next-highest published release), offered ${rolloutPhrase(previous.rollout_percent)} below ${previous.version}.`,
      `Clients get ${previous.version} again only if they have not installed ${release.version} yet: installs already on ${release.version} keep it, because the server only offers versions higher than the one installed.`,
      `To move those installs back, yank ${release.version} with ${previous.version} as its replacement (the app must allow downgrades).`,
    ],
  };
}

/**
 * The confirmation text of moving a published or archived release to channel `to` (a draft's channel is just a
 * field): what its old channel offers instead, then what it means on the new one, as publishing there would say.
 */
export function channelMoveSummary(release: ReleaseFacts, published: readonly ReleaseFacts[], channels: readonly ChannelFacts[], to: string): string[] {
  if (release.status !== OFFERED_STATUS) {
    return [`${release.version} is ${release.status}, so it is offered to no one on either channel; published again, it is offered on ${to}.`];
  }
  const live = liveByChannel(published).get(release.channel);
  const previous = previousLive(published, release);
  const from =
    live?.id !== release.id
      ? `It is no longer offered on ${release.channel}, where ${live ? `${live.version} stays the live release` : 'it is not the live release'}.`
      : previous
        ? `It is no longer offered on ${release.channel}: ${previous.version} becomes the live release there again.`
        : `It is no longer offered on ${release.channel}, which then has no live release.`;
  const others = published.filter((other) => other.id !== release.id);
  const [, ...onNew] = publishSummary({ ...release, channel: to }, others, channels);
  return [from, `Installs of ${release.channel} already running ${release.version} keep it.`, ...onNew];
}

/** What changing a live release's rollout does (README "Staged rollouts"). */
export function rolloutChangeSummary(from: number, to: number): string {
  if (to === from) return `The rollout stays at ${from}%.`;
  if (to > from) {
    return `Raising the rollout from ${from}% to ${to}% only adds installs: everyone already offered it stays in the cohort${to === 100 ? ', and installs that send no install id get it too' : ''}.`;
  }
  if (to === 0) return `A rollout of 0% pauses it: no install is offered it any more; those that already installed it keep it.`;
  return `Lowering the rollout from ${from}% to ${to}% stops offering it to the installs that fall out of the cohort (they get the previous release); those that already installed it keep it.`;
}
