/**
 * @module protocol/analytics
 * Query strings and response bodies of `/admin/apps/{app}/analytics/…`, validated (analytics/routes.ts) and
 * documented from the same zod schemas, and read by the dashboard's insight page and the CLI's insight command.
 */
import * as z from 'zod';
import { QUERIED_CHANNEL_PATTERN, QUERIED_CHANNEL_RULE } from './channels.ts';

/** The longest window one request may ask for. */
export const MAX_WINDOW_DAYS = 366;
export const DEFAULT_WINDOW_DAYS = 30;
export const DEFAULT_ADOPTION_DAYS = 7;

const daySchema = z.iso.date().meta({ description: 'UTC day, YYYY-MM-DD' });
const window = {
  from: daySchema.optional().meta({ description: 'first UTC day, inclusive (default: the window ending at `to`)' }),
  to: daySchema.optional().meta({ description: 'last UTC day, inclusive (default: today)' }),
};
const versionFilter = z.string().min(1).max(128).meta({ description: 'only this version (SemVer; a leading v is dropped)' });
const platformFilter = z
  .string()
  .regex(/^[a-z]+-[a-z0-9_]+$/, 'must be {os}-{arch}, e.g. windows-x86_64')
  .max(40)
  .meta({ description: '`{os}-{arch}`, e.g. windows-x86_64' });
const channelFilter = z
  .string()
  .regex(QUERIED_CHANNEL_PATTERN, QUERIED_CHANNEL_RULE)
  .meta({ description: 'only checks on this channel' });

export const downloadsQuerySchema = z.strictObject({ ...window, version: versionFilter.optional() });
export const checksQuerySchema = z.strictObject({ ...window, version: versionFilter.optional(), platform: platformFilter.optional(), channel: channelFilter.optional() });
export const adoptionQuerySchema = z.strictObject({ ...window, platform: platformFilter.optional(), channel: channelFilter.optional() });

const count = z.number().int().min(0);
const windowOut = { app: z.string().meta({ description: 'app slug' }), from: daySchema, to: daySchema };

export const downloadsReportSchema = z.object({
  ...windowOut,
  total: count,
  versions: z.array(z.object({ version: z.string(), downloads: count })).meta({ description: 'per version over the window, newest version first' }),
  days: z.array(z.object({ day: daySchema, version: z.string(), downloads: count })).meta({ description: 'per UTC day and version, oldest day first' }),
});

export const checksReportSchema = z.object({
  ...windowOut,
  total: count.meta({ description: 'update checks in the window' }),
  days: z.array(
    z.object({
      day: daySchema,
      version: z.string().meta({ description: 'the version the checking client runs' }),
      platform: z.string(),
      channel: z.string(),
      checks: count,
      installs: count.meta({ description: 'distinct install ids seen that day (per instance: see the description)' }),
      anonymous_checks: count.meta({ description: 'checks that sent no install id' }),
    }),
  ),
  countries: z
    .array(z.object({ country: z.string().nullable().meta({ description: 'ISO 3166-1 alpha-2; null: no platform header named one' }), checks: count }))
    .meta({ description: 'checks per country over the window, most first' }),
});

export const adoptionReportSchema = z.object({
  ...windowOut,
  channel: z.string().nullable(),
  platform: z.string().nullable(),
  basis: z.literal('installs + anonymous_checks').meta({
    description: 'each install id counts once per UTC day; a check without one counts as one, since such checks cannot be told apart',
  }),
  total: count,
  versions: z
    .array(
      z.object({
        version: z.string(),
        installs: count,
        anonymous_checks: count,
        units: count.meta({ description: 'installs + anonymous_checks' }),
        share: z.number().min(0).max(1).meta({ description: 'units / total; the shares add up to 1' }),
      }),
    )
    .meta({ description: 'newest version first' }),
});

export type DownloadsReport = z.output<typeof downloadsReportSchema>;
export type ChecksReport = z.output<typeof checksReportSchema>;
export type AdoptionReport = z.output<typeof adoptionReportSchema>;
