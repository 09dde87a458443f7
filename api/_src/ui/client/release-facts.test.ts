import { describe, expect, it } from '@jest/globals';
import {
  appPlatforms,
  channelMoveSummary,
  liveByChannel,
  newestFirst,
  newestOffered,
  platformChecklist,
  platformCoverage,
  previousLive,
  publishSummary,
  type ReleaseFacts,
  replacementCandidates,
  rollbackSummary,
  rolloutChangeSummary,
} from './release-facts.ts';

let nextId = 1;
function release(version: string, fields: Partial<ReleaseFacts> = {}): ReleaseFacts {
  return { id: `r${nextId++}`, version, status: 'published', channel: 'stable', rollout_percent: 100, artifacts: [], ...fields };
}
const artifact = (platform: string, bundle: string | null = null) => ({ platform, bundle });

describe('newestFirst', () => {
  it('orders by semver, not by text', () => {
    expect(['1.2.0', '1.10.0', '1.9.0', '1.10.0-beta.1'].sort(newestFirst)).toEqual(['1.10.0', '1.10.0-beta.1', '1.9.0', '1.2.0']);
  });
});

describe('liveByChannel', () => {
  it('is the highest published release of each channel', () => {
    const releases = [
      release('1.1.0'),
      release('1.2.0'),
      release('1.3.0', { status: 'draft' }),
      release('1.4.0', { status: 'archived' }),
      release('2.0.0-beta.1', { channel: 'beta' }),
    ];
    const live = liveByChannel(releases);
    expect(live.get('stable')?.version).toBe('1.2.0');
    expect(live.get('beta')?.version).toBe('2.0.0-beta.1');
    expect(live.size).toBe(2);
  });

  it('skips a pre-release filed under stable: the server never offers it', () => {
    expect(liveByChannel([release('1.2.0'), release('1.3.0-rc.1')]).get('stable')?.version).toBe('1.2.0');
  });
});

const FOLLOWS = [
  { name: 'stable', serves_from: ['stable'] },
  { name: 'beta', serves_from: ['beta', 'stable'] },
];

describe('newestOffered', () => {
  it("is the newest offered release of the channel or one it follows, never stable's pre-release", () => {
    const releases = [release('1.0.0'), release('1.1.0-rc.1'), release('1.1.0-beta.2', { channel: 'beta' }), release('1.2.0-beta.1', { channel: 'beta', status: 'draft' })];
    expect(newestOffered(releases, FOLLOWS, 'beta')?.version).toBe('1.1.0-beta.2');
    expect(newestOffered(releases, FOLLOWS, 'stable')?.version).toBe('1.0.0');
    expect(newestOffered([...releases, release('1.1.0')], FOLLOWS, 'beta')?.version).toBe('1.1.0');
    expect(newestOffered(releases, [], 'nightly')).toBeNull();
  });
});

describe('previousLive and replacementCandidates', () => {
  const releases = [release('1.0.0'), release('1.1.0'), release('1.1.5', { channel: 'beta' }), release('1.2.0'), release('1.3.0', { status: 'draft' })];
  const current = releases[3]!;

  it('names the next-highest published release of the same channel', () => {
    expect(previousLive(releases, current)?.version).toBe('1.1.0');
    expect(previousLive(releases, releases[0]!)).toBeNull();
  });

  it('offers lower published releases of any channel as a yank replacement, newest first', () => {
    expect(replacementCandidates(releases, current).map((r) => r.version)).toEqual(['1.1.5', '1.1.0', '1.0.0']);
  });
});

describe('platformCoverage', () => {
  it('counts the usual six targets plus any other the release has', () => {
    const coverage = platformCoverage([artifact('darwin-aarch64', 'app'), artifact('linux-x86_64', 'appimage'), artifact('linux-x86_64', 'deb'), artifact('linux-armv7')]);
    expect(coverage.label).toBe('3/7 platforms');
    expect(coverage.covered).toEqual(['linux-x86_64', 'linux-armv7', 'darwin-aarch64']);
    expect(coverage.missing).toEqual(['linux-aarch64', 'darwin-x86_64', 'windows-x86_64', 'windows-aarch64']);
  });

  it('measures against the platforms the app ships', () => {
    const expected = appPlatforms([release('1.0.0', { artifacts: [artifact('windows-i686')] })]);
    expect(expected).toContain('windows-i686');
    expect(platformCoverage([], expected).label).toBe('0/7 platforms');
  });
});

