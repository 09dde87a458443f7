/**
 * @module ui/client/pages/access
 * `/ui/apps/:app/access`: who may publish this app. Trusted publishers (GitHub repositories whose workflows exchange
 * their OIDC token for a short CI credential) with the workflow lines the repository needs, and the app's API keys
 * (KeysSection from keys.tsx).
 */
import { useState } from 'hono/jsx/dom';
import { type PublisherBody, publisherListSchema } from '../../../protocol/publishers.ts';
import { api, adminPath } from '../api.ts';
import { Button, ConfirmDialog, CopyButton, EmptyState, ErrorNotice, Field, formatDate, Loading, PageHeader, useAction, useLoad, useToast, valueOf } from '../components.tsx';
import type { PageProps } from '../router.tsx';
import { useSession } from '../session.tsx';
import { KeysSection } from './keys.tsx';

interface PublisherDraft {
  repository: string;
  repository_id: string;
  repository_owner_id: string;
  workflow: string;
  environment: string;
  allowed_refs: string;
  allow_self_hosted: boolean;
  can_publish: boolean;
}

const EMPTY_DRAFT: PublisherDraft = {
  repository: '',
  repository_id: '',
  repository_owner_id: '',
  workflow: 'release.yml',
  environment: '',
  allowed_refs: 'refs/tags/v*',
  allow_self_hosted: false,
  can_publish: false,
};

function draftOf(publisher: PublisherBody): PublisherDraft {
  return {
    repository: publisher.repository,
    repository_id: publisher.repository_id,
    repository_owner_id: publisher.repository_owner_id,
    workflow: publisher.workflow ?? '',
    environment: publisher.environment ?? '',
    allowed_refs: publisher.allowed_refs.join('\n'),
    allow_self_hosted: publisher.allow_self_hosted,
    can_publish: publisher.can_publish,
  };
}

/** The API's body: empty workflow/environment mean "any" (null), refs one per line. */
function bodyOf(draft: PublisherDraft) {
  return {
    repository: draft.repository.trim(),
    repository_id: draft.repository_id.trim(),
    repository_owner_id: draft.repository_owner_id.trim(),
    workflow: draft.workflow.trim() || null,
    environment: draft.environment.trim() || null,
    allowed_refs: draft.allowed_refs
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean),
    allow_self_hosted: draft.allow_self_hosted,
    can_publish: draft.can_publish,
  };
}

