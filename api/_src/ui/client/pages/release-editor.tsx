/**
 * @module ui/client/pages/release-editor
 * Creating a release and working on one: the draft's fields (version checked as you type by the server's own semver
 * parser, channel, Markdown notes with a sanitised live preview, critical and minimum version, rollout), the platform
 * checklist, the artifacts panel, and the controls that change what installs are offered: publish, archive, roll back,
 * rollout, yank. Every one of those confirms first with the consequences spelled out (release-facts.ts), and shows
 * the API's own error inside the dialog when it refuses.
 */
import type { Child } from 'hono/jsx';
import { useEffect, useState } from 'hono/jsx/dom';
import { type AppBody, appSchema, type ChannelBody, type ReleaseBody, releaseSchema, type ReleaseSummaryBody } from '../../../protocol/schemas.ts';
import { compareVersions, formatVersion, safeParseVersion } from '../../../protocol/semver.ts';
import { adminPath, api } from '../api.ts';
import { ArtifactsPanel } from '../artifacts.tsx';
import {
  Button,
  ConfirmDialog,
  ErrorNotice,
  Field,
  formatBytes,
  formatDate,
  Loading,
  PageHeader,
  StatusBadge,
  useAction,
  useLoad,
  useToast,
  valueOf,
} from '../components.tsx';
import type { PageProps } from '../router.tsx';
import { renderMarkdown } from '../markdown.ts';
import {
  DEFAULT_CHANNEL,
  liveByChannel,
  platformChecklist,
  previousLive,
  publishSummary,
  replacementCandidates,
  rollbackSummary,
  rolloutChangeSummary,
} from '../release-facts.ts';
import { MAX_VERSION_LENGTH, RELEASE_CHANNEL_PATTERN, RELEASE_CHANNEL_RULE } from '../../../protocol/release-rules.ts';
import { Link, navigate, uiPath } from '../router.tsx';
import { loadChannels, loadPublished, releasePath } from './releases.tsx';


/** The server's own message for a bad version (releaseVersionSchema), or null when it accepts it. */
export function versionProblem(text: string): string | null {
  if (!text) return 'enter a version, e.g. 1.2.0';
  if (text.length > MAX_VERSION_LENGTH) return `at most ${MAX_VERSION_LENGTH} characters`;
  const parsed = safeParseVersion(text);
  return parsed.success ? null : `not a semantic version: ${parsed.error}`;
}

function channelProblem(text: string): string | null {
  return RELEASE_CHANNEL_PATTERN.test(text) ? null : RELEASE_CHANNEL_RULE;
}

function minimumProblem(text: string, version: string): string | null {
  if (!text) return null;
  const minimum = safeParseVersion(text);
  if (!minimum.success) return `not a semantic version: ${minimum.error}`;
  const own = safeParseVersion(version);
  if (own.success && compareVersions(minimum.version, own.version) > 0) {
    return `min_supported_version ${formatVersion(minimum.version)} is higher than the release's own version ${formatVersion(own.version)}`;
  }
  return null;
}

/** "v1.2.0 is saved as 1.2.0" when the server will normalise what was typed. */
function normalisedHint(text: string): string | null {
  const parsed = safeParseVersion(text);
  if (!parsed.success) return null;
  const canonical = formatVersion(parsed.version);
  return canonical === text ? null : `saved as ${canonical}`;
}

const inputValue = (event: Event) => valueOf(event);


/** Outside the label, so the field's accessible name is exactly "Notes". */
function NotesHint() {
  return (
    <p id="notes-hint" class="field-hint notes-hint">
      Markdown, shown to users by the app. Raw HTML is shown as text.
    </p>
  );
}

function NotesPreview({ notes }: { notes: string }) {
  const html = renderMarkdown(notes);
  return (
    <section class="card notes-preview" role="region" aria-label="Notes preview">
      <h2 class="small muted">Preview</h2>
      {html ? (
        // The only unescaped HTML on the page: markdown.ts output, which escapes raw HTML and refuses script links.
        <div class="markdown" dangerouslySetInnerHTML={{ __html: html }} />
      ) : (
        <p class="muted">Nothing to preview yet. Notes are Markdown; clients receive them as the update's notes.</p>
      )}
    </section>
  );
}

