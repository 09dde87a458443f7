/**
 * The three descriptions of who is offered what agree with each other: the update check's selection
 * (update/select.ts `selectUpdate`, the answer an install gets), the static manifest (manifest/static-manifest.ts,
 * the failover file) and the dashboard's offer summary (ui/client/release-facts.ts). All three are built on
 * protocol/offer.ts; this test checks that what each builds on top says the same thing.
 *
 * Random apps (channels following each other, pre-releases, rollout percentages, drafts, archived and yanked
 * releases with or without a replacement, signed and unsigned artifacts) from a seeded PRNG, each asked many
 * (channel, current version, platform, bundle, install id) questions. `PROPERTY_SEED=<n>` replays a run; a
 * failure names its seed, app and question.
 *
 * What "agree" means, per description (the check's answer is S):
 * - Channels: S is `unknown_channel` exactly when the dashboard's channel list (as GET …/channels builds it) lacks the
 *   channel, and exactly when the static manifest says `unknown_channel`.
 * - Dashboard, `newestOffered` (it has no rollout seeds and no signatures): it is an upper bound, and exact where its
 *   facts suffice. Every release S offers as an update (a yank's replacement aside) is published, on a channel the
 *   client is served from, not a pre-release under stable, higher than the install runs and not higher than the
 *   dashboard's newest; and an install below that newest release, in its rollout's cohort, on a platform where it
 *   has a signed artifact for the asked bundle, is offered exactly that release.
 * - Dashboard, `neverServed`: S offers such a release only as a yank's replacement (the admin API accepts any
 *   published release as a replacement).
 * - Static manifest (no install id, one version): for a client without an install id, below the file's version,
 *   whose key (`{os}-{arch}`, or `{os}-{arch}-{bundle}` when it names its bundle) is in the file, S is the file's
 *   release with the file's url and signature; for such a client S never offers a release higher than the file's
 *   (a yank's replacement aside), nor the file's release where the file lacks its key. With an install id, S
 *   offers at least the file's version (a staged newer release may come first). No file: without an install id,
 *   nothing but a replacement is offered. The file's version is never higher than the dashboard's newest.
 * - Yanks: an install running a yanked version whose replacement is published and fits its platform always gets
 *   an update, and when it is a replacement, it is that one.
 */
import { describe, expect, it } from '@jest/globals';
import { staticManifest } from '../manifest/static-manifest.ts';
import { type ChannelFacts, newestOffered, neverServed, type ReleaseFacts } from '../ui/client/release-facts.ts';
import { fitArtifact, type Selection, selectUpdate, type UpdateQuery } from '../update/select.ts';
import { type AppSnapshot, buildSnapshot, type ReleaseInput } from '../update/snapshot.ts';
import { type ChannelConfig, checkChannelConfig, resolveChannels } from './channels.ts';
import type { Architecture, BundleType, OperatingSystem } from './platforms.ts';
import { inCohort } from './rollout.ts';
import { compareVersions, formatVersion, parseVersion } from './semver.ts';
import { PROPERTY_SEED, prng, type Random } from '../../../test/support/prng.ts';

const SEED = PROPERTY_SEED;
const APPS = 300;
const QUESTIONS_PER_APP = 30;

const PLATFORMS: readonly { os: OperatingSystem; arch: Architecture; bundles: readonly (BundleType | null)[] }[] = [
  { os: 'linux', arch: 'x86_64', bundles: ['appimage', 'deb', null] },
  { os: 'windows', arch: 'x86_64', bundles: ['nsis', 'msi'] },
  { os: 'darwin', arch: 'aarch64', bundles: ['app'] },
];
const OPTIONAL_CHANNELS = ['beta', 'nightly', 'lts'];
/** Never configured: known only once a release on it was published. */
const UNCONFIGURED_CHANNEL = 'canary';

