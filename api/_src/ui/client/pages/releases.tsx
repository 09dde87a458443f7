/**
 * @module ui/client/pages/releases
 * One app's releases: what is live on each channel, then the table (status, channel, rollout, date, platform
 * coverage) filtered by status, channel and a search, with the filters and the page kept in the URL so a view can be
 * shared or reloaded. Filtering, search and paging are the API's (`listReleasesQuerySchema`); "live" needs every
 * published release, which is a second, unfiltered request.
 */
import { useEffect, useRef, useState } from 'hono/jsx/dom';
import { type ChannelBody, channelListSchema, releaseListSchema, type ReleaseSummaryBody } from '../../../protocol/schemas.ts';
import { adminPath, api, query } from '../api.ts';
import { EmptyState, ErrorNotice, formatDate, IgnoredParamsNotice, Loading, PageHeader, StatusBadge, useLoad, valueOf } from '../components.tsx';
import type { PageProps } from '../router.tsx';
import { appPlatforms, liveByChannel, platformCoverage } from '../release-facts.ts';
import { emptyListReason, lastReleasePage, readReleaseView, RELEASE_PAGE_SIZE } from '../release-filters.ts';
import { Link, setSearchParams, uiPath, useSearch } from '../router.tsx';

/** The API's largest page (RELEASE_PAGE_MAX). */
const MAX_PAGE = 100;

/** Every published release of the app (the API pages at 100). */
export async function loadPublished(app: string): Promise<ReleaseSummaryBody[]> {
  const all: ReleaseSummaryBody[] = [];
  for (let offset = 0; ; offset += MAX_PAGE) {
    const page = await api.get(`${adminPath('apps', app, 'releases')}${query({ status: 'published', limit: MAX_PAGE, offset })}`, releaseListSchema);
    all.push(...page.releases);
    if (page.releases.length < MAX_PAGE || all.length >= page.total) return all;
  }
}

export async function loadChannels(app: string): Promise<ChannelBody[]> {
  return (await api.get(adminPath('apps', app, 'channels'), channelListSchema)).channels;
}

export const releasePath = (app: string, version: string) => uiPath('apps', app, 'releases', version);

const STATUSES = [
  { value: '', label: 'All statuses' },
  { value: 'draft', label: 'Draft' },
  { value: 'published', label: 'Published' },
  { value: 'archived', label: 'Archived' },
];

/** Types into the search box reach the URL (and the API) after a short pause, not on every key. */
function SearchBox({ value }: { value: string }) {
  const [text, setText] = useState(value);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => setText(value), [value]);
  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);
  const apply = (next: string) => setSearchParams({ q: next.trim() || null, page: null });
  return (
    <form
      class="release-search"
      role="search"
      onSubmit={(event: Event) => {
        event.preventDefault();
        if (timer.current) clearTimeout(timer.current);
        apply(text);
      }}
    >
      <label class="field">
        <span class="field-label">Search</span>
        <input
          type="search"
          name="q"
          placeholder="Version or notes"
          value={text}
          onInput={(event: Event) => {
            const next = valueOf(event);
            setText(next);
            if (timer.current) clearTimeout(timer.current);
            timer.current = setTimeout(() => apply(next), 350);
          }}
        />
      </label>
    </form>
  );
}

