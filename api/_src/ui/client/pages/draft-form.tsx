/**
 * @module ui/client/pages/draft-form
 * A draft's details (version while it has no artifacts, channel, notes, rollout, critical, minimum version), saved
 * with one PATCH of only the fields that changed.
 */
import { useState } from 'hono/jsx/dom';
import { type ChannelBody, type ReleaseBody, releaseSchema } from '../../../protocol/schemas.ts';
import { adminPath, api } from '../api.ts';
import { Button, ErrorNotice, Field, useAction } from '../components.tsx';
import { ChannelInput, channelProblem, inputValue, minimumProblem, normalisedHint, NotesField, notesProblem, NotesPreview, RolloutInput, versionProblem } from './release-fields.tsx';

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

export function DraftForm({ app, release, channels, onSaved }: { app: string; release: ReleaseBody; channels: ChannelBody[] | undefined; onSaved(saved: ReleaseBody): void }) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(release));
  const { busy, error, dismiss, run } = useAction();
  const update = (changes: Partial<Draft>) => setDraft((current) => ({ ...current, ...changes }));
  const versionError = versionProblem(draft.version.trim());
  const minimumError = minimumProblem(draft.minimum.trim(), draft.version.trim());
  const invalid = Boolean(versionError || channelProblem(draft.channel) || minimumError || notesProblem(draft.notes));
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
      <form class="card" onSubmit={save} onInput={dismiss} noValidate aria-label="Draft details">
        <h2>Draft details</h2>
        <Field
          label="Version"
          error={versionError}
          hint={versionLocked ? 'The version cannot change while the draft has artifacts (their files are named after it).' : normalisedHint(draft.version.trim()) ?? undefined}
        >
          <input name="version" autocomplete="off" spellcheck={false} readOnly={versionLocked} value={draft.version} onInput={(event: Event) => update({ version: inputValue(event) })} />
        </Field>
        <ChannelInput value={draft.channel} channels={channels} onInput={(channel) => update({ channel })} />
        <NotesField value={draft.notes} onInput={(notes) => update({ notes })} />
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
