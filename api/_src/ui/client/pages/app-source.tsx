/**
 * @module ui/client/pages/app-source
 * The app settings' "Update source" card: serve from uploads (storage) or from a GitHub repository's releases
 * (`PUT /admin/apps/:app/source`), sync now, and the last sync's report: what is served, what was skipped and why.
 * A token is write-only (the API never returns it); the webhook secret is shown once, by the save that made it.
 */
import { useState } from 'hono/jsx/dom';
import { type PutSourceBody, type SourceView, sourceViewSchema } from '../../../protocol/github.ts';
import { GITHUB_REPOSITORY_PATTERN } from '../../../protocol/release-rules.ts';
import { adminPath, api } from '../api.ts';
import { Button, CopyButton, ErrorNotice, Field, Loading, useAction, useLoad, valueOf } from '../components.tsx';

type GithubView = Extract<SourceView, { kind: 'github' }>;

const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '—');

export function SourceCard({ slug }: { slug: string }) {
  const source = useLoad(() => api.get(adminPath('apps', slug, 'source'), sourceViewSchema), [slug]);
  const [shown, setShown] = useState<SourceView | null>(null);
  const view = shown ?? source.data;
  return (
    <section class="card stack" aria-labelledby="source-title">
      <h2 id="source-title">Update source</h2>
      <ErrorNotice error={source.error} />
      {view === undefined ? (
        source.error ? null : <Loading />
      ) : (
        <>
          <SourceForm key={view.kind === 'github' ? `${view.repository}/${view.tag_prefix}/${view.private}` : 'storage'} view={view} slug={slug} onSaved={setShown} />
          {view.kind === 'github' ? <SyncReportView view={view} slug={slug} onSynced={setShown} /> : null}
        </>
      )}
    </section>
  );
}

function SourceForm({ view, slug, onSaved }: { view: SourceView; slug: string; onSaved(view: SourceView): void }) {
  const [kind, setKind] = useState<SourceView['kind']>(view.kind);
  const [repository, setRepository] = useState(view.kind === 'github' ? view.repository : '');
  const [tagPrefix, setTagPrefix] = useState(view.kind === 'github' ? view.tag_prefix : 'v');
  const [token, setToken] = useState('');
  const [removeToken, setRemoveToken] = useState(false);
  const [rotate, setRotate] = useState(false);
  const { busy, error, dismiss, run } = useAction();
  const repositoryProblem = kind === 'github' && !GITHUB_REPOSITORY_PATTERN.test(repository.trim()) ? 'owner/repo, e.g. my-org/my-app' : null;
  const hasToken = view.kind === 'github' && view.private;

  const submit = async (event: Event) => {
    event.preventDefault();
    if (repositoryProblem) return;
    const body: PutSourceBody =
      kind === 'storage'
        ? { kind: 'storage' }
        : {
            kind: 'github',
            repository: repository.trim(),
            tag_prefix: tagPrefix,
            rotate_webhook_secret: rotate,
            ...(removeToken ? { token: null } : token.trim() ? { token: token.trim() } : {}),
          };
    await run(async () => onSaved(await api.put(adminPath('apps', slug, 'source'), body, sourceViewSchema)));
  };

  return (
    <form class="stack" onSubmit={submit} onInput={dismiss} noValidate>
      <ErrorNotice error={error} />
      <fieldset class="stack">
        <legend class="field-label">Serve releases from</legend>
        <label>
          <input type="radio" name="source-kind" value="storage" checked={kind === 'storage'} onChange={() => setKind('storage')} /> Uploads to this server
        </label>
        <label>
          <input type="radio" name="source-kind" value="github" checked={kind === 'github'} onChange={() => setKind('github')} /> A GitHub repository's releases
        </label>
      </fieldset>
      {kind === 'github' ? (
        <>
          <Field label="Repository" error={repository ? repositoryProblem : null} hint="owner/repo">
            <input name="repository" autocomplete="off" spellcheck={false} value={repository} onInput={(event: Event) => setRepository(valueOf(event))} />
          </Field>
          <Field label="Tag prefix" hint={<>What tags start with before the version: <code>v</code> for v1.2.3, <code>desktop-v</code> for desktop-v1.2.3.</>}>
            <input name="tag_prefix" autocomplete="off" spellcheck={false} value={tagPrefix} onInput={(event: Event) => setTagPrefix(valueOf(event))} />
          </Field>
          <Field label="Token (private repositories)" hint={hasToken ? 'A token is stored. Leave empty to keep it.' : 'A fine-grained token with read access to the repository\'s contents. Stored sealed; never shown again.'}>
            <input name="token" type="password" autocomplete="off" value={token} onInput={(event: Event) => setToken(valueOf(event))} />
          </Field>
          {hasToken ? (
            <label>
              <input type="checkbox" name="remove_token" checked={removeToken} onChange={(event: Event) => setRemoveToken((event.target as HTMLInputElement).checked)} /> Remove the stored
              token (the repository is public)
            </label>
          ) : null}
          {view.kind === 'github' ? (
            <label>
              <input type="checkbox" name="rotate" checked={rotate} onChange={(event: Event) => setRotate((event.target as HTMLInputElement).checked)} /> Issue a new webhook secret
            </label>
          ) : null}
        </>
      ) : view.kind === 'github' ? (
        <p class="notice notice-warn">Going back to uploads archives the releases synced from GitHub: installed copies are no longer offered them.</p>
      ) : null}
      <div class="actions">
        <Button type="submit" variant="primary" busy={busy} disabled={kind === 'storage' && view.kind === 'storage'}>
          Save source
        </Button>
      </div>
    </form>
  );
}

