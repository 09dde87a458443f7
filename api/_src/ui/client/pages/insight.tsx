/**
 * @module ui/client/pages/insight
 * `/ui/apps/:app/insight`: downloads and update checks per UTC day, and which versions the checking installs run,
 * over the last 7, 30 or 90 days (`?days=` in the URL). The analytics API lists only days with counts; the charts
 * fill the rest with zeros. Reading a report writes this instance's pending counts first, so on one server what was
 * just counted shows at once; with several instances, counts appear after their next flush (seconds).
 */
import type { Child } from 'hono/jsx';
import type * as z from 'zod';
import { adoptionReportSchema, checksReportSchema, downloadsReportSchema } from '../../../protocol/analytics.ts';
import { api, adminPath, query } from '../api.ts';
import { foldTail, totalsByDay, windowEnding } from '../chart-scale.ts';
import { DailyBarChart, ShareBarChart } from '../charts.tsx';
import { EmptyState, ErrorNotice, IgnoredParamsNotice, Loading, PageHeader, useLoad, valueOf } from '../components.tsx';
import { readParams } from '../page-params.ts';
import type { PageProps } from '../router.tsx';
import { setSearchParams, useSearch } from '../router.tsx';

const RANGES = [7, 30, 90] as const;
const DEFAULT_RANGE = 30;
const NO_DATA = 'No downloads recorded yet — counts appear within a minute of the first update check.';

const INSIGHT_PARAMS = {
  days: { accepts: (value: string) => (RANGES as readonly number[]).some((range) => String(range) === value), expected: RANGES.join(', ') },
};

function useReport<T>(app: string, report: string, schema: z.ZodType<T>, window: { from: string; to: string }) {
  return useLoad(() => api.get(`${adminPath('apps', app, 'analytics', report)}${query(window)}`, schema), [app, report, window.from, window.to]);
}

function Section({ title, id, children }: { title: string; id: string; children: Child }) {
  return (
    <section class="card insight-card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

export function InsightPage({ params }: PageProps) {
  const app = params.app!;
  const { values, ignored } = readParams(useSearch(), INSIGHT_PARAMS);
  const days = values.days ? Number(values.days) : DEFAULT_RANGE;
  const window = windowEnding(new Date(), days);
  const downloads = useReport(app, 'downloads', downloadsReportSchema, window);
  const checks = useReport(app, 'checks', checksReportSchema, window);
  const adoption = useReport(app, 'adoption', adoptionReportSchema, window);
  const span = `the last ${days} days (UTC, ${window.from} to ${window.to})`;

  return (
    <>
      <PageHeader title="Insight">
        <label class="inline-field">
          <span>Range</span>
          <select
            name="days"
            value={String(days)}
            onChange={(event: Event) => {
              const value = Number(valueOf(event));
              setSearchParams({ days: value === DEFAULT_RANGE ? null : String(value) });
            }}
          >
            {RANGES.map((range) => (
              <option key={range} value={String(range)}>
                Last {range} days
              </option>
            ))}
          </select>
        </label>
      </PageHeader>
      <IgnoredParamsNotice ignored={ignored} />
      <p class="muted small">
        Counted per UTC day without IP addresses or install ids. Downloads are requests to the server's <code>/download</code> links; with
        artifacts served straight from a public bucket, installs appear under update checks only.
      </p>

      <Section title="Downloads per day" id="downloads-title">
        <ErrorNotice error={downloads.error} />
        {downloads.loading && !downloads.data ? <Loading label="Loading downloads…" /> : null}
        {downloads.data ? (
          downloads.data.total === 0 ? (
            <EmptyState>{NO_DATA}</EmptyState>
          ) : (
            <>
              <DailyBarChart data={totalsByDay(downloads.data.days, window.from, window.to, (row) => row.downloads)} unit="downloads" caption={`Downloads per day over ${span}`} />
              <VersionTotals rows={downloads.data.versions.map((row) => ({ version: row.version, count: row.downloads }))} unit="downloads" />
            </>
          )
        ) : null}
      </Section>

      <Section title="Adoption by version" id="adoption-title">
        <ErrorNotice error={adoption.error} />
        {adoption.loading && !adoption.data ? <Loading label="Loading adoption…" /> : null}
        {adoption.data ? (
          adoption.data.total === 0 ? (
            <EmptyState>No update checks recorded yet — adoption appears within a minute of the first update check.</EmptyState>
          ) : (
            <>
              <p class="muted small">Share of checking installs on each version over {span}; each install counts once per day, a check without an install id counts as one.</p>
              <ShareBarChart
                caption={`Adoption by version over ${span}`}
                data={foldTail(adoption.data.versions, 7).map((row) => ({ label: row.label, share: row.share, detail: `${row.units} install-days` }))}
              />
            </>
          )
        ) : null}
      </Section>

      <Section title="Update checks per day" id="checks-title">
        <ErrorNotice error={checks.error} />
        {checks.loading && !checks.data ? <Loading label="Loading update checks…" /> : null}
        {checks.data ? (
          checks.data.total === 0 ? (
            <EmptyState>No update checks recorded yet.</EmptyState>
          ) : (
            <DailyBarChart data={totalsByDay(checks.data.days, window.from, window.to, (row) => row.checks)} unit="checks" caption={`Update checks per day over ${span}`} />
          )
        ) : null}
      </Section>
    </>
  );
}

function VersionTotals({ rows, unit }: { rows: { version: string; count: number }[]; unit: string }) {
  if (rows.length === 0) return null;
  return (
    <details class="version-totals">
      <summary>By version</summary>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col" class="num">
                {unit}
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.version}>
                <td class="mono">{row.version}</td>
                <td class="num">{row.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
