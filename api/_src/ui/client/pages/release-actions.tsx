/**
 * @module ui/client/pages/release-actions
 * The controls that change what installs are offered: publish, delete a draft, rollout, roll back, archive, yank,
 * unyank and the channel of a release that is no longer a draft (channel-move.tsx). Each confirms first with the consequences spelled out (release-facts.ts), and shows the API's own error
 * inside the dialog when it refuses.
 */
import { useEffect, useState } from 'hono/jsx/dom';
import { type ChannelBody, type ReleaseBody, releaseSchema, type ReleaseSummaryBody } from '../../../protocol/schemas.ts';
import { adminPath, api } from '../api.ts';
import { Button, ConfirmDialog, ErrorNotice, Field, useAction, valueOf } from '../components.tsx';
import { liveByChannel, previousLive, publishSummary, replacementCandidates, rollbackSummary, rolloutChangeSummary } from '../release-facts.ts';
import { ChannelMove } from './channel-move.tsx';
import { inputValue, RolloutInput } from './release-fields.tsx';

type Dialog = 'publish' | 'archive' | 'rollback' | 'yank' | 'unyank' | 'delete' | null;

export function ReleaseActions(props: {
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
            <RolloutInput
              value={rollout}
              onInput={(value) => {
                setRollout(value);
                rolloutSave.dismiss();
              }}
              hint={rolloutChangeSummary(release.rollout_percent, rollout)}
            />
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

      {release.status !== 'draft' ? <ChannelMove app={app} release={release} published={published} channels={channels} onDone={onDone} /> : null}

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
