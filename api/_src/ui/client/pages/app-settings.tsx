/**
 * @module ui/client/pages/app-settings
 * `/ui/apps/:app/settings`: edit the app (`PATCH /admin/apps/:app`), delete it (global keys only; the API refuses
 * while releases are published), and copy the exact `tauri.conf.json` lines for its updater (tauri-config.ts), with
 * the app's channels (`GET /admin/apps/:app/channels`) to pick which one the snippet follows, and its licensing mode
 * (`GET /admin/apps/:app/licensing`: a licensed app lists no static failover); where its releases come from
 * (app-source.tsx), and what the public may download without a key (public-access.tsx).
 *
 * Replacing or removing a key that is set asks first: installed copies verify every update with the key they were
 * built with, so a key that does not match theirs makes every upload fail verification and every update stop.
 */
import { useState } from 'hono/jsx/dom';
import { licensingSchema } from '../../../protocol/licensing.ts';
import { type AppBody, appSchema, type ChannelBody, channelListSchema, type UpdateAppBody } from '../../../protocol/schemas.ts';
import { adminPath, api } from '../api.ts';
import { checkPublicKey, descriptionProblem, nameProblem } from '../app-form.ts';
import { Button, ConfirmDialog, CopyButton, ErrorNotice, Field, Loading, PageHeader, useAction, useLoad, valueOf } from '../components.tsx';
import { useApps } from '../layout.tsx';
import { licensingPaths } from '../licensing-api.ts';
import type { PageProps } from '../router.tsx';
import { navigate } from '../router.tsx';
import { useSession } from '../session.tsx';
import { DEFAULT_CHANNEL } from '../../../protocol/channels.ts';
import { staticManifestUrl } from '../../../protocol/endpoints.ts';
import { tauriConfigSnippet } from '../tauri-config.ts';
import { SourceCard } from './app-source.tsx';
import { PublicAccessCard } from './public-access.tsx';

export function AppSettingsPage({ params }: PageProps) {
  const slug = params.app!;
  const app = useLoad(() => api.get(adminPath('apps', slug), appSchema), [slug]);
  // "Saved." stays until the next edit; the form itself restarts from the saved app (keyed by updated_at).
  // Not a toast: showing one while the page re-renders duplicated the whole dashboard (Hono JSX DOM).
  const [saved, setSaved] = useState(false);
  const channels = useLoad(() => api.get(adminPath('apps', slug, 'channels'), channelListSchema).then((body) => body.channels), [slug]);

  return (
    <>
      <PageHeader title={app.data ? `${app.data.name} · Settings` : 'Settings'} />
      <ErrorNotice error={app.error} />
      {app.data ? (
        <div class="stack">
          <EditForm
            key={app.data.updated_at}
            app={app.data}
            saved={saved}
            onSaved={() => {
              setSaved(true);
              app.reload();
            }}
          />
          <PublicAccessCard key={app.data.updated_at} app={app.data} />
          <SnippetCard app={app.data} channels={channels.data} />
          <SourceCard slug={app.data.slug} />
          <ChannelsCard channels={channels.data} error={channels.error} />
          <DangerZone app={app.data} />
        </div>
      ) : app.error ? null : (
        <Loading />
      )}
    </>
  );
}