describe('platformChecklist', () => {
  it('lists the platforms the app ships with the bundles each OS can report, like platformCoverage counts them', () => {
    const artifacts = [artifact('linux-x86_64', 'deb')];
    const rows = platformChecklist(artifacts);
    expect(rows.map((row) => row.platform)).toEqual(['linux-x86_64', 'linux-aarch64', 'darwin-x86_64', 'darwin-aarch64', 'windows-x86_64', 'windows-aarch64']);
    expect(platformCoverage(artifacts).label).toBe(`1/${rows.length} platforms`);
    const linux = rows.find((row) => row.platform === 'linux-x86_64')!;
    expect(linux.covered).toBe(true);
    expect(linux.bundles).toEqual([
      { bundle: 'appimage', covered: false },
      { bundle: 'deb', covered: true },
      { bundle: 'rpm', covered: false },
    ]);
    expect(rows.find((row) => row.platform === 'windows-x86_64')!.bundles.map((b) => b.bundle)).toEqual(['nsis', 'msi']);
  });

  it('adds a platform a published release of the app has, and the release\'s own', () => {
    const platforms = appPlatforms([release('1.0.0', { artifacts: [artifact('windows-i686', 'nsis')] })]);
    const rows = platformChecklist([artifact('linux-armv7', 'deb')], platforms);
    expect(rows.map((row) => row.platform)).toEqual([
      'linux-x86_64', 'linux-aarch64', 'linux-armv7', 'darwin-x86_64', 'darwin-aarch64', 'windows-x86_64', 'windows-aarch64', 'windows-i686',
    ]);
    expect(platformCoverage([artifact('linux-armv7', 'deb')], platforms).label).toBe('1/8 platforms');
  });
});

describe('publishSummary', () => {
  const draft = release('1.2.0', { status: 'draft', rollout_percent: 25, artifacts: [artifact('darwin-aarch64', 'app'), artifact('linux-x86_64', 'appimage')] });

  it('names version, channel, rollout and platforms, and who is offered it over the live release', () => {
    const lines = publishSummary(draft, [release('1.1.0'), release('1.0.0')]);
    expect(lines[0]).toBe('1.2.0 on channel stable to 25% of installs, for linux-x86_64, darwin-aarch64.');
    expect(lines[1]).toBe('It is higher than 1.1.0, live on stable now: clients on 1.1.0 (and any lower version) will be offered 1.2.0.');
    expect(lines.join(' ')).toContain('No artifact for linux-aarch64, darwin-x86_64, windows-x86_64, windows-aarch64');
  });

  it('says when it will not become the live release', () => {
    expect(publishSummary(draft, [release('1.3.0')])[1]).toMatch(/^It is not higher than 1.3.0, live on stable, so it does not become the live release/);
  });

  it('says when it is the first release of the channel, and names following channels', () => {
    const lines = publishSummary({ ...draft, rollout_percent: 100 }, [], [
      { name: 'stable', serves_from: ['stable'] },
      { name: 'beta', serves_from: ['beta', 'stable'] },
    ]);
    expect(lines[0]).toContain('to all installs');
    expect(lines[1]).toMatch(/first live release of stable/);
    expect(lines).toContain('Clients of beta (following stable) are offered it too when it is the newest they can get.');
  });

  it('says when a channel it follows has a higher release live, which its clients get instead', () => {
    const lines = publishSummary(release('1.5.0-beta.1', { status: 'draft', channel: 'beta' }), [release('2.0.0'), release('1.4.0-beta.1', { channel: 'beta' })], FOLLOWS);
    expect(lines[1]).toMatch(/^It is higher than 1.4.0-beta.1, live on beta now/);
    expect(lines).toContain("Clients of beta also get stable's releases, where 2.0.0 is live: installs below it that its rollout includes are offered 2.0.0, not 1.5.0-beta.1.");
    expect(publishSummary(release('2.1.0-beta.1', { status: 'draft', channel: 'beta' }), [release('2.0.0')], FOLLOWS).join(' ')).not.toContain("stable's releases");
  });

  it('warns that a pre-release under stable is never offered', () => {
    expect(publishSummary(release('2.0.0-rc.1', { status: 'draft' }), [])[1]).toMatch(/never offers it to anyone/);
  });
});