function ChannelInput({ value, channels, onInput }: { value: string; channels: ChannelBody[] | undefined; onInput(value: string): void }) {
  return (
    <Field label="Channel" error={channelProblem(value)} hint="Installs on this channel (and channels that follow it) are offered the release.">
      <input name="channel" list="release-channels" autocomplete="off" spellcheck={false} value={value} onInput={(event: Event) => onInput(inputValue(event))} />
      <datalist id="release-channels">
        {[...new Set([DEFAULT_CHANNEL, ...(channels ?? []).map((channel) => channel.name)])].map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
    </Field>
  );
}

/** Number input and slider kept in step; only the number input carries the "Rollout percentage" label. */
function RolloutInput({ value, onInput, hint }: { value: number; onInput(value: number): void; hint?: Child }) {
  const set = (text: string) => {
    const number = Math.round(Number(text));
    if (Number.isFinite(number)) onInput(Math.min(100, Math.max(0, number)));
  };
  return (
    <div class="rollout-input">
      <Field label="Rollout percentage" hint={hint}>
        <input type="number" name="rollout_percent" min={0} max={100} step={1} inputMode="numeric" value={value} onInput={(event: Event) => set(inputValue(event))} />
      </Field>
      <input type="range" min={0} max={100} step={1} value={value} aria-label="Rollout slider" onInput={(event: Event) => set(inputValue(event))} />
    </div>
  );
}

export function ReleaseCreatePage({ params }: PageProps) {
  const app = params.app!;
  const toast = useToast();
  const channels = useLoad(() => loadChannels(app), [app]);
  const [version, setVersion] = useState('');
  const [channel, setChannel] = useState(DEFAULT_CHANNEL);
  const [notes, setNotes] = useState('');
  const [touched, setTouched] = useState(false);
  const { busy, error, run } = useAction();
  const versionError = versionProblem(version.trim());
  const invalid = Boolean(versionError || channelProblem(channel));

  const submit = async (event: Event) => {
    event.preventDefault();
    setTouched(true);
    if (invalid) return;
    await run(async () => {
      const created = await api.post(adminPath('apps', app, 'releases'), { version: version.trim(), channel, notes: notes || null }, releaseSchema);
      toast(`Draft ${created.version} created`);
      navigate(releasePath(app, created.version));
    });
  };

  return (
    <>
      <PageHeader title="New release">
        <Link href={uiPath('apps', app)} class="button button-quiet">
          Back to releases
        </Link>
      </PageHeader>
      <div class="split release-form">
        <form class="card" onSubmit={submit} noValidate>
          <p class="muted small">A release starts as a draft: nothing is offered to installs until you upload its artifacts and publish it.</p>
          <Field label="Version" error={touched || version ? versionError : null} hint={normalisedHint(version.trim()) ?? 'Semantic version, e.g. 1.2.0 or 2.0.0-beta.1; a leading v is dropped.'}>
            <input
              name="version"
              autocomplete="off"
              spellcheck={false}
              required
              value={version}
              aria-invalid={(touched || version) && versionError ? 'true' : undefined}
              onInput={(event: Event) => setVersion(inputValue(event))}
            />
          </Field>
          <ChannelInput value={channel} channels={channels.data} onInput={setChannel} />
          <Field label="Notes">
            <textarea name="notes" rows={10} aria-describedby="notes-hint" value={notes} onInput={(event: Event) => setNotes(inputValue(event))} />
          </Field>
          <NotesHint />
          <ErrorNotice error={error} />
          <div class="actions">
            <Button type="submit" variant="primary" busy={busy} disabled={invalid}>
              Create release
            </Button>
          </div>
        </form>
        <NotesPreview notes={notes} />
      </div>
    </>
  );
}

interface Draft {
  version: string;
  channel: string;
  notes: string;
  critical: boolean;
  minimum: string;
  rollout: number;
}

const draftOf = (release: ReleaseBody): Draft => ({
  version: release.version,
  channel: release.channel,
  notes: release.notes ?? '',
  critical: release.critical,
  minimum: release.min_supported_version ?? '',
  rollout: release.rollout_percent,
});

/** Only the fields that changed, as PATCH /releases/:release takes them. */
function changesOf(release: ReleaseBody, draft: Draft): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  const version = draft.version.trim();
  if (version !== release.version) changes.version = version;
  if (draft.channel !== release.channel) changes.channel = draft.channel;
  if (draft.notes !== (release.notes ?? '')) changes.notes = draft.notes || null;
  if (draft.critical !== release.critical) changes.critical = draft.critical;
  const minimum = draft.minimum.trim() || null;
  if (minimum !== release.min_supported_version) changes.min_supported_version = minimum;
  if (draft.rollout !== release.rollout_percent) changes.rollout_percent = draft.rollout;
  return changes;
}

