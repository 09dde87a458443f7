/**
 * @module ui/client/pages/keys
 * API keys: `KeysSection` lists, creates and revokes keys (one app's on the Access page, global ones here), and
 * `KeysPage` (/ui/keys) is the global view, for global sessions only. A new key's secret is in the create answer
 * only: it is shown once, in a box with a copy button, and dropped from memory when the box is dismissed.
 */
import { useState } from 'hono/jsx/dom';
import type * as z from 'zod';
import { type ApiKeyBody, apiKeyListSchema, createdApiKeySchema } from '../../../protocol/schemas.ts';
import { api, adminPath, query } from '../api.ts';
import { Button, ConfirmDialog, EmptyState, ErrorNotice, Field, formatDate, IgnoredParamsNotice, Loading, PageHeader, ShownOnce, useAction, useLoad, useToast, valueOf } from '../components.tsx';
import { readKeysView } from '../keys-view.ts';
import { useApps } from '../layout.tsx';
import type { PageProps } from '../router.tsx';
import { Link, setSearchParams, uiPath, useSearch } from '../router.tsx';
import { useSession } from '../session.tsx';

type Scope = ApiKeyBody['scope'];
type CreatedKey = z.infer<typeof createdApiKeySchema>;

const SCOPE_HINTS: Record<Scope, string> = {
  admin: 'admin: everything, including publishing and managing keys',
  ci: 'ci: create draft releases and upload artifacts only',
};

function NewKeyBox({ created, onDone }: { created: CreatedKey; onDone(): void }) {
  return (
    <ShownOnce id="new-key-title" title={<>Key “{created.name}” created</>} label="New API key" value={created.key} copyLabel="Copy key" onDone={onDone}>
      <p>
        <strong>This key is shown once.</strong> Copy it now and store it as a secret; the server keeps only its hash and
        cannot show it again.
      </p>
    </ShownOnce>
  );
}

function CreateKeyForm({ app, onCreated }: { app: string | null; onCreated(created: CreatedKey): void }) {
  const [name, setName] = useState('');
  const [scope, setScope] = useState<Scope>('ci');
  const { busy, error, dismiss, run } = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    return run(async () => {
      const created = await api.post('/admin/keys', { name: name.trim(), scope, ...(app ? { app } : {}) }, createdApiKeySchema);
      setName('');
      onCreated(created);
    });
  };
  return (
    <form class="card key-form" onSubmit={submit} onInput={dismiss}>
      <h3>New {app ? 'app' : 'global'} key</h3>
      <ErrorNotice error={error} />
      <div class="key-form-fields">
        <Field label="Key name" hint="What uses it, e.g. “GitHub Actions” or “Jane’s laptop”.">
          <input name="name" required maxLength={200} autocomplete="off" value={name} onInput={(event: Event) => setName(valueOf(event))} />
        </Field>
        <Field label="Scope" hint={SCOPE_HINTS[scope]}>
          <select name="scope" value={scope} onChange={(event: Event) => setScope(valueOf(event) as Scope)}>
            <option value="ci">ci</option>
            <option value="admin">admin</option>
          </select>
        </Field>
      </div>
      <Button type="submit" variant="primary" busy={busy} disabled={!name.trim()}>
        Create key
      </Button>
    </form>
  );
}

function KeyState({ apiKey }: { apiKey: ApiKeyBody }) {
  return apiKey.revoked_at ? (
    <span class="badge badge-error" title={`Revoked ${formatDate(apiKey.revoked_at)}`}>
      Revoked {formatDate(apiKey.revoked_at)}
    </span>
  ) : (
    <span class="badge badge-ok">Active</span>
  );
}

