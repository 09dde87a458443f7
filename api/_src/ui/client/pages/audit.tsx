/**
 * @module ui/client/pages/audit
 * `/ui/audit`: the audit log, newest first, with the filters `GET /admin/audit` takes (app, exact action, actor, days) and its
 * cursor (`before`) kept in the URL, so a filtered view can be linked and reloaded. A scoped session's log holds
 * only its app (the API enforces it; the page offers no other app).
 */
import { useState } from 'hono/jsx/dom';
import { type ApiKeyBody, apiKeyListSchema, auditListSchema, auditQuerySchema } from '../../../protocol/schemas.ts';
import { api, query } from '../api.ts';
import { AUDIT_ACTIONS } from '../../../protocol/audit-actions.ts';
import { actorLabel, dayBounds, isDay, summariseDetails } from '../audit-summary.ts';
import { Button, EmptyState, ErrorNotice, formatDate, IgnoredParamsNotice, Loading, PageHeader, useLoad, valueOf } from '../components.tsx';
import { useApps } from '../layout.tsx';
import { bySchema, type ParamRule, readParams } from '../page-params.ts';
import type { PageProps } from '../router.tsx';
import { setSearchParams, useSearch } from '../router.tsx';
import { useSession } from '../session.tsx';

const PAGE_SIZE = 50;
const DAY: ParamRule = { accepts: isDay, expected: 'a day as YYYY-MM-DD' };
const AUDIT_PARAMS = {
  app: bySchema(auditQuerySchema.shape.app, 'an app slug'),
  action: bySchema(auditQuerySchema.shape.action, 'an action of at most 100 characters, e.g. release.publish'),
  actor: bySchema(auditQuerySchema.shape.actor, 'an actor such as key:<id>, token:ADMIN_TOKEN or system'),
  since: DAY,
  until: DAY,
  before: bySchema(auditQuerySchema.shape.before, 'an entry number, as the Older entries button sets it'),
};


function ActionFilter({ value }: { value: string }) {
  const [draft, setDraft] = useState(value);
  const apply = (event: Event) => {
    event.preventDefault();
    setSearchParams({ action: draft.trim() || null, before: null });
  };
  return (
    <form class="inline-form" onSubmit={apply}>
      <label class="inline-field">
        <span>Action</span>
        <input name="action" type="search" list="audit-actions" placeholder="e.g. release.publish" autocomplete="off" spellcheck={false} value={draft} onInput={(event: Event) => setDraft(valueOf(event))} />
      </label>
      <datalist id="audit-actions">
        {AUDIT_ACTIONS.map((action) => (
          <option key={action} value={action} />
        ))}
      </datalist>
      <Button type="submit">Filter</Button>
    </form>
  );
}

