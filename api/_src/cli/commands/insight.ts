/**
 * @module cli/commands/insight
 * `audit` (`/admin/audit`) and `stats` (`/admin/apps/{app}/analytics/downloads` and `…/adoption`): read-only.
 */
import { adoptionReportSchema, adoptionQuerySchema, downloadsQuerySchema, downloadsReportSchema } from '../../protocol/analytics.ts';
import { auditListSchema, auditQuerySchema } from '../../protocol/schemas.ts';
import { checkBody, type Command, must, text, type Values } from '../args.ts';
import { path } from '../http.ts';
import { formatTime, table } from '../output.ts';
import { integer } from './policies.ts';

/** The options given, under the query names the server reads. */
function queryOf(values: Values, names: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(names).flatMap(([option, param]) => (text(values, option) !== undefined ? [[param, text(values, option)!]] : [])));
}

export const audit: Command = {
  words: ['audit'],
  summary: 'Show the audit log, newest first.',
  options: {
    app: { type: 'string', value: 'app', help: 'only entries of this app' },
    action: { type: 'string', help: 'only this action, e.g. release.publish' },
    actor: { type: 'string', help: 'only this actor, e.g. key:<id>' },
    since: { type: 'string', value: 'time', help: 'RFC 3339, e.g. 2026-12-01T00:00:00Z' },
    until: { type: 'string', value: 'time', help: 'RFC 3339' },
    limit: { type: 'string', value: 'n', help: 'entries (default 50, at most 200)' },
    before: { type: 'string', value: 'id', help: 'older than this entry (next_before of the previous page)' },
  },
  async run(ctx, values) {
    integer(values, 'limit'); // "--limit must be a whole number, not "abc"" rather than the schema's "received NaN"
    const query = queryOf(values, { app: 'app', action: 'action', actor: 'actor', since: 'since', until: 'until', limit: 'limit', before: 'before' });
    checkBody(auditQuerySchema, query);
    const body = await (await ctx.client()).get('/admin/audit', auditListSchema, query);
    ctx.out.result(body, ({ entries, next_before }) =>
      `${table(
        ['ID', 'AT', 'ACTOR', 'ACTION', 'TARGET', 'DETAILS'],
        entries.map((e) => [e.id, formatTime(e.at), e.actor, e.action, e.target, e.details ? JSON.stringify(e.details).slice(0, 80) : null]),
      )}${next_before !== null ? `\n(more: --before ${next_before})` : ''}`,
    );
  },
};

export const stats: Command = {
  words: ['stats'],
  summary: 'Downloads per version and adoption (share of installs on each version).',
  options: {
    app: { type: 'string', value: 'app', help: 'slug (or id) of the app', required: true },
    from: { type: 'string', value: 'YYYY-MM-DD', help: 'first UTC day (default: 30 days of downloads, 7 of adoption)' },
    to: { type: 'string', value: 'YYYY-MM-DD', help: 'last UTC day (default today)' },
    platform: { type: 'string', value: 'os-arch', help: 'adoption on this platform only' },
    channel: { type: 'string', help: 'adoption on this channel only' },
  },
  async run(ctx, values) {
    const client = await ctx.client();
    const base = path('/admin/apps', must(values, 'app'), 'analytics');
    const window = queryOf(values, { from: 'from', to: 'to' });
    const adoptionQuery = { ...window, ...queryOf(values, { platform: 'platform', channel: 'channel' }) };
    checkBody(downloadsQuerySchema, window);
    checkBody(adoptionQuerySchema, adoptionQuery);
    const [downloads, adoption] = await Promise.all([
      client.get(`${base}/downloads`, downloadsReportSchema, window),
      client.get(`${base}/adoption`, adoptionReportSchema, adoptionQuery),
    ]);
    ctx.out.result({ downloads, adoption }, (r) =>
      [
        `downloads ${r.downloads.from} – ${r.downloads.to}: ${r.downloads.total}`,
        table(['VERSION', 'DOWNLOADS'], r.downloads.versions.map((v) => [v.version, v.downloads]), '(no downloads)'),
        '',
        `adoption ${r.adoption.from} – ${r.adoption.to}: ${r.adoption.total} installs${r.adoption.platform ? ` on ${r.adoption.platform}` : ''}${r.adoption.channel ? ` (${r.adoption.channel})` : ''}`,
        table(['VERSION', 'INSTALLS', 'SHARE'], r.adoption.versions.map((v) => [v.version, v.units, `${(v.share * 100).toFixed(1)}%`]), '(no update checks)'),
      ].join('\n'),
    );
  },
};