function LiveSummary({ app, published }: { app: string; published: ReleaseSummaryBody[] }) {
  const live = [...liveByChannel(published).values()].sort((a, b) => a.channel.localeCompare(b.channel));
  return (
    <section class="card live-summary" aria-label="Live releases">
      <h2>Live now</h2>
      {live.length === 0 ? (
        <p class="muted">Nothing is live: no release of this app is published. Publish one to offer it to installs.</p>
      ) : (
        <ul class="live-list">
          {live.map((release) => (
            <li key={release.id}>
              <span class="muted">{release.channel}</span>{' '}
              <Link href={releasePath(app, release.version)}>
                <strong>{release.version}</strong>
              </Link>{' '}
              <span class="small muted">{release.rollout_percent === 100 ? 'all installs' : `${release.rollout_percent}% rollout`}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function ReleasesPage({ params }: PageProps) {
  const app = params.app!;
  const search = useSearch();
  const { filters, ignored } = readReleaseView(search);
  const list = useLoad(
    () =>
      api.get(
        `${adminPath('apps', app, 'releases')}${query({
          status: filters.status || undefined,
          channel: filters.channel || undefined,
          q: filters.q || undefined,
          limit: RELEASE_PAGE_SIZE,
          offset: (filters.page - 1) * RELEASE_PAGE_SIZE,
        })}`,
        releaseListSchema,
      ),
    [app, search],
  );
  const published = useLoad(() => loadPublished(app), [app]);
  const channels = useLoad(() => loadChannels(app), [app]);

  const live = new Set([...liveByChannel(published.data ?? []).values()].map((release) => release.id));
  const expected = appPlatforms(published.data ?? []);
  const channelNames = [...new Set([...(channels.data ?? []).map((channel) => channel.name), ...(filters.channel ? [filters.channel] : [])])].sort();
  const total = list.data?.total ?? 0;
  const first = (filters.page - 1) * RELEASE_PAGE_SIZE;
  const emptyReason = emptyListReason(filters, total);

  return (
    <>
      <PageHeader title={`Releases of ${app}`}>
        <Link href={uiPath('apps', app, 'releases', 'new')} class="button button-primary">
          New release
        </Link>
      </PageHeader>
      <ErrorNotice error={published.error} />
      {published.data ? <LiveSummary app={app} published={published.data} /> : null}

      <div class="toolbar release-filters">
        <label class="field">
          <span class="field-label">Status</span>
          <select
            name="status"
            value={filters.status}
            onChange={(event: Event) => setSearchParams({ status: valueOf(event), page: null })}
          >
            {STATUSES.map((status) => (
              <option key={status.value} value={status.value} selected={status.value === filters.status}>
                {status.label}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span class="field-label">Channel</span>
          <select
            name="channel"
            value={filters.channel}
            onChange={(event: Event) => setSearchParams({ channel: valueOf(event), page: null })}
          >
            <option value="" selected={!filters.channel}>
              All channels
            </option>
            {channelNames.map((name) => (
              <option key={name} value={name} selected={name === filters.channel}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <SearchBox value={filters.q} />
      </div>

      <IgnoredParamsNotice ignored={ignored} />
      <ErrorNotice error={list.error || channels.error} />
      {list.loading && !list.data ? <Loading /> : null}
      {list.data && list.data.releases.length === 0 ? (
        <EmptyState>
          {emptyReason === 'past-end' ? (
            <p>
              Page {filters.page} is past the end: there {total === 1 ? 'is 1 release' : `are ${total} releases`} on {lastReleasePage(total) === 1 ? '1 page' : `${lastReleasePage(total)} pages`}.{' '}
              <button type="button" class="button" onClick={() => setSearchParams({ page: lastReleasePage(total) > 1 ? String(lastReleasePage(total)) : null })}>
                Go to the last page
              </button>
            </p>
          ) : emptyReason === 'no-match' ? (
            <p>No release matches these filters.</p>
          ) : (
            <p>
              No releases yet. <Link href={uiPath('apps', app, 'releases', 'new')}>Create the first one</Link>, or let CI create it.
            </p>
          )}
        </EmptyState>
      ) : null}
      {list.data && list.data.releases.length > 0 ? (
        <>
          <div class="table-wrap">
            <table class="releases-table">
              <caption class="visually-hidden">Releases of {app}, newest version first</caption>
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Status</th>
                  <th scope="col">Channel</th>
                  <th scope="col" class="num">
                    Rollout
                  </th>
                  <th scope="col">Date</th>
                  <th scope="col">Platforms</th>
                </tr>
              </thead>
              <tbody>
                {list.data.releases.map((release) => {
                  const coverage = platformCoverage(release.artifacts, expected);
                  const isLive = live.has(release.id);
                  return (
                    <tr key={release.id} class={isLive ? 'release-live' : undefined}>
                      <th scope="row">
                        <Link href={releasePath(app, release.version)} class="mono">
                          {release.version}
                        </Link>
                      </th>
                      <td data-label="Status">
                        <StatusBadge status={release.status} yanked={release.yanked_at !== null} />
                        {isLive ? <span class="badge badge-ok live-badge">Live</span> : null}
                        {release.critical ? <span class="badge badge-warn">Critical</span> : null}
                      </td>
                      <td data-label="Channel">{release.channel}</td>
                      <td data-label="Rollout" class="num">
                        {release.rollout_percent}%
                      </td>
                      <td data-label="Date">
                        <span class="small muted">{release.pub_date ? 'published ' : 'created '}</span>
                        {formatDate(release.pub_date ?? release.created_at)}
                      </td>
                      <td data-label="Platforms">
                        {/* Measured against the platforms the app ships, known once every published release is in. */}
                        {published.data ? <span title={coverage.missing.length ? `missing: ${coverage.missing.join(', ')}` : 'every platform covered'}>{coverage.label}</span> : null}
                        {coverage.covered.length ? <div class="small mono platform-keys">{coverage.covered.join(' ')}</div> : null}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <nav class="pager" aria-label="Pages">
            <span class="small muted">
              {first + 1}–{first + list.data.releases.length} of {total}
            </span>
            <button type="button" class="button" disabled={filters.page <= 1} onClick={() => setSearchParams({ page: filters.page > 2 ? String(filters.page - 1) : null })}>
              Previous
            </button>
            <button type="button" class="button" disabled={first + list.data.releases.length >= total} onClick={() => setSearchParams({ page: String(filters.page + 1) })}>
              Next
            </button>
          </nav>
        </>
      ) : null}
    </>
  );
}