function DraftForm({ app, release, channels, onSaved }: { app: string; release: ReleaseBody; channels: ChannelBody[] | undefined; onSaved(saved: ReleaseBody): void }) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(release));
  const { busy, error, run } = useAction();
  const update = (changes: Partial<Draft>) => setDraft((current) => ({ ...current, ...changes }));
  const versionError = versionProblem(draft.version.trim());
  const minimumError = minimumProblem(draft.minimum.trim(), draft.version.trim());
  const invalid = Boolean(versionError || channelProblem(draft.channel) || minimumError);
  const changes = changesOf(release, draft);
  const dirty = Object.keys(changes).length > 0;
  const versionLocked = release.artifacts.length > 0;

  const save = async (event: Event) => {
    event.preventDefault();
    if (invalid || !dirty) return;
    await run(async () => onSaved(await api.patch(adminPath('apps', app, 'releases', release.id), changes, releaseSchema)));
  };

  return (
    <div class="split release-form">
      <form class="card" onSubmit={save} noValidate aria-label="Draft details">
        <h2>Draft details</h2>
        <Field
          label="Version"
          error={versionError}
          hint={versionLocked ? 'The version cannot change while the draft has artifacts (their files are named after it).' : normalisedHint(draft.version.trim()) ?? undefined}
        >
          <input name="version" autocomplete="off" spellcheck={false} readOnly={versionLocked} value={draft.version} onInput={(event: Event) => update({ version: inputValue(event) })} />
        </Field>
        <ChannelInput value={draft.channel} channels={channels} onInput={(channel) => update({ channel })} />
        <Field label="Notes">
          <textarea name="notes" rows={10} aria-describedby="notes-hint" value={draft.notes} onInput={(event: Event) => update({ notes: inputValue(event) })} />
        </Field>
        <NotesHint />
        <RolloutInput value={draft.rollout} onInput={(rollout) => update({ rollout })} hint="Share of installs offered the release once it is published." />
        <label class="check">
          <input type="checkbox" name="critical" checked={draft.critical} onChange={(event: Event) => update({ critical: (event.target as HTMLInputElement).checked })} />
          <span>Critical update</span>
        </label>
        <p class="field-hint">Sent as "critical": true in the update response; the app decides what to do with it (e.g. install without asking).</p>
        <Field label="Minimum supported" error={minimumError} hint='Installs below it are told "below_minimum": true. Leave empty for none.'>
          <input name="min_supported_version" autocomplete="off" spellcheck={false} value={draft.minimum} onInput={(event: Event) => update({ minimum: inputValue(event) })} />
        </Field>
        <ErrorNotice error={error} />
        <div class="actions">
          <Button type="submit" variant="primary" busy={busy} disabled={invalid || !dirty}>
            Save
          </Button>
        </div>
      </form>
      <NotesPreview notes={draft.notes} />
    </div>
  );
}

