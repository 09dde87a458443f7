/**
 * @module webhooks/payload
 * The request body for one event in each format. `json` is the full event for programs; `slack` and
 * `discord` are one line of text in the shape their incoming webhooks accept (`{"text"}`, `{"content"}`),
 * so a chat channel can be pointed at us without a relay.
 */
import type { WebhookFormat } from '../../../db/schema.ts';
import type { ReleaseEvent } from '../releases/events.ts';

/** What the dispatcher also sends for `POST …/webhooks/{id}/test`. */
export const TEST_EVENT_KIND = 'webhook.test';

/**
 * A payment created a license (api/_src/billing/). It carries the buyer's email and a one-time claim URL that
 * reveals the key, never the key: it goes only to webhooks that list it in `events` (not to "every kind"), and
 * Slack and Discord get one line without either.
 */
export const LICENSE_CREATED_EVENT = 'license.created';

/** What `license.created` says about the license. */
export interface LicenseCreatedDetails {
  id: string;
  policy_id: string;
  expires_at: string | null;
  /** `stripe`, `lemonsqueezy` or `paddle`, and the provider's id of the purchase. */
  source: string;
  external_id: string;
  customer: { email: string | null; provider_id: string | null };
  /** Opens once, for 7 days: hand it to the buyer (email), never log it. */
  claim_url: string;
  claim_expires_at: string;
}

export interface EventEnvelope {
  /** One id per event, the same for every webhook told about it: receivers de-duplicate on it. */
  id: string;
  type: string;
  created_at: string;
  app: { id: string; slug: string; name: string };
  release: { id: string; version: string; channel: string; rollout_percent: number } | null;
  /** `license.created` only. */
  license?: LicenseCreatedDetails;
  actor: string;
  details: Record<string, unknown>;
}

export function envelopeOf(eventId: string, event: ReleaseEvent, appName: string): EventEnvelope {
  return {
    id: eventId,
    type: event.kind,
    created_at: event.at.toISOString(),
    app: { id: event.appId, slug: event.appSlug, name: appName },
    release: { id: event.releaseId, version: event.version, channel: event.channel, rollout_percent: event.rolloutPercent },
    actor: event.actor,
    details: event.details ?? {},
  };
}

export function testEnvelope(eventId: string, app: { id: string; slug: string; name: string }, actor: string, at: Date): EventEnvelope {
  return { id: eventId, type: TEST_EVENT_KIND, created_at: at.toISOString(), app, release: null, actor, details: {} };
}

export function licenseCreatedEnvelope(eventId: string, app: { id: string; slug: string; name: string }, license: LicenseCreatedDetails, actor: string, at: Date): EventEnvelope {
  return { id: eventId, type: LICENSE_CREATED_EVENT, created_at: at.toISOString(), app, release: null, license, actor, details: {} };
}

/** One line for people: "My App 1.2.3 published (stable, 100%)". */
export function summaryLine(envelope: EventEnvelope): string {
  const { app, release, details, license } = envelope;
  // Neither the email nor the claim URL: a chat channel is not the buyer.
  if (license) return `${app.name}: license created from a ${license.source} purchase`;
  if (!release) return `${app.name}: test event from tauri-release`;
  const head = `${app.name} ${release.version}`;
  switch (envelope.type) {
    case 'release.published':
      return `${head} published (${release.channel}, ${release.rollout_percent}%)`;
    case 'release.archived':
      return `${head} archived (${release.channel}); clients get the previous release`;
    case 'release.yanked': {
      const replacement = typeof details.replacement_version === 'string' ? `, replaced by ${details.replacement_version}` : '';
      return `${head} yanked (${release.channel}${replacement})`;
    }
    case 'release.rollout_changed': {
      const before = typeof details.previous_rollout_percent === 'number' ? `${details.previous_rollout_percent}% → ` : 'now ';
      return `${head} rollout ${before}${release.rollout_percent}% (${release.channel})`;
    }
    default:
      return `${head}: ${envelope.type} (${release.channel})`;
  }
}

/** Slack reads `&`, `<` and `>` as markup (`<!channel>` pings everyone); escaped as Slack documents. */
const slackEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderBody(format: WebhookFormat, envelope: EventEnvelope): string {
  switch (format) {
    case 'json':
      return JSON.stringify(envelope);
    case 'slack':
      return JSON.stringify({ text: slackEscape(summaryLine(envelope)) });
    case 'discord':
      // No pings, whatever an app's name says ("@everyone"); Discord caps content at 2000 characters.
      return JSON.stringify({ content: summaryLine(envelope).slice(0, 2000), allowed_mentions: { parse: [] } });
  }
}