interface GeneratedApp {
  configured: ChannelConfig[];
  /** Every release, any status, as the admin API lists them. */
  facts: (ReleaseFacts & { rollout_seed: string })[];
  /** What the release cache loads (update/cache.ts): the published releases with their artifacts. */
  snapshot: AppSnapshot;
  /** The app's channels as `GET /admin/apps/{app}/channels` builds them (admin/channels.ts). */
  channels: ChannelFacts[];
}

function generateApp(random: Random, index: number): GeneratedApp {
  const configured: ChannelConfig[] = [];
  for (const name of OPTIONAL_CHANNELS) {
    if (random.chance(0.6)) configured.push({ name, follows: random.pick([null, 'stable', ...configured.map((channel) => channel.name)]) });
  }
  expect(checkChannelConfig(configured)).toBeNull();
  const channelNames = ['stable', 'stable', ...configured.map((channel) => channel.name), UNCONFIGURED_CHANNEL];

  const versions = new Set<string>();
  while (versions.size < 3 + random.int(7)) {
    const core = `${1 + random.int(3)}.${random.int(4)}.${random.int(3)}`;
    versions.add(random.chance(0.3) ? `${core}-${random.pick(['beta', 'rc'])}.${1 + random.int(3)}` : core);
  }
  const inputs: ReleaseInput[] = [];
  const facts: GeneratedApp['facts'] = [];
  const published: string[] = [];
  const yanked: { version: string; replacement_release_id: string | null }[] = [];
  for (const version of versions) {
    const id = `app${index}-r${facts.length}`;
    const status = random.chance(0.6) ? 'published' : random.chance(0.6) ? 'archived' : 'draft';
    const channel = random.pick(channelNames);
    const rollout = random.pick([0, 10, 50, 90, 100, 100, 100, 100]);
    const rolloutSeed = `seed-${id}-${random.int(1e9)}`;
    const artifacts = PLATFORMS.flatMap(({ os, arch, bundles }) =>
      bundles
        .filter(() => random.chance(0.5))
        .map((bundle) => {
          const platform = `${os}-${arch}`;
          const fileName = `${id}-${platform}-${bundle ?? 'raw'}`;
          return {
            id: `${fileName}-artifact`,
            platform,
            bundle,
            signature: random.chance(0.9) ? `sig-${fileName}` : '',
            storage_key: fileName,
            file_name: fileName,
            size: 1,
            sha256: '0'.repeat(64),
            is_default: random.chance(0.1),
          };
        }),
    );
    const yank = status === 'archived' && random.chance(0.5);
    facts.push({ id, version, status, channel, rollout_percent: rollout, yanked_at: yank ? '2026-11-02T00:00:00Z' : null, rollout_seed: rolloutSeed, artifacts });
    if (yank) yanked.push({ version, replacement_release_id: null });
    if (status !== 'draft') published.push(channel);
    if (status === 'published') {
      inputs.push({ id, version, notes: null, channel, rollout_percent: rollout, rollout_seed: rolloutSeed, pub_date: new Date('2026-11-01T00:00:00Z'), created_at: new Date('2026-11-01T00:00:00Z'), artifacts });
    }
  }
  // A replacement is any other release that was ever published; one archived since is no longer offered.
  const candidates = facts.filter((release) => release.status !== 'draft');
  for (const entry of yanked) {
    const replacement = random.chance(0.8) ? random.pick(candidates.filter((release) => release.version !== entry.version)) : undefined;
    entry.replacement_release_id = replacement?.id ?? null;
  }
  const app = { id: `app${index}`, slug: `app${index}`, public_key: null, channels: configured, published_channels: published, yanked };
  const snapshot = buildSnapshot(app, inputs, { publicUrl: () => null, baseUrl: 'https://updates.example.com' }).snapshot;
  const resolved = resolveChannels(configured, published);
  const channels = [...resolved].map(([name, servesFrom]) => ({ name, serves_from: [...servesFrom] }));
  return { configured, facts, snapshot, channels };
}

interface Question {
  query: UpdateQuery;
  /** `{os}-{arch}` */
  platform: string;
  current: string;
}