export function KeyTable(props: { keys: ApiKeyBody[]; showApp?: boolean; onRevoke(key: ApiKeyBody): void }) {
  const { apps } = useApps();
  const appName = (id: string | null) => (id === null ? 'Global' : (apps?.find((app) => app.id === id)?.slug ?? `${id.slice(0, 8)}…`));
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Scope</th>
            {props.showApp ? <th scope="col">App</th> : null}
            <th scope="col">Prefix</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">State</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.keys.map((key) => (
            <tr key={key.id} class={key.revoked_at ? 'revoked' : undefined}>
              <td>{key.name}</td>
              <td>{key.scope}</td>
              {props.showApp ? <td>{appName(key.app_id)}</td> : null}
              <td class="mono">{key.key_prefix}…</td>
              <td>{formatDate(key.created_at)}</td>
              <td>{key.last_used_at ? formatDate(key.last_used_at) : 'Never'}</td>
              <td>
                <KeyState apiKey={key} />
              </td>
              <td>
                {key.revoked_at ? null : (
                  <Button variant="quiet" aria-label={`Revoke ${key.name}`} onClick={() => props.onRevoke(key)}>
                    Revoke
                  </Button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * Keys of one app (`app` = its slug), or global keys (`app` null; `showAll` also lists every app's keys). Creating
 * here makes a key of the same reach.
 */
export function KeysSection({ app, showAll = false }: { app: string | null; showAll?: boolean }) {
  const { session, signOut } = useSession();
  const toast = useToast();
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKeyBody | null>(null);
  const { data, error, loading, reload } = useLoad(() => api.get(`/admin/keys${query({ app })}`, apiKeyListSchema).then((body) => body.keys), [app]);
  const keys = data?.filter((key) => app !== null || showAll || key.app_id === null);
  const ownKey = (key: ApiKeyBody) => session.principal.actor === `key:${key.id}`;

  return (
    <div class="stack">
      {created ? (
        <NewKeyBox created={created} onDone={() => setCreated(null)} />
      ) : (
        <CreateKeyForm
          app={app}
          onCreated={(key) => {
            setCreated(key);
            reload();
          }}
        />
      )}
      <ErrorNotice error={error} />
      {loading && !data ? <Loading label="Loading keys…" /> : null}
      {keys && keys.length === 0 ? <EmptyState>No {app ? 'keys for this app' : showAll ? 'API keys' : 'global keys'} yet.</EmptyState> : null}
      {keys && keys.length > 0 ? <KeyTable keys={keys} showApp={app === null && showAll} onRevoke={setRevoking} /> : null}
      <ConfirmDialog
        open={revoking !== null}
        title={`Revoke ${revoking?.name ?? ''}?`}
        confirmLabel="Revoke now"
        danger
        onClose={() => setRevoking(null)}
        onConfirm={async () => {
          const key = revoking!;
          await api.delete(adminPath('keys', key.id));
          toast(`Key ${key.name} revoked`);
          if (ownKey(key)) await signOut();
          else reload();
        }}
      >
        <p>
          The {revoking?.scope} key <strong>{revoking?.name}</strong> (<span class="mono">{revoking?.key_prefix}…</span>) stops working at
          once: anything using it gets 401 from then on. This cannot be undone.
        </p>
        {revoking && ownKey(revoking) ? <p class="notice notice-warn">This is the key you signed in with: you will be signed out.</p> : null}
      </ConfirmDialog>
    </div>
  );
}

export function KeysPage(_props: PageProps) {
  const { session } = useSession();
  const { showAll, ignored } = readKeysView(useSearch());
  const scopedApp = session.principal.app;
  if (scopedApp) {
    return (
      <>
        <PageHeader title="API keys" />
        <p class="notice notice-warn" role="status">
          Global keys can only be seen and managed with a global admin key. This session's key is scoped to{' '}
          <strong>{scopedApp.name}</strong>: its keys are under{' '}
          <Link href={`${uiPath('apps', scopedApp.slug)}/access`}>Publishers &amp; keys</Link>.
        </p>
      </>
    );
  }
  return (
    <>
      <PageHeader title="API keys">
        <label class="inline-field">
          <span>Show</span>
          <select value={showAll ? 'all' : 'global'} onChange={(event: Event) => setSearchParams({ show: valueOf(event) === 'all' ? 'all' : null })}>
            <option value="global">Global keys</option>
            <option value="all">All keys (every app)</option>
          </select>
        </label>
      </PageHeader>
      <IgnoredParamsNotice ignored={ignored} />
      <p class="muted">
        A global key reaches every app. Keys for a single app are created on that app's “Publishers &amp; keys” tab; prefer those, and
        trusted publishing for CI.
      </p>
      <KeysSection app={null} showAll={showAll} />
    </>
  );
}