describe('rollbackSummary', () => {
  it('names the release that becomes live again and who gets it', () => {
    const live = release('1.2.0');
    const summary = rollbackSummary(live, [release('1.1.0', { rollout_percent: 50 }), live, release('1.3.0', { status: 'archived' })]);
    expect(summary.possible).toBe(true);
    expect(summary.lines[0]).toBe(
      'Archive 1.2.0: 1.1.0 becomes the live release of stable again (the next-highest published release), offered to 50% of installs below 1.1.0.',
    );
    expect(summary.lines[1]).toMatch(/^Clients get 1.1.0 again only if they have not installed 1.2.0 yet/);
  });

  it('is impossible without a lower published release on the channel', () => {
    const live = release('1.2.0');
    const summary = rollbackSummary(live, [live, release('1.1.0', { channel: 'beta' })]);
    expect(summary.possible).toBe(false);
    expect(summary.lines[0]).toMatch(/nothing to roll back to/);
  });
});

describe('rolloutChangeSummary', () => {
  it('explains raising, lowering and pausing', () => {
    expect(rolloutChangeSummary(25, 50)).toMatch(/only adds installs/);
    expect(rolloutChangeSummary(25, 100)).toMatch(/send no install id get it too/);
    expect(rolloutChangeSummary(50, 10)).toMatch(/stops offering it to the installs that fall out of the cohort/);
    expect(rolloutChangeSummary(50, 0)).toMatch(/pauses it/);
    expect(rolloutChangeSummary(50, 50)).toBe('The rollout stays at 50%.');
  });
});

describe('channelMoveSummary', () => {
  const channels = [
    { name: 'stable', serves_from: ['stable'] },
    { name: 'beta', serves_from: ['beta', 'stable'] },
  ];

  it('moving the live release of stable to beta: stable falls back to the previous one, beta gets it as its first live release', () => {
    const old = release('1.1.0');
    const live = release('1.2.0', { artifacts: [artifact('linux-x86_64', 'appimage')] });
    const lines = channelMoveSummary(live, [old, live], channels, 'beta');
    expect(lines[0]).toBe('It is no longer offered on stable: 1.1.0 becomes the live release there again.');
    expect(lines[1]).toBe('Installs of stable already running 1.2.0 keep it.');
    expect(lines[2]).toBe('It becomes the first live release of beta: installs on that channel running a lower version are offered it.');
  });

  it('a release that is not live leaves its old channel\'s live release alone, and a lower one on the new channel does not become live', () => {
    const top = release('2.0.0');
    const lower = release('1.5.0');
    const betaLive = release('1.9.0', { channel: 'beta' });
    const lines = channelMoveSummary(lower, [top, lower, betaLive], channels, 'beta');
    expect(lines[0]).toBe('It is no longer offered on stable, where 2.0.0 stays the live release.');
    expect(lines[2]).toMatch(/^It is not higher than 1.9.0, live on beta/);
  });

  it('the last published release of a channel leaves it with none; an archived release is offered nowhere either way', () => {
    const only = release('1.0.0', { channel: 'beta' });
    expect(channelMoveSummary(only, [only], channels, 'stable')[0]).toBe('It is no longer offered on beta, which then has no live release.');
    const archived = release('0.9.0', { status: 'archived' });
    expect(channelMoveSummary(archived, [only], channels, 'beta')).toEqual([
      '0.9.0 is archived, so it is offered to no one on either channel; published again, it is offered on beta.',
    ]);
  });
});