function ask(random: Random, app: GeneratedApp): Question {
  const { os, arch, bundles } = random.pick(PLATFORMS);
  const current = random.pick([...app.facts.map((release) => release.version), '0.0.1', '1.0.0', '9.9.9']);
  const channel = random.chance(0.05) ? 'ghost' : random.pick([...app.channels.map((known) => known.name), UNCONFIGURED_CHANNEL]);
  const bundle = random.chance(0.7) ? null : random.pick(bundles.filter((b): b is BundleType => b !== null));
  const installId = random.chance(0.3) ? null : `install-${random.int(1e9)}`;
  return { query: { current: parseVersion(current), os, arch, bundle, channel, installId }, platform: `${os}-${arch}`, current };
}

const versionOf = (text: string) => parseVersion(text);
const describeAnswer = (s: Selection) => (s.kind === 'update' ? `update to ${s.release.versionText}${s.replacesYanked ? ' (replacement)' : ''}` : s.kind);

function agree(condition: boolean, claim: string): void {
  if (!condition) throw new Error(`disagreement: ${claim}`);
}

/** Counts of the claims that were actually exercised, so a generator change cannot make the test vacuous. */
const exercised = { questions: 0, dashboardExact: 0, dashboardBound: 0, staticExact: 0, staticBound: 0, noFile: 0, replacements: 0, unknownChannel: 0 };