function EditForm({ app, saved, onSaved }: { app: AppBody; saved: boolean; onSaved(): void }) {
  const { reload } = useApps();
  const [name, setName] = useState(app.name);
  const [description, setDescription] = useState(app.description ?? '');
  const [publicKey, setPublicKey] = useState(app.public_key ?? '');
  const [confirming, setConfirming] = useState(false);
  const { busy, error, setError, dismiss, run } = useAction();

  const key = checkPublicKey(publicKey);
  const problems = {
    name: nameProblem(name),
    description: descriptionProblem(description),
    publicKey: key.kind === 'invalid' ? key.reason : null,
  };
  const nextKey = key.kind === 'valid' ? key.value : null;
  const changes: UpdateAppBody = {};
  if (name.trim() !== app.name) changes.name = name.trim();
  if ((description.trim() || null) !== app.description) changes.description = description.trim() || null;
  if (key.kind !== 'invalid' && nextKey !== app.public_key) changes.public_key = nextKey;
  const changed = Object.keys(changes).length > 0;
  const invalid = Object.values(problems).some((problem) => problem !== null);
  // Setting a first key needs no warning; replacing or removing one that installed copies may trust does.
  const keyRisk = 'public_key' in changes && app.public_key !== null;

  const save = async () => {
    await api.patch(adminPath('apps', app.slug), changes);
    reload();
    onSaved();
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    if (invalid || !changed) return;
    if (keyRisk) {
      setConfirming(true);
      return;
    }
    await run(save);
  };

  return (
    <form class="card stack app-form" onSubmit={submit} onInput={dismiss} noValidate>
      <h2>App</h2>
      <ErrorNotice error={error} />
      <dl class="kv">
        <dt>Slug</dt>
        <dd>
          <span class="mono">{app.slug}</span> <span class="muted small">(cannot change: it is in every installed copy's updater URL)</span>
        </dd>
      </dl>
      <Field label="Name" error={problems.name}>
        <input name="name" autocomplete="off" required maxLength={200} value={name} onInput={(event: Event) => setName(valueOf(event))} />
      </Field>
      <Field label="Description" error={problems.description} hint="Optional.">
        <textarea name="description" rows={2} value={description} onInput={(event: Event) => setDescription(valueOf(event))} />
      </Field>
      <Field
        label="Updater public key"
        error={problems.publicKey}
        hint={
          key.kind === 'valid' ? (
            <>
              Key ID <span class="mono">{key.keyId}</span>
              {nextKey !== app.public_key && app.public_key_id ? ` (replaces ${app.public_key_id})` : ''}.
            </>
          ) : (
            <>
              No key: nothing can be verified or published. Paste the content of the <code>.pub</code> file that{' '}
              <code>npx tauri signer generate</code> wrote.
            </>
          )
        }
      >
        <textarea
          id="public-key"
          name="public_key"
          class="mono"
          rows={3}
          spellcheck={false}
          autocomplete="off"
          value={publicKey}
          onInput={(event: Event) => setPublicKey(valueOf(event))}
        />
      </Field>
      <div class="actions">
        {saved && !changed ? (
          <span class="app-saved" role="status">
            Saved.
          </span>
        ) : null}
        <Button type="submit" variant="primary" busy={busy} disabled={!changed}>
          Save changes
        </Button>
      </div>
      <ConfirmDialog
        open={confirming}
        title={nextKey ? 'Replace the app\'s key?' : 'Remove the app\'s key?'}
        confirmLabel={nextKey ? 'Replace key' : 'Remove key'}
        danger
        onConfirm={save}
        onClose={() => setConfirming(false)}
      >
        <p>
          Installed copies of {app.name} verify every update with the public key they were built with
          {app.public_key_id ? (
            <>
              {' '}
              (key ID <span class="mono">{app.public_key_id}</span>)
            </>
          ) : null}
          .
        </p>
        {nextKey && key.kind === 'valid' ? (
          <p>
            From now on, artifacts must be signed with the private key of <span class="mono">{key.keyId}</span>. If installed copies were built
            with the old key, they will reject those updates: only change the key when your apps ship with the new one.
          </p>
        ) : (
          <p>Without a key, new artifacts cannot be verified and no release can be published until a key is set again.</p>
        )}
      </ConfirmDialog>
    </form>
  );
}

function SnippetCard({ app, channels }: { app: AppBody; channels: ChannelBody[] | undefined }) {
  const [channel, setChannel] = useState(DEFAULT_CHANNEL);
  // The mode decides the endpoints; until it is known no snippet is shown, so none can be copied without its failover
  // (open) or with a latest.json that answers 404 app_licensed (licensed).
  const licensing = useLoad(() => api.get(licensingPaths(app.slug).mode, licensingSchema), [app.slug]);
  const licensed = licensing.data ? licensing.data.mode === 'licensed' : undefined;
  const names = channels?.map((item) => item.name) ?? [DEFAULT_CHANNEL];
  return (
    <section class="card stack" aria-labelledby="snippet-title">
      <h2 id="snippet-title">Updater configuration</h2>
      {licensed === undefined ? (
        <>
          <ErrorNotice error={licensing.error} />
          {licensing.error ? null : <Loading />}
        </>
      ) : (
        <>
          {licensed ? (
            <p>
              Merge this into your app's <code>src-tauri/tauri.conf.json</code>. It lists this server's update check alone: the app is licensed,
              so it has no static <code>latest.json</code> to fail over to, and the app sends its license key with each check (see the README,
              "In the app: sending the key").
            </p>
          ) : (
            <p>
              Merge this into your app's <code>src-tauri/tauri.conf.json</code>. The first endpoint is this server's update check; the second is
              the static <code>latest.json</code>, which the updater tries when the first fails.
            </p>
          )}
          {app.public_key === null ? (
            <p class="notice notice-warn">
              This app has no updater public key yet, so the snippet has a placeholder. <a href="#public-key">Set the key</a> above first.
            </p>
          ) : null}
          {names.length > 1 ? (
            <label class="field snippet-channel">
              <span class="field-label">Channel</span>
              <select value={channel} onChange={(event: Event) => setChannel(valueOf(event))}>
                {names.map((name) => (
                  <option key={name} value={name}>
                    {name}
                  </option>
                ))}
              </select>
            </label>
          ) : null}
          <Snippet app={app} channel={channel} licensed={licensed} />
        </>
      )}
    </section>
  );
}

/** The snippet, its copy button, and where an open app's failover file is served from. */
function Snippet({ app, channel, licensed }: { app: AppBody; channel: string; licensed: boolean }) {
  const { session } = useSession();
  const publicUrl = session.server.public_url;
  const storageBaseUrl = session.server.storage_public_url;
  const snippet = tauriConfigSnippet({ publicUrl, slug: app.slug, publicKey: app.public_key, licensed, channel, storageBaseUrl });
  return (
    <>
      <pre class="snippet" aria-label="tauri.conf.json" tabIndex={0}>
        {snippet}
      </pre>
      <div class="actions">
        <CopyButton text={snippet} label="Copy snippet" />
      </div>
      {licensed ? null : storageBaseUrl ? (
        <p class="muted small">
          The failover file is served from your bucket's public domain, so it keeps answering while this server is down.
        </p>
      ) : session.server.storage === 's3' ? (
        <p class="notice notice-warn">
          The failover file is also stored in your bucket. If the bucket has a public domain (<code>S3_PUBLIC_BASE_URL</code>), use{' '}
          <code>{staticManifestUrl(publicUrl, app.slug, channel, 'https://<S3_PUBLIC_BASE_URL>')}</code> as the second endpoint instead, so it
          still answers when this server is down.
        </p>
      ) : (
        <p class="muted small">
          With filesystem storage this server also serves the failover file, so it does not help while the server itself is down; the S3/R2
          driver with <code>S3_PUBLIC_BASE_URL</code> serves it from the bucket.
        </p>
      )}
    </>
  );
}

function ChannelsCard({ channels, error }: { channels: ChannelBody[] | undefined; error: unknown }) {
  return (
    <section class="card stack" aria-labelledby="channels-title">
      <h2 id="channels-title">Channels</h2>
      <ErrorNotice error={error} />
      {channels === undefined ? (
        error ? null : <Loading />
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Channel</th>
                <th scope="col">Follows</th>
                <th scope="col">Clients get releases from</th>
                <th scope="col" class="num">
                  Published
                </th>
              </tr>
            </thead>
            <tbody>
              {channels.map((item) => (
                <tr key={item.name}>
                  <td class="mono">
                    {item.name}
                    {item.configured ? null : <span class="muted small"> (not configured)</span>}
                  </td>
                  <td class="mono">{item.follows ?? '—'}</td>
                  <td class="mono">{item.serves_from.join(', ')}</td>
                  <td class="num">{item.published_releases}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p class="muted small">
        Channels are configured with <code>PUT /admin/apps/{'{app}'}/channels</code>; a client asks for one with <code>&amp;channel=…</code> in its
        update URL.
      </p>
    </section>
  );
}

function DangerZone({ app }: { app: AppBody }) {
  const { session } = useSession();
  const { reload } = useApps();
  const [open, setOpen] = useState(false);
  if (session.principal.app !== null) return null;
  const remove = async () => {
    await api.delete(adminPath('apps', app.slug));
    reload();
    navigate('/ui');
  };
  return (
    <section class="card stack" aria-labelledby="danger-title">
      <h2 id="danger-title">Delete app</h2>
      <p>
        Deletes {app.name}, its releases, artifacts and the API keys scoped to it. Published releases must be archived first: installed copies
        are still updating from them.
      </p>
      <div class="actions">
        <Button variant="danger" onClick={() => setOpen(true)}>
          Delete app
        </Button>
      </div>
      <ConfirmDialog open={open} title={`Delete ${app.name}?`} confirmLabel="Delete permanently" danger onConfirm={remove} onClose={() => setOpen(false)}>
        <p>
          This deletes <strong>{app.name}</strong> (<span class="mono">{app.slug}</span>) with its {app.release_count} release
          {app.release_count === 1 ? '' : 's'}, their stored artifacts, and its API keys. It cannot be undone; installed copies pointing at{' '}
          <span class="mono">/update/{app.slug}/…</span> will get 404 answers.
        </p>
      </ConfirmDialog>
    </section>
  );
}