function SyncReportView({ view, slug, onSynced }: { view: GithubView; slug: string; onSynced(view: SourceView): void }) {
  const { busy, error, run } = useAction();
  const report = view.report;
  const sync = () => run(async () => onSynced(await api.post(adminPath('apps', slug, 'source', 'sync'), {}, sourceViewSchema)));
  return (
    <div class="stack">
      <dl class="kv">
        <dt>Webhook</dt>
        <dd>
          <span class="mono">{view.webhook_url}</span> <CopyButton text={view.webhook_url} label="Copy URL" />
          <span class="muted small"> · content type application/json · event "Releases"</span>
        </dd>
        {view.webhook_secret ? (
          <>
            <dt>Webhook secret</dt>
            <dd>
              <span class="mono">{view.webhook_secret}</span> <CopyButton text={view.webhook_secret} label="Copy secret" />
              <span class="notice notice-warn small"> Shown once: paste it into the repository's webhook settings now.</span>
            </dd>
          </>
        ) : null}
        <dt>Last sync</dt>
        <dd data-testid="sync-outcome">
          {report ? `${report.outcome} at ${when(report.at)}` : 'not yet'}
          {report?.error ? <span class="notice notice-warn"> {report.error.code}: {report.error.message}</span> : null}
        </dd>
        <dt>Next sync</dt>
        <dd>{when(view.next_sync_at)}</dd>
      </dl>
      <ErrorNotice error={error} />
      <div class="actions">
        <Button busy={busy} onClick={sync}>
          Sync now
        </Button>
      </div>
      {report && report.releases.length > 0 ? (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Tag</th>
                <th scope="col">Version</th>
                <th scope="col">Channel</th>
                <th scope="col">Bundles served</th>
              </tr>
            </thead>
            <tbody>
              {report.releases.map((release) => (
                <tr key={release.tag}>
                  <td class="mono">{release.tag}</td>
                  <td class="mono">{release.version ?? '—'}</td>
                  <td class="mono">{release.channel ?? '—'}</td>
                  <td class="small">{release.served ? release.artifacts.map((a) => `${a.platform} ${a.bundle}`).join(', ') : 'not served'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {report && report.skipped.length > 0 ? (
        <details open>
          <summary>{report.skipped.length} left out</summary>
          <ul class="small">
            {report.skipped.map((item, i) => (
              <li key={i}>
                <span class="mono">{item.tag}{item.file_name ? ` · ${item.file_name}` : ''}</span>: {item.reason}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </div>
  );
}