function PlatformChecklist({ release }: { release: ReleaseBody }) {
  const rows = platformChecklist(release.artifacts);
  const covered = rows.filter((row) => row.covered).length;
  return (
    <section class="card" aria-label="Platform checklist">
      <h2>Platforms</h2>
      <p class="muted small">
        {covered} of {rows.length} platforms have an artifact. Installs on a platform this release lacks keep getting the newest older release that has one.
      </p>
      <div class="table-wrap">
        <table class="platform-checklist">
          <thead>
            <tr>
              <th scope="col">Platform</th>
              <th scope="col">Bundles</th>
              <th scope="col">Artifact</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => {
              const artifacts = release.artifacts.filter((artifact) => artifact.platform === row.platform);
              return (
                <tr key={row.platform} class={row.covered ? 'platform-covered' : 'platform-missing'}>
                  <th scope="row" class="mono">
                    {row.platform}
                  </th>
                  <td>
                    <ul class="bundle-list">
                      {row.bundles.map(({ bundle, covered: has }) => (
                        <li key={bundle} class={has ? 'bundle-yes' : 'bundle-no'}>
                          <span aria-hidden="true">{has ? '✓' : '–'}</span> {bundle}
                          <span class="visually-hidden">{has ? ' present' : ' missing'}</span>
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td>
                    {artifacts.length === 0 ? (
                      <span class="muted">none</span>
                    ) : (
                      artifacts.map((artifact) => (
                        <div key={artifact.id} class="small">
                          <span class="mono">{artifact.file_name}</span> · {formatBytes(artifact.size)}
                          {artifact.is_default ? ' · default' : ''} ·{' '}
                          {artifact.state === 'pending' ? 'upload incomplete' : artifact.verified_key_id ? `signed, key ${artifact.verified_key_id}` : 'signature unchecked'}
                        </div>
                      ))
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

type Dialog = 'publish' | 'archive' | 'rollback' | 'yank' | 'unyank' | 'delete' | null;

function ReleaseActions(props: {
  app: string;
  release: ReleaseBody;
  published: ReleaseSummaryBody[];
  channels: ChannelBody[];
  onDone(release: ReleaseBody | null, message: string): void;
}) {
  const { app, release, published, channels, onDone } = props;
  const [dialog, setDialog] = useState<Dialog>(null);
  const [rollout, setRollout] = useState(release.rollout_percent);
  // Not keyed by the release's updated_at: a remount would close a dialog opened while a reload was in flight.
  useEffect(() => setRollout(release.rollout_percent), [release.rollout_percent, release.updated_at]);
  const rolloutSave = useAction();
  const [replacement, setReplacement] = useState('');
  const [reason, setReason] = useState('');
  const path = (...rest: string[]) => adminPath('apps', app, 'releases', release.id, ...rest);
  const close = () => setDialog(null);

  const live = liveByChannel(published).get(release.channel);
  const isLive = live?.id === release.id;
  const yanked = release.yanked_at !== null;
  const candidates = replacementCandidates(published, release);
  const rollback = rollbackSummary(release, published);
  const previous = previousLive(published, release);
  const readyToPublish = release.artifacts.length > 0;

  const saveRollout = () =>
    rolloutSave.run(async () => {
      const saved = await api.patch(path(), { rollout_percent: rollout }, releaseSchema);
      onDone(saved, `Rollout of ${saved.version} is now ${saved.rollout_percent}%`);
    });

  const openYank = () => {
    setReplacement(release.replacement_release_id ?? '');
    setReason('');
    setDialog('yank');
  };

  const replacementVersion = candidates.find((candidate) => candidate.id === replacement)?.version;

  return (
    <section class="card release-actions" aria-label="Release actions">
      <h2>What installs are offered</h2>
      {release.status === 'draft' ? (
        <>
          <p class="muted">
            A draft is offered to no one. Publishing needs at least one artifact, each verified against the app's public key.
          </p>
          {!readyToPublish ? <p class="notice notice-warn">Upload at least one artifact before publishing.</p> : null}
          <div class="actions actions-start">
            <Button variant="primary" disabled={!readyToPublish} onClick={() => setDialog('publish')}>
              Publish
            </Button>
            <Button variant="danger" onClick={() => setDialog('delete')}>
              Delete draft
            </Button>
          </div>
        </>
      ) : null}

      {release.status === 'published' ? (
        <>
          <p>
            {isLive ? (
              <>
                <strong>Live</strong> on {release.channel}: the newest release its installs are offered.
              </>
            ) : live ? (
              <>
                Published, but not the live release of {release.channel}: {live.version} is higher. Installs get {release.version} only where {live.version} is not
                offered to them.
              </>
            ) : (
              <>Published on {release.channel}.</>
            )}
          </p>
          <div class="rollout-control">
            <RolloutInput value={rollout} onInput={setRollout} hint={rolloutChangeSummary(release.rollout_percent, rollout)} />
            <p class="field-hint">
              Installs are in the cohort by a hash of their install id (sent as X-Install-Id); those sending none get the release only at 100%. Cohorts only grow as the
              percentage rises.
            </p>
            <ErrorNotice error={rolloutSave.error} />
            <div class="actions actions-start">
              <Button busy={rolloutSave.busy} disabled={rollout === release.rollout_percent} onClick={saveRollout}>
                Save rollout
              </Button>
            </div>
          </div>
          <div class="actions actions-start">
            {isLive ? (
              <Button disabled={!rollback.possible} onClick={() => setDialog('rollback')}>
                Roll back
              </Button>
            ) : null}
            <Button onClick={() => setDialog('archive')}>Archive</Button>
            <Button variant="danger" onClick={openYank}>
              Yank
            </Button>
          </div>
          {isLive && !rollback.possible ? <p class="field-hint">Roll back is unavailable: {rollback.lines[0]}</p> : null}
        </>
      ) : null}

      {release.status === 'archived' ? (
        <>
          <p class="muted">
            Archived: offered to no one.
            {yanked ? ' Yanked: installs running it are offered its replacement, if it has one.' : ''}
          </p>
          <div class="actions actions-start">
            <Button variant="primary" onClick={() => setDialog('publish')}>
              Publish again
            </Button>
            {yanked ? (
              <>
                <Button onClick={() => setDialog('unyank')}>Unyank</Button>
                <Button onClick={openYank}>Change replacement</Button>
              </>
            ) : (
              <Button variant="danger" onClick={openYank}>
                Yank
              </Button>
            )}
          </div>
        </>
      ) : null}

      <ConfirmDialog
        open={dialog === 'publish'}
        title={`Publish ${release.version}?`}
        confirmLabel="Publish now"
        onClose={close}
        onConfirm={async () => onDone(await api.post(path('publish'), {}, releaseSchema), `Release ${release.version} published`)}
      >
        <p>This makes live:</p>
        {publishSummary(release, published, channels).map((line) => (
          <p key={line}>{line}</p>
        ))}
      </ConfirmDialog>

      <ConfirmDialog
        open={dialog === 'archive'}
        title={`Archive ${release.version}?`}
        confirmLabel="Archive now"
        danger
        onClose={close}
        onConfirm={async () => onDone(await api.post(path('archive'), {}, releaseSchema), `Release ${release.version} archived`)}
      >
        <p>
          {release.version} is no longer offered to anyone on {release.channel}, at once on this server and within the update cache time on others.
          {isLive && previous ? ` ${previous.version} becomes the live release of ${release.channel} again.` : ''}
        </p>
        <p>Installs that already run {release.version} keep it. You can publish it again later.</p>
      </ConfirmDialog>

      <ConfirmDialog
        open={dialog === 'rollback'}
        title={`Roll back ${release.version}?`}
        confirmLabel="Roll back now"
        danger
        onClose={close}
        onConfirm={async () => onDone(await api.post(path('archive'), {}, releaseSchema), `Rolled back: ${release.version} archived`)}
      >
        {rollback.lines.map((line) => (
          <p key={line}>{line}</p>
        ))}
      </ConfirmDialog>

      <ConfirmDialog
        open={dialog === 'yank'}
        title={yanked ? `Change the replacement of ${release.version}` : `Yank ${release.version}?`}
        confirmLabel={yanked ? 'Save replacement' : 'Yank now'}
        danger={!yanked}
        onClose={close}
        onConfirm={async () => {
          const body: { replacement?: string; reason?: string } = {};
          if (replacement) body.replacement = replacement;
          if (reason.trim()) body.reason = reason.trim();
          onDone(await api.post(path('yank'), body, releaseSchema), `Release ${release.version} yanked`);
        }}
      >
        <p>
          {release.version} is archived and no longer offered to anyone.{' '}
          {replacementVersion
            ? `Installs already running ${release.version} are offered ${replacementVersion} instead, lower though it is: the app installs it only if it allows downgrades (see the README, "Rollback and yank").`
            : `Installs already running ${release.version} stay on it until a newer release is offered to them.`}
        </p>
        <Field label="Replacement" hint={candidates.length ? 'A lower published release offered to installs on the yanked version.' : 'No lower published release to offer.'}>
          <select name="replacement" value={replacement} onChange={(event: Event) => setReplacement(valueOf(event))}>
            <option value="" selected={!replacement}>
              No replacement
            </option>
            {candidates.map((candidate) => (
              <option key={candidate.id} value={candidate.id} selected={candidate.id === replacement}>
                {candidate.version} ({candidate.channel})
              </option>
            ))}
          </select>
        </Field>
        <Field label="Reason" hint="Kept in the audit log and the release.yanked event.">
          <input name="reason" maxLength={2000} value={reason} onInput={(event: Event) => setReason(inputValue(event))} />
        </Field>
      </ConfirmDialog>

      <ConfirmDialog
        open={dialog === 'unyank'}
        title={`Unyank ${release.version}?`}
        confirmLabel="Unyank now"
        onClose={close}
        onConfirm={async () => onDone(await api.delete(path('yank'), releaseSchema), `Yank of ${release.version} cleared`)}
      >
        <p>Installs on {release.version} are no longer steered to the replacement. The release stays archived; publish it again to offer it.</p>
      </ConfirmDialog>

      <ConfirmDialog
        open={dialog === 'delete'}
        title={`Delete draft ${release.version}?`}
        confirmLabel="Delete draft now"
        danger
        onClose={close}
        onConfirm={async () => {
          await api.delete(path());
          onDone(null, `Draft ${release.version} deleted`);
        }}
      >
        <p>
          The draft and its {release.artifacts.length} artifact{release.artifacts.length === 1 ? '' : 's'} are deleted, including the stored files. This cannot be undone.
        </p>
      </ConfirmDialog>
    </section>
  );
}

function ReleaseHeader({ app, release, live }: { app: string; release: ReleaseBody; live: boolean }) {
  return (
    <PageHeader
      title={
        <>
          <span class="mono">{release.version}</span> <StatusBadge status={release.status} yanked={release.yanked_at !== null} />
          {live ? <span class="badge badge-ok live-badge">Live</span> : null}
          {release.critical ? <span class="badge badge-warn">Critical</span> : null}
        </>
      }
    >
      <Link href={uiPath('apps', app)} class="button button-quiet">
        All releases
      </Link>
    </PageHeader>
  );
}

function ReleaseFactsList({ release, replacement }: { release: ReleaseBody; replacement: string | null | undefined }) {
  return (
    <dl class="kv card">
      <dt>Status</dt>
      <dd>
        <StatusBadge status={release.status} />
        {release.yanked_at ? ` yanked ${formatDate(release.yanked_at)}${replacement ? `; installs on it are offered ${replacement}` : '; no replacement'}` : ''}
      </dd>
      <dt>Channel</dt>
      <dd>{release.channel}</dd>
      <dt>Rollout</dt>
      <dd>{release.rollout_percent}%</dd>
      <dt>Published</dt>
      <dd>{formatDate(release.pub_date)}</dd>
      <dt>Created</dt>
      <dd>{formatDate(release.created_at)}</dd>
      <dt>Critical</dt>
      <dd>{release.critical ? 'yes' : 'no'}</dd>
      <dt>Minimum supported version</dt>
      <dd>{release.min_supported_version ?? 'none'}</dd>
    </dl>
  );
}

export function ReleaseEditorPage({ params }: PageProps) {
  const app = params.app!;
  const toast = useToast();
  const release = useLoad(() => api.get(adminPath('apps', app, 'releases', params.release!), releaseSchema), [app, params.release]);
  const appBody = useLoad(() => api.get(adminPath('apps', app), appSchema), [app]);
  const published = useLoad(() => loadPublished(app), [app]);
  const channels = useLoad(() => loadChannels(app), [app]);
  const replacementId = release.data?.replacement_release_id ?? null;
  const replacement = useLoad(
    () => (replacementId ? api.get(adminPath('apps', app, 'releases', replacementId), releaseSchema).then((body) => body.version) : Promise.resolve(null)),
    [app, replacementId],
  );

  const reloadAll = () => {
    release.reload();
    published.reload();
    channels.reload();
  };
  const done = (next: ReleaseBody | null, message: string) => {
    toast(message);
    if (next === null) navigate(uiPath('apps', app));
    else if (next.version !== params.release && next.id !== params.release) navigate(releasePath(app, next.version), { replace: true });
    else reloadAll();
  };

  if (release.error) {
    return (
      <>
        <PageHeader title={`Release ${params.release}`} />
        <ErrorNotice error={release.error} />
        <Link href={uiPath('apps', app)}>Back to the releases of {app}</Link>
      </>
    );
  }
  if (!release.data) return <Loading />;
  const current = release.data;
  const live = liveByChannel(published.data ?? []).get(current.channel)?.id === current.id;

  return (
    <>
      <ReleaseHeader app={app} release={current} live={live} />
      <ErrorNotice error={published.error || channels.error || appBody.error} />
      {current.status === 'draft' ? (
        <DraftForm key={current.updated_at} app={app} release={current} channels={channels.data} onSaved={(saved) => done(saved, `Draft ${saved.version} saved`)} />
      ) : (
        <div class="split release-details">
          <ReleaseFactsList release={current} replacement={replacement.data} />
          <NotesPreview notes={current.notes ?? ''} />
        </div>
      )}
      {published.data && channels.data ? (
        <ReleaseActions app={app} release={current} published={published.data} channels={channels.data} onDone={done} />
      ) : (
        <Loading />
      )}
      <PlatformChecklist release={current} />
      {appBody.data ? <ArtifactsPanel app={appBody.data} release={current} onChange={reloadAll} /> : null}
    </>
  );
}
