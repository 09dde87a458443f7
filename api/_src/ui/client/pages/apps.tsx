/**
 * @module ui/client/pages/apps
 * `/ui`: every app the key may see, with its latest published version and release count; `/ui/apps/new`: register
 * an app. Both read and write only `/admin/apps`; the form checks each field with the API's own rules as the user
 * types (app-form.ts), and the API's answer (e.g. a slug already taken) is shown as it comes.
 */
import { useState } from 'hono/jsx/dom';
import { type AppBody, appSchema } from '../../../protocol/schemas.ts';
import { api } from '../api.ts';
import { Button, EmptyState, ErrorNotice, Field, Loading, PageHeader, useAction, valueOf } from '../components.tsx';
import { checkPublicKey, descriptionProblem, nameProblem, slugFromName, slugProblem } from '../app-form.ts';
import { useApps } from '../layout.tsx';
import type { PageProps } from '../router.tsx';
import { Link, navigate, uiPath } from '../router.tsx';
import { useSession } from '../session.tsx';

export function AppsPage(_props: PageProps) {
  const { session } = useSession();
  const { apps, error } = useApps();
  const global = session.principal.app === null;
  return (
    <>
      <PageHeader title="Apps">
        {global ? (
          <Link href="/ui/apps/new" class="button button-primary">
            New app
          </Link>
        ) : null}
      </PageHeader>
      <ErrorNotice error={error} />
      {apps === undefined ? (
        error ? null : <Loading />
      ) : apps.length === 0 ? (
        <EmptyState>
          <h2>No apps yet</h2>
          {global ? (
            <ol class="apps-first-steps">
              <li>
                Run <code>npx tauri signer generate -w ./updater.key</code> in your Tauri project: it prints the updater public key.
              </li>
              <li>
                Choose <strong>New app</strong> above and paste that key: releases are verified against it.
              </li>
              <li>Create a release, upload its signed artifacts, and publish it.</li>
            </ol>
          ) : (
            <p>This key cannot see any app. Ask an administrator for a key of your app.</p>
          )}
        </EmptyState>
      ) : (
        <AppTable apps={apps} />
      )}
    </>
  );
}

function AppTable({ apps }: { apps: AppBody[] }) {
  return (
    <div class="table-wrap">
      <table class="apps-table">
        <caption class="visually-hidden">Apps</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Slug</th>
            <th scope="col">Latest version</th>
            <th scope="col" class="num">
              Releases
            </th>
          </tr>
        </thead>
        <tbody>
          {apps.map((app) => (
            <tr key={app.id}>
              <td>
                <Link href={uiPath('apps', app.slug)}>{app.name}</Link>
                {app.public_key_id ? null : (
                  <span class="badge badge-warn apps-no-key" title="Without an updater public key nothing can be verified or published">
                    No key
                  </span>
                )}
              </td>
              <td class="mono">{app.slug}</td>
              <td>{app.latest_version ?? <span class="muted">none published</span>}</td>
              <td class="num">{app.release_count}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}


export function AppCreatePage(_props: PageProps) {
  const { session } = useSession();
  const { reload } = useApps();
  const [slug, setSlug] = useState('');
  const [slugEdited, setSlugEdited] = useState(false);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [publicKey, setPublicKey] = useState('');
  const [attempted, setAttempted] = useState(false);
  const { busy, error, setError, dismiss, run } = useAction();

  if (session.principal.app !== null) {
    return (
      <>
        <PageHeader title="New app" />
        <p class="notice notice-warn">Creating apps needs a global admin key; this key is for {session.principal.app.slug} only.</p>
      </>
    );
  }

  const key = checkPublicKey(publicKey);
  // Typed-in values are checked at once; a field left empty only complains after a submit.
  const problems = {
    slug: slug !== '' || attempted ? slugProblem(slug) : null,
    name: name !== '' || attempted ? nameProblem(name) : null,
    description: descriptionProblem(description),
    publicKey: key.kind === 'invalid' ? key.reason : null,
  };
  const invalid = slugProblem(slug) !== null || nameProblem(name) !== null || problems.description !== null || problems.publicKey !== null;

  const submit = async (event: Event) => {
    event.preventDefault();
    setAttempted(true);
    setError(null);
    if (invalid) return;
    await run(async () => {
      const created = await api.post('/admin/apps', {
        slug,
        name: name.trim(),
        description: description.trim() || null,
        public_key: key.kind === 'valid' ? key.value : null,
      }, appSchema);
      reload();
      navigate(uiPath('apps', created.slug));
    });
  };

  return (
    <>
      <PageHeader title="New app" />
      <form class="card stack app-form" onSubmit={submit} onInput={dismiss} noValidate>
        <ErrorNotice error={error} />
        <Field label="Name" error={problems.name}>
          <input
            name="name"
            autocomplete="off"
            required
            maxLength={200}
            value={name}
            onInput={(event: Event) => {
              const value = valueOf(event);
              setName(value);
              if (!slugEdited) setSlug(slugFromName(value));
            }}
          />
        </Field>
        <Field
          label="Slug"
          error={problems.slug}
          hint={
            <>
              Part of every installed copy's updater URL (<code>/update/{slug || 'my-app'}/…</code>), so it can never change.
            </>
          }
        >
          <input
            name="slug"
            class="mono"
            autocomplete="off"
            spellcheck={false}
            autocapitalize="none"
            required
            maxLength={63}
            value={slug}
            onInput={(event: Event) => {
              setSlugEdited(true);
              setSlug(valueOf(event));
            }}
          />
        </Field>
        <Field label="Description" error={problems.description} hint="Optional.">
          <textarea name="description" rows={2} value={description} onInput={(event: Event) => setDescription(valueOf(event))} />
        </Field>
        <Field
          label="Updater public key"
          error={problems.publicKey}
          hint={
            key.kind === 'valid' ? (
              <span class="app-key-ok">
                Valid minisign key, key ID <span class="mono">{key.keyId}</span>.
              </span>
            ) : (
              <>
                The content of the <code>.pub</code> file <code>npx tauri signer generate</code> wrote (the same value as{' '}
                <code>plugins.updater.pubkey</code>). You can add it later, but nothing can be verified or published without it.
              </>
            )
          }
        >
          <textarea
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
          <Link href="/ui" class="button">
            Cancel
          </Link>
          <Button type="submit" variant="primary" busy={busy}>
            Create app
          </Button>
        </div>
      </form>
    </>
  );
}
