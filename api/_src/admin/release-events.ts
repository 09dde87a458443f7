/**
 * @module admin/release-events
 * Builds the `ReleaseEvent` a mutation tells `deps.events` after its transaction commits and the release
 * cache is invalidated, and decides which event a PATCH amounts to. Shared by the admin and CI routes.
 */
import type { AppRow, ReleaseRow } from '../../../db/schema.ts';
import type { ReleaseEvent, ReleaseEventKind } from '../events.ts';
import type { Principal } from '../auth/authenticate.ts';

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
