/**
 * @module ui/client/audit-summary
 * How the audit log page words an entry: a one-line summary of its details (the full JSON stays one click away),
 * and the actor as a person reads it ("key ci-main (admin)" rather than "key:5c0e…").
 */

const MAX_VALUE = 60;

function valueText(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value.length > MAX_VALUE ? `${value.slice(0, MAX_VALUE - 1)}…` : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? '[]' : value.length <= 3 ? value.map(valueText).join(', ') : `${value.length} items`;
  const record = value as Record<string, unknown>;
  // A change as the API records it ({ from, to }).
  if ('from' in record && 'to' in record && Object.keys(record).length === 2) return `${valueText(record.from)} → ${valueText(record.to)}`;
  const keys = Object.keys(record);
  return keys.length === 0 ? '{}' : `{${keys.slice(0, 3).join(', ')}${keys.length > 3 ? ', …' : ''}}`;
}

/**
 * "name: ci-main, scope: ci" from an entry's details, at most `max` characters. A `changed` map (publisher and app
 * updates) is flattened into its fields: "can_publish: false → true".
 */
export function summariseDetails(details: Record<string, unknown> | null, max = 120): string {
  if (!details) return '';
  const fields =
    details.changed && typeof details.changed === 'object' && !Array.isArray(details.changed) && Object.keys(details).length === 1
      ? (details.changed as Record<string, unknown>)
      : details;
  const text = Object.entries(fields)
    .map(([name, value]) => `${name}: ${valueText(value)}`)
    .join(', ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The audit log's actor ("key:<id>", "token:ADMIN_TOKEN", "system", "github:<repo>…") in words, naming known keys. */
export function actorLabel(actor: string, keys: ReadonlyMap<string, { name: string; scope: string }>): string {
  if (actor === 'token:ADMIN_TOKEN') return 'ADMIN_TOKEN';
  const match = /^key:(.+)$/.exec(actor);
  if (match) {
    const key = keys.get(match[1]!.toLowerCase());
    return key ? `key ${key.name} (${key.scope})` : `key ${match[1]!.slice(0, 8)}…`;
  }
  return actor;
}

/** Whether `day` is a `YYYY-MM-DD` day, as a date input gives it. */
export const isDay = (day: string): boolean => /^\d{4}-\d{2}-\d{2}$/.test(day) && !Number.isNaN(Date.parse(`${day}T00:00:00Z`));

/** A `YYYY-MM-DD` day (UTC) as the API's bounds: from its start, or up to the start of the next day. */
export function dayBounds(since: string, until: string): { since?: string; until?: string } {
  const bounds: { since?: string; until?: string } = {};
  if (isDay(since)) bounds.since = `${since}T00:00:00Z`;
  if (isDay(until)) bounds.until = new Date(Date.parse(`${until}T00:00:00Z`) + 86_400_000).toISOString();
  return bounds;
}
