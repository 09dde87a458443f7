/**
 * @module protocol/channels
 * Release channels: the default channel, the rule for a channel's name, and which channels a client on channel C
 * is served from. Pure and import-free, so the server, the dashboard and the CLI apply the same rules.
 *
 * Each app configures its channels and, for each, the one more stable channel it follows (`beta` follows
 * `stable`, `nightly` follows `beta`); a client on C is offered the newest eligible release among C and every
 * channel C follows, transitively. `stable` always exists and follows nothing.
 *
 * A channel is known to an app when it is `stable`, configured, or named by a release that has ever been
 * published (published, archived or yanked: `pub_date` is set). An unconfigured channel that is known only from
 * its releases follows nothing. Any other channel is unknown, and a check on it is a 404: never another channel's
 * releases, never a silent "up to date".
 */

/** The channel a client that names none is on, and the one every app has. */
export const DEFAULT_CHANNEL = 'stable';
export const MAX_CHANNELS = 32;

const channelPattern = (maxLength: number) => new RegExp(`^[a-z0-9][a-z0-9._-]{0,${maxLength - 1}}$`);

/** A channel a release or a channel configuration may name (the database's `release_channels` check says the same). */
export const RELEASE_CHANNEL_PATTERN = channelPattern(32);
export const RELEASE_CHANNEL_RULE = 'must be 1–32 characters of a-z, 0-9, ".", "_" and "-", starting with a letter or digit';

/**
 * A channel a request may name (`?channel=` of an update check, of `latest.json`, of the analytics filters).
 * It allows 63 characters where a stored channel has at most 32: a longer well-formed name can match nothing, and
 * such a request has always been answered as an unknown channel (404, or an empty report), not as malformed (400).
 */
export const QUERIED_CHANNEL_PATTERN = channelPattern(63);
/** What a request naming a malformed channel is told: all of the rule, the length included. */
export const QUERIED_CHANNEL_RULE = 'expected 1–63 characters of a-z, 0-9, ".", "_" and "-", starting with a letter or digit';

/** The 400's message for a malformed `?channel=`: the name, cut short so a huge one is not echoed, and the rule. */
export function invalidQueriedChannel(channel: string): string {
  return `invalid channel ${JSON.stringify(channel.slice(0, 100))}; ${QUERIED_CHANNEL_RULE}`;
}

export interface ChannelConfig {
  name: string;
  /** null: only its own releases. */
  follows: string | null;
}

/**
 * For every known channel, the set of channels its clients are served from (itself included).
 * `configured` is assumed valid (`checkChannelConfig`); a cycle that slipped in anyway stops where it repeats.
 */
export function resolveChannels(configured: readonly ChannelConfig[], seen: Iterable<string>): Map<string, ReadonlySet<string>> {
  const follows = new Map<string, string | null>([[DEFAULT_CHANNEL, null]]);
  for (const channel of seen) if (!follows.has(channel)) follows.set(channel, null);
  for (const { name, follows: parent } of configured) follows.set(name, name === DEFAULT_CHANNEL ? null : parent);
  const resolved = new Map<string, ReadonlySet<string>>();
  for (const name of follows.keys()) {
    const chain = new Set<string>();
    for (let at: string | null | undefined = name; at != null && !chain.has(at); at = follows.get(at)) chain.add(at);
    resolved.set(name, chain);
  }
  return resolved;
}

/** The order a client on `channel` is served from, most specific first, e.g. `nightly → beta → stable`. */
export function channelChain(configured: readonly ChannelConfig[], channel: string): string[] {
  return [...(resolveChannels(configured, [channel]).get(channel) ?? [])];
}

/** Why a whole channel configuration cannot be stored, or null when it can. */
export function checkChannelConfig(channels: readonly ChannelConfig[]): string | null {
  if (channels.length > MAX_CHANNELS) return `at most ${MAX_CHANNELS} channels per app`;
  const names = new Set<string>([DEFAULT_CHANNEL]);
  const byName = new Map<string, string | null>();
  for (const { name, follows } of channels) {
    if (!RELEASE_CHANNEL_PATTERN.test(name)) return `invalid channel name ${JSON.stringify(name)}`;
    if (byName.has(name)) return `channel ${name} is listed twice`;
    if (name === DEFAULT_CHANNEL && follows !== null) return `${DEFAULT_CHANNEL} is the most stable channel and cannot follow another`;
    byName.set(name, follows);
    names.add(name);
  }
  for (const [name, follows] of byName) {
    if (follows === null) continue;
    if (follows === name) return `channel ${name} cannot follow itself`;
    if (!names.has(follows)) return `channel ${name} follows ${follows}, which is not in the list (list it too, or follow ${DEFAULT_CHANNEL})`;
  }
  for (const start of byName.keys()) {
    const path: string[] = [];
    for (let at: string | null | undefined = start; at != null; at = byName.get(at)) {
      if (path.includes(at)) return `channels follow each other in a cycle: ${[...path.slice(path.indexOf(at)), at].join(' → ')}`;
      path.push(at);
    }
  }
  return null;
}
