/**
 * @module ui/client/pages/release-create
 * `/ui/apps/:app/releases/new`: a new draft from its version, channel and notes, checked as you type
 * (release-fields.tsx); the server creates it and the editor opens on it.
 */
import { useState } from 'hono/jsx/dom';
import { releaseSchema } from '../../../protocol/schemas.ts';
import { adminPath, api } from '../api.ts';
import { Button, ErrorNotice, Field, PageHeader, useAction, useLoad, useToast } from '../components.tsx';
import { DEFAULT_CHANNEL } from '../../../protocol/channels.ts';
import type { PageProps } from '../router.tsx';
import { Link, navigate, uiPath } from '../router.tsx';
import { ChannelInput, channelProblem, inputValue, normalisedHint, NotesField, notesProblem, NotesPreview, versionProblem } from './release-fields.tsx';
import { loadChannels, releasePath } from './releases.tsx';

export function ReleaseCreatePage({ params }: PageProps) {
  const app = params.app!;
  const toast = useToast();
  const channels = useLoad(() => loadChannels(app), [app]);
  const [version, setVersion] = useState('');
  const [channel, setChannel] = useState(DEFAULT_CHANNEL);
  const [notes, setNotes] = useState('');
  const [touched, setTouched] = useState(false);
  const { busy, error, dismiss, run } = useAction();
  const versionError = versionProblem(version.trim());
  const invalid = Boolean(versionError || channelProblem(channel) || notesProblem(notes));

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
        <form class="card" onSubmit={submit} onInput={dismiss} noValidate>
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
          <NotesField value={notes} onInput={setNotes} />
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