export function AuditPage(_props: PageProps) {
  const { session } = useSession();
  const { apps } = useApps();
  const { values, ignored } = readParams(useSearch(), AUDIT_PARAMS);
  const scoped = session.principal.app;
  const app = scoped ? null : values.app || null;
  const { action, actor, since: sinceDay, until: untilDay } = values;
  const before = values.before || null;
  // Cursors of the pages passed on the way here, for "Newer" (the API pages backwards only).
  const [trail, setTrail] = useState<string[]>([]);

  const log = useLoad(
    () => api.get(`/admin/audit${query({ app, action, actor, ...dayBounds(sinceDay, untilDay), before, limit: PAGE_SIZE })}`, auditListSchema),
    [app, action, actor, sinceDay, untilDay, before],
  );
  // Keys name the actors "key:<id>"; a failure here only leaves ids unnamed.
  const keys = useLoad(() => api.get('/admin/keys', apiKeyListSchema).then((body) => new Map(body.keys.map((key) => [key.id, key]))), []);
  const keyNames = keys.data ?? new Map<string, ApiKeyBody>();
  const appLabel = (id: string | null) => {
    if (id === null) return '—';
    const found = apps?.find((candidate) => candidate.id === id);
    return found ? found.slug : `${id.slice(0, 8)}… (deleted)`;
  };

  const filter = (changes: Record<string, string>) => {
    setTrail([]);
    setSearchParams({ ...changes, before: null });
  };
  const older = () => {
    if (!log.data?.next_before) return;
    setTrail((list) => [...list, before ?? '']);
    setSearchParams({ before: String(log.data.next_before) });
  };
  const newer = () => {
    const previous = trail[trail.length - 1] ?? '';
    setTrail((list) => list.slice(0, -1));
    setSearchParams({ before: previous || null });
  };

  return (
    <>
      <PageHeader title="Audit log" />
      <p class="muted">
        Every change made through the admin and CI APIs, newest first{scoped ? `, for ${scoped.name} only (this session's key is scoped to it)` : ''}.
      </p>
      <div class="toolbar audit-filters">
        {scoped ? null : (
          <label class="inline-field">
            <span>App</span>
            <select
              name="app"
              value={app ?? ''}
              onChange={(event: Event) => {
                setTrail([]);
                setSearchParams({ app: valueOf(event) || null, before: null });
              }}
            >
              <option value="">All apps</option>
              {(apps ?? []).map((candidate) => (
                <option key={candidate.id} value={candidate.slug}>
                  {candidate.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <ActionFilter key={action} value={action} />
        <label class="inline-field">
          <span>Actor</span>
          <select name="actor" value={actor} onChange={(event: Event) => filter({ actor: valueOf(event) })}>
            <option value="">Anyone</option>
            {[...keyNames.values()].map((key) => (
              <option key={key.id} value={`key:${key.id}`}>
                {key.name}
              </option>
            ))}
            {scoped ? null : <option value="token:ADMIN_TOKEN">ADMIN_TOKEN</option>}
            <option value="system">system</option>
          </select>
        </label>
        <label class="inline-field">
          <span>From</span>
          <input type="date" name="since" value={sinceDay} onChange={(event: Event) => filter({ since: valueOf(event) })} />
        </label>
        <label class="inline-field">
          <span>To</span>
          <input type="date" name="until" value={untilDay} onChange={(event: Event) => filter({ until: valueOf(event) })} />
        </label>
        {action || app || actor || sinceDay || untilDay ? (
          <Button
            variant="quiet"
            onClick={() => {
              setTrail([]);
              setSearchParams({ app: null, action: null, actor: null, since: null, until: null, before: null });
            }}
          >
            Clear filters
          </Button>
        ) : null}
      </div>
      <IgnoredParamsNotice ignored={ignored} />
      <ErrorNotice error={log.error} />
      {log.loading && !log.data ? <Loading label="Loading the audit log…" /> : null}
      {log.data && log.data.entries.length === 0 ? <EmptyState>{action || app || actor || sinceDay || untilDay || before ? 'No entries match these filters.' : 'Nothing recorded yet.'}</EmptyState> : null}
      {log.data && log.data.entries.length > 0 ? (
        <div class="table-wrap">
          <table class="audit-table">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                {scoped ? null : <th scope="col">App</th>}
                <th scope="col">Target</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {log.data.entries.map((entry) => (
                <tr key={entry.id}>
                  <td>
                    <time dateTime={entry.at}>{formatDate(entry.at)}</time>
                  </td>
                  <td title={entry.actor}>{actorLabel(entry.actor, keyNames)}</td>
                  <td class="mono">{entry.action}</td>
                  {scoped ? null : <td>{appLabel(entry.app_id)}</td>}
                  <td class="mono audit-target">{entry.target ?? '—'}</td>
                  <td class="audit-details">
                    {entry.details && Object.keys(entry.details).length > 0 ? (
                      <details>
                        <summary>{summariseDetails(entry.details)}</summary>
                        <pre>{JSON.stringify(entry.details, null, 2)}</pre>
                      </details>
                    ) : (
                      '—'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {log.data && (before || log.data.next_before) ? (
        <nav class="actions pager" aria-label="Audit log pages">
          <Button onClick={newer} disabled={!before}>
            Newer entries
          </Button>
          <Button onClick={older} disabled={!log.data.next_before}>
            Older entries
          </Button>
        </nav>
      ) : null}
    </>
  );
}
