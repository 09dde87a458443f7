/**
 * @module events
 * What happened to a release, told after the change is committed, to whoever subscribed: the static
 * failover manifest writer and the webhook dispatcher. A listener's failure is logged and never undoes
 * or fails the change that caused it.
 */
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
          console.error(`${event.kind} listener failed for ${event.appSlug} ${event.version}:`, error);
        }
      }),
    );
  }
}