function checkQuestion(app: GeneratedApp, { query, platform }: Question): void {
  exercised.questions++;
  const s = selectUpdate(app.snapshot, query);
  const file = staticManifest(app.snapshot, query.channel);
  const listed = app.channels.some((channel) => channel.name === query.channel);

  // Channels.
  agree((s.kind === 'unknown_channel') === !listed, `the check says ${s.kind}, the dashboard ${listed ? 'lists' : 'does not list'} ${query.channel}`);
  agree((file.kind === 'unknown_channel') === !listed, `the static manifest says ${file.kind}, the dashboard ${listed ? 'lists' : 'does not list'} ${query.channel}`);
  if (!listed) {
    exercised.unknownChannel++;
    return;
  }

  const published = app.facts.filter((release) => release.status === 'published');
  const newest = newestOffered(published, app.channels, query.channel);
  const servesFrom = app.channels.find((channel) => channel.name === query.channel)!.serves_from;
  const offered = s.kind === 'update' ? app.facts.find((release) => release.id === s.release.id)! : null;

  // Dashboard: an upper bound…
  if (s.kind === 'update' && !s.replacesYanked) {
    exercised.dashboardBound++;
    agree(newest !== null, `the check offers ${s.release.versionText}, the dashboard says nothing is offered on ${query.channel}`);
    agree(compareVersions(s.release.version, versionOf(newest!.version)) <= 0, `the check offers ${s.release.versionText}, above the dashboard's newest ${newest!.version}`);
    agree(offered!.status === 'published' && servesFrom.includes(offered!.channel), `the check offers ${offered!.version} (${offered!.status}, ${offered!.channel}) to ${query.channel}`);
    agree(!neverServed(offered!), `the check offers ${offered!.version}, which the dashboard says is never served`);
    agree(compareVersions(s.release.version, query.current) > 0, `the check offers ${s.release.versionText} to an install running ${formatVersion(query.current)}`);
  }
  if (s.kind === 'update' && neverServed(offered!)) agree(s.replacesYanked, `${offered!.version} is offered other than as a yank's replacement`);

  // …and exact where its facts suffice.
  if (newest !== null && compareVersions(versionOf(newest.version), query.current) > 0 && inCohort(newest.rollout_percent, newest.rollout_seed, query.installId ?? null)) {
    const release = app.snapshot.releases.find((candidate) => candidate.id === newest.id)!;
    const fit = fitArtifact(release.platforms.get(platform) ?? [], query.os, query.bundle);
    if (fit !== null && fit !== 'unsigned') {
      exercised.dashboardExact++;
      agree(s.kind === 'update' && s.release.id === newest.id, `the dashboard's newest ${newest.version} fits and includes the install, the check says ${describeAnswer(s)}`);
    }
  }

  // Static manifest.
  const key = query.bundle === null ? platform : `${platform}-${query.bundle}`;
  if (file.kind === 'manifest') {
    const entry = file.manifest.platforms[key];
    const below = compareVersions(query.current, file.release.version) < 0;
    agree(newest !== null && compareVersions(file.release.version, versionOf(newest.version)) <= 0, `the file's ${file.manifest.version} is above the dashboard's newest ${newest?.version}`);
    if ((query.installId ?? null) === null) {
      if (entry && below) {
        exercised.staticExact++;
        agree(
          s.kind === 'update' && s.release.id === file.release.id && s.artifact.url === entry.url && s.artifact.signature === entry.signature,
          `the file offers ${file.manifest.version} under ${key}, the check says ${describeAnswer(s)}`,
        );
      }
      if (s.kind === 'update' && !s.replacesYanked) {
        exercised.staticBound++;
        const order = compareVersions(s.release.version, file.release.version);
        agree(order <= 0, `without an install id the check offers ${s.release.versionText}, above the file's ${file.manifest.version}`);
        agree(order < 0 || entry !== undefined, `the check offers the file's ${file.manifest.version}, whose file has no ${key}`);
      }
    } else if (entry && below) {
      agree(s.kind === 'update' && compareVersions(s.release.version, file.release.version) >= 0, `the file offers ${file.manifest.version}, the install gets ${describeAnswer(s)}`);
    }
  } else if ((query.installId ?? null) === null) {
    exercised.noFile++;
    agree(s.kind !== 'update' || s.replacesYanked, `no file for ${query.channel}, yet without an install id the check says ${describeAnswer(s)}`);
  }

  // Yanks.
  const yanked = app.snapshot.yanked.find((entry) => compareVersions(entry.version, query.current) === 0);
  const replacement = yanked?.replacement ?? null;
  if (replacement !== null) {
    const fit = fitArtifact(replacement.platforms.get(platform) ?? [], query.os, query.bundle);
    if (fit !== null && fit !== 'unsigned') {
      exercised.replacements++;
      agree(s.kind === 'update', `${yanked!.versionText} is yanked for ${replacement.versionText}, which fits, yet the check says ${s.kind}`);
    }
  }
  if (s.kind === 'update' && s.replacesYanked) agree(s.release.id === replacement?.id, `the check offers ${s.release.versionText} as a replacement of ${formatVersion(query.current)}`);
}

describe('offer agreement: the dashboard and the static manifest describe what the update check answers', () => {
  it(`holds over ${APPS} random apps × ${QUESTIONS_PER_APP} questions (PROPERTY_SEED=${SEED})`, () => {
    const random = prng(SEED);
    for (let index = 0; index < APPS; index++) {
      const app = generateApp(random, index);
      for (let n = 0; n < QUESTIONS_PER_APP; n++) {
        const question = ask(random, app);
        try {
          checkQuestion(app, question);
        } catch (error) {
          const { query } = question;
          const replay = `PROPERTY_SEED=${SEED}, app ${index}, question ${n}: channel ${query.channel}, current ${question.current}, ${question.platform}, bundle ${query.bundle}, install ${query.installId}`;
          const releases = app.facts.map((r) => `${r.version} ${r.status} ${r.channel} ${r.rollout_percent}%${r.yanked_at ? ' yanked' : ''}`).join('; ');
          if (error instanceof Error) error.message = `${replay}\nchannels ${JSON.stringify(app.configured)}\nreleases ${releases}\n${error.message}`;
          throw error;
        }
      }
    }
    // Every claim was put to the test many times, whatever the seed.
    for (const [claim, count] of Object.entries(exercised)) expect([claim, count >= 50]).toEqual([claim, true]);
  });
});
