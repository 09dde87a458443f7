/**
 * @module releases/events
 * What happened to a release, told after the change is committed, to whoever subscribed: the static
 * failover manifest writer and the webhook dispatcher. A listener's failure is logged and never undoes
 * or fails the change that caused it. Also builds the event a mutation tells (`releaseEvent`), and
 * decides which event a PATCH amounts to (`patchEvent`).
 */
import type { AppRow, ReleaseRow } from '../../../db/schema.ts';
import { loggedError } from '../http/logged-error.ts';
import type { Principal } from '../auth/principal.ts';

export const RELEASE_EVENT_KINDS = ['release.published', 'release.archived', 'release.yanked', 'release.rollout_changed'] as const;
export type ReleaseEventKind = (typeof RELEASE_EVENT_KINDS)[number];

export interface ReleaseEvent {
  kind: ReleaseEventKind;
  appId: string;
  appSlug: string;
  releaseId: string;
  version: string;
  channel: string;
  rolloutPercent: number;
  at: Date;
  /** As in the audit log: `key:<id>`, `token:ADMIN_TOKEN`, `oidc:<repo>@<run>`. */
  actor: string;
  details?: Record<string, unknown>;
}

export type ReleaseEventListener = (event: ReleaseEvent) => Promise<void> | void;

export class ReleaseEvents {
  readonly #listeners: ReleaseEventListener[] = [];

  subscribe(listener: ReleaseEventListener): void {
    this.#listeners.push(listener);
  }

  /** Runs every listener; resolves when all have settled. Call it after the transaction commits. */
  async emit(event: ReleaseEvent): Promise<void> {
    await Promise.all(
      this.#listeners.map(async (listener) => {
        try {
          await listener(event);
        } catch (error) {
          console.error(`${event.kind} listener failed for ${event.appSlug} ${event.version}: ${loggedError(error)}`);
        }
      }),
    );
  }
}

export function releaseEvent(
  kind: ReleaseEventKind,
  app: Pick<AppRow, 'id' | 'slug'>,
  release: Pick<ReleaseRow, 'id' | 'version' | 'channel' | 'rollout_percent'>,
  principal: Principal,
  details?: Record<string, unknown>,
): ReleaseEvent {
  return {
    kind,
    appId: app.id,
    appSlug: app.slug,
    releaseId: release.id,
    version: release.version,
    channel: release.channel,
    rolloutPercent: release.rollout_percent,
    at: new Date(),
    actor: principal.actor,
    ...(details ? { details } : {}),
  };
}

/**
 * What clients see change when a release goes from `before` to `after`, as at most one event:
 * - published ↔ archived: `release.published` / `release.archived`;
 * - a live release whose rollout changed: `release.rollout_changed` (details: the previous percentage);
 * - a live release moved to another channel: `release.published` in its new channel (details: the
 *   previous channel, whose static manifest must drop it);
 * - anything else (drafts, notes): none.
 */
export function patchEvent(
  app: Pick<AppRow, 'id' | 'slug'>,
  before: ReleaseRow,
  after: ReleaseRow,
  principal: Principal,
): ReleaseEvent | null {
  const moved = before.channel !== after.channel ? { previous_channel: before.channel } : {};
  if (before.status !== after.status) {
    if (after.status === 'published') return releaseEvent('release.published', app, after, principal, { from: before.status, ...moved });
    if (before.status === 'published') return releaseEvent('release.archived', app, after, principal, { from: before.status, ...moved });
    return null;
  }
  if (after.status !== 'published') return null;
  if (before.channel !== after.channel) return releaseEvent('release.published', app, after, principal, moved);
  if (before.rollout_percent !== after.rollout_percent) {
    return releaseEvent('release.rollout_changed', app, after, principal, { previous_rollout_percent: before.rollout_percent });
  }
  return null;
}
