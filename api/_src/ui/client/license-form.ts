/**
 * @module ui/client/license-form
 * The licensing pages' plain logic, kept out of the components so it can be tested without a browser: reading the
 * policy and license forms' text fields (numbers, entitlement lists) and the sentences that say what a mode, a
 * strategy and a license's dates mean. The API validates every body again with protocol/licensing.ts; these only
 * let the form point at the field before a round trip.
 */

/** Entitlements typed as a list: commas, spaces or new lines between them; duplicates and blanks dropped. */
export function parseEntitlements(text: string): string[] {
  const seen = new Set<string>();
  for (const part of text.split(/[\s,]+/)) {
    if (part) seen.add(part);
  }
  return [...seen];
}

export const entitlementsText = (list: readonly string[]): string => list.join(', ');

export type NumberField = { ok: true; value: number | null } | { ok: false; problem: string };

/**
 * A whole number typed in a form field. Empty is null when `optional` (e.g. "no limit"), else a problem.
 * @example readWholeNumber('365', { label: 'Duration', min: 1 }) // { ok: true, value: 365 }
 */
export function readWholeNumber(text: string, rule: { label: string; min: number; max?: number; optional?: boolean }): NumberField {
  const trimmed = text.trim();
  if (trimmed === '') return rule.optional ? { ok: true, value: null } : { ok: false, problem: `${rule.label} is required.` };
  if (!/^\d+$/.test(trimmed)) return { ok: false, problem: `${rule.label} must be a whole number.` };
  const value = Number(trimmed);
  if (value < rule.min) return { ok: false, problem: `${rule.label} must be at least ${rule.min}.` };
  if (rule.max !== undefined && value > rule.max) return { ok: false, problem: `${rule.label} must be at most ${rule.max}.` };
  return { ok: true, value };
}

export const numberText = (value: number | null): string => (value === null ? '' : String(value));

export type Strategy = 'fallback' | 'revoke' | 'allow';

/** What each expiry strategy means for an installed copy, in the words the policy form shows. */
export function strategyMeaning(strategy: Strategy, graceDays: number): string {
  switch (strategy) {
    case 'fallback':
      return 'After expiry the license keeps every release first published up to its expiry date, never a newer one (a perpetual fallback license).';
    case 'revoke':
      return graceDays > 0
        ? `After expiry plus ${plural(graceDays, 'grace day')}, update checks and downloads are refused (403 license_expired).`
        : 'From the expiry on, update checks and downloads are refused (403 license_expired).';
    case 'allow':
      return 'The expiry is informational: the license keeps getting every release.';
  }
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** "365 days", "perpetual". */
export const durationText = (days: number | null): string => (days === null ? 'perpetual' : plural(days, 'day'));

export const machinesText = (used: number, allowed: number | null): string => (allowed === null ? `${used} (no limit)` : `${used} of ${allowed}`);

/** A date as the license pages write it: the day, in UTC (a license's dates are UTC instants). */
export function dayText(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toISOString().slice(0, 10);
}

/** `<input type="date">` value (YYYY-MM-DD, UTC) to the end of that UTC day as an ISO instant; '' → null. */
export function endOfDayIso(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
  const date = new Date(`${value}T23:59:59.000Z`);
  // "2027-02-31" parses as 3 March: a day that does not exist is refused, not moved.
  return Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value ? null : date.toISOString();
}

/** What switching an app's licensing mode does, for the confirmation. */
export function modeSwitchMeaning(to: 'open' | 'licensed'): string[] {
  return to === 'licensed'
    ? [
        'Every update check and download must carry a valid license key (Authorization: License <key>); without one the server answers 401.',
        'The public latest.json and its failover copies are removed, so nothing can bypass the license check.',
        'Installed copies built without a license header stop receiving updates until they send one.',
      ]
    : [
        'Anyone who knows the app’s address gets every update again: licenses are no longer checked.',
        'Licenses and policies are kept, and apply again if you switch back.',
      ];
}