function PublisherForm(props: { initial: PublisherDraft; submitLabel: string; onSubmit(draft: PublisherDraft): Promise<void>; onCancel?(): void }) {
  const [draft, setDraft] = useState(props.initial);
  const { busy, error, dismiss, run } = useAction();
  const text = (field: keyof PublisherDraft) => (event: Event) => setDraft((current) => ({ ...current, [field]: valueOf(event) }));
  const check = (field: 'allow_self_hosted' | 'can_publish') => (event: Event) =>
    setDraft((current) => ({ ...current, [field]: (event.target as HTMLInputElement).checked }));
  const repo = draft.repository.trim() || 'owner/repo';
  const submit = (event: Event) => {
    event.preventDefault();
    return run(() => props.onSubmit(draft));
  };
  return (
    <form class="publisher-form" onSubmit={submit} onInput={dismiss}>
      <ErrorNotice error={error} />
      <div class="publisher-fields">
        <Field label="Repository" hint="GitHub owner/name, e.g. octo-org/octo-app.">
          <input name="repository" required autocomplete="off" spellcheck={false} value={draft.repository} onInput={text('repository')} />
        </Field>
        <Field label="Repository id" hint={<>GitHub's numeric id, pins the repository against re-creation: <code>gh api repos/{repo} --jq .id</code></>}>
          <input name="repository_id" required inputMode="numeric" autocomplete="off" value={draft.repository_id} onInput={text('repository_id')} />
        </Field>
        <Field label="Owner id" hint={<>The owner account's numeric id: <code>gh api repos/{repo} --jq .owner.id</code></>}>
          <input name="repository_owner_id" required inputMode="numeric" autocomplete="off" value={draft.repository_owner_id} onInput={text('repository_owner_id')} />
        </Field>
        <Field label="Workflow file" hint="File name in .github/workflows, e.g. release.yml (for .github/workflows/release.yml); empty: any workflow.">
          <input name="workflow" autocomplete="off" spellcheck={false} value={draft.workflow} onInput={text('workflow')} />
        </Field>
        <Field label="Environment" hint="GitHub environment the job must run in, e.g. release (add required reviewers there); empty: any or none.">
          <input name="environment" autocomplete="off" value={draft.environment} onInput={text('environment')} />
        </Field>
        <Field label="Allowed refs" hint="One glob per line over the job's ref, e.g. refs/tags/v* (* stops at /, ** does not); empty: any ref.">
          <textarea name="allowed_refs" rows={3} class="refs-input" spellcheck={false} value={draft.allowed_refs} onInput={text('allowed_refs')} />
        </Field>
      </div>
      <label class="check">
        <input type="checkbox" name="can_publish" checked={draft.can_publish} onChange={check('can_publish')} />
        <span>
          <strong>Can publish</strong> — its runs may publish releases; unchecked, CI creates drafts and an admin publishes them.
        </span>
      </label>
      <label class="check">
        <input type="checkbox" name="allow_self_hosted" checked={draft.allow_self_hosted} onChange={check('allow_self_hosted')} />
        <span>
          <strong>Allow self-hosted runners</strong> — otherwise only GitHub-hosted runners are accepted.
        </span>
      </label>
      <div class="actions">
        {props.onCancel ? <Button onClick={props.onCancel}>Cancel</Button> : null}
        <Button type="submit" variant="primary" busy={busy}>
          {props.submitLabel}
        </Button>
      </div>
    </form>
  );
}

/** Written where the server does not know the action's repository (ACTION_REPOSITORY unset, not on Vercel). */
const UNKNOWN_ACTION = '<owner>/<repository>@v1';

function WorkflowSnippet({ app }: { app: string }) {
  const { session } = useSession();
  const action = session.server.action_reference;
  const snippet = `permissions:
  id-token: write   # lets the job prove itself to the server with its GitHub OIDC token
  contents: read

# a step of the release job, which runs once per platform:
- uses: ${action ?? UNKNOWN_ACTION}
  with:
    server-url: ${session.server.public_url}
    app: ${app}
    platform: \${{ matrix.platform }}`;
  return (
    <div class="card">
      <h3>In the app's repository</h3>
      <p class="muted small">
        The release workflow needs <code>id-token: write</code> and the action with <code>server-url</code> and <code>app</code>; no server
        secret is stored in the repository. The server must have <code>OIDC_AUDIENCE</code> set.
      </p>
      {action ? null : (
        <p class="notice notice-warn" role="note">
          This server does not know which repository its actions live in: replace <code>{UNKNOWN_ACTION}</code> with it (e.g. your fork of tauri-release), or
          set <code>ACTION_REPOSITORY</code> on the server to show it here.
        </p>
      )}
      <pre aria-label="Workflow step">{snippet}</pre>
      <CopyButton text={snippet} label="Copy workflow step" />
    </div>
  );
}

function PublishersSection({ app }: { app: string }) {
  const toast = useToast();
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<PublisherBody | null>(null);
  const [deleting, setDeleting] = useState<PublisherBody | null>(null);
  const [toggleError, setToggleError] = useState<unknown>(null);
  const path = adminPath('apps', app, 'publishers');
  const { data, error, loading, reload } = useLoad(() => api.get(path, publisherListSchema).then((body) => body.publishers), [app]);
  // A change that went through (an add, edit or removal) ends what an earlier failed toggle said about the list.
  const changed = () => {
    setToggleError(null);
    reload();
  };

  const toggle = async (publisher: PublisherBody) => {
    setToggleError(null);
    try {
      await api.patch(adminPath('apps', app, 'publishers', publisher.id), { can_publish: !publisher.can_publish });
      toast(`${publisher.repository} ${publisher.can_publish ? 'now creates drafts only' : 'may now publish'}`);
      reload();
    } catch (failure) {
      setToggleError(failure);
    }
  };

  return (
    <section aria-labelledby="publishers-title" class="stack">
      <div class="page-header">
        <h2 id="publishers-title">Trusted publishers</h2>
        {creating ? null : (
          <Button variant="primary" onClick={() => setCreating(true)}>
            Add publisher
          </Button>
        )}
      </div>
      <p class="muted">GitHub workflows that may upload and register this app's releases without a stored key.</p>
      {creating ? (
        <div class="card">
          <h3>New trusted publisher</h3>
          <PublisherForm
            initial={EMPTY_DRAFT}
            submitLabel="Add publisher"
            onCancel={() => setCreating(false)}
            onSubmit={async (draft) => {
              const body = bodyOf(draft);
              await api.post(path, body);
              toast(`${body.repository} trusted`);
              setCreating(false);
              changed();
            }}
          />
        </div>
      ) : null}
      <ErrorNotice error={error ?? toggleError} />
      {loading && !data ? <Loading label="Loading trusted publishers…" /> : null}
      {data && data.length === 0 ? <EmptyState>No trusted publishers yet: CI needs an API key until you add one.</EmptyState> : null}
      {data && data.length > 0 ? (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Repository</th>
                <th scope="col">Workflow</th>
                <th scope="col">Environment</th>
                <th scope="col">Refs</th>
                <th scope="col">Runners</th>
                <th scope="col">Publishing</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.map((publisher) => (
                <tr key={publisher.id}>
                  <td class="mono">{publisher.repository}</td>
                  <td class="mono">{publisher.workflow ?? 'any'}</td>
                  <td>{publisher.environment ?? 'any'}</td>
                  <td class="mono">{publisher.allowed_refs.length ? publisher.allowed_refs.join(', ') : 'any'}</td>
                  <td>{publisher.allow_self_hosted ? 'GitHub-hosted and self-hosted' : 'GitHub-hosted'}</td>
                  <td>
                    {publisher.can_publish ? <span class="badge badge-ok">Can publish</span> : <span class="badge badge-draft">Drafts only</span>}
                  </td>
                  <td>{formatDate(publisher.created_at)}</td>
                  <td>
                    <div class="row-actions">
                      <Button variant="quiet" onClick={() => void toggle(publisher)} aria-label={`${publisher.can_publish ? 'Restrict' : 'Allow publishing for'} ${publisher.repository}`}>
                        {publisher.can_publish ? 'Drafts only' : 'Allow publishing'}
                      </Button>
                      <Button variant="quiet" onClick={() => setEditing(publisher)} aria-label={`Edit ${publisher.repository}`}>
                        Edit
                      </Button>
                      <Button variant="quiet" onClick={() => setDeleting(publisher)} aria-label={`Delete ${publisher.repository}`}>
                        Delete
                      </Button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {editing ? (
        <div class="card">
          <h3>Edit {editing.repository}</h3>
          <PublisherForm
            key={editing.id}
            initial={draftOf(editing)}
            submitLabel="Save publisher"
            onCancel={() => setEditing(null)}
            onSubmit={async (draft) => {
              await api.patch(adminPath('apps', app, 'publishers', editing.id), bodyOf(draft));
              toast(`${draft.repository.trim()} saved`);
              setEditing(null);
              changed();
            }}
          />
        </div>
      ) : null}
      <WorkflowSnippet app={app} />
      <ConfirmDialog
        open={deleting !== null}
        title={`Remove ${deleting?.repository ?? ''}?`}
        confirmLabel="Remove publisher"
        danger
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          const publisher = deleting!;
          await api.delete(adminPath('apps', app, 'publishers', publisher.id));
          toast(`${publisher.repository} removed`);
          changed();
        }}
      >
        <p>
          Workflows of <strong>{deleting?.repository}</strong> can no longer get credentials for this app, and every CI credential it issued is
          revoked now (a running release job fails).
        </p>
      </ConfirmDialog>
    </section>
  );
}

export function AccessPage({ params }: PageProps) {
  const app = params.app!;
  return (
    <>
      <PageHeader title="Publishers & keys" />
      <PublishersSection app={app} />
      <section aria-labelledby="keys-title" class="stack">
        <h2 id="keys-title">API keys</h2>
        <p class="muted">Keys that reach this app only. An admin key can do everything here; a ci key creates drafts and uploads.</p>
        <KeysSection app={app} />
      </section>
    </>
  );
}
