/**
 * @module manifest/writer
 * Keeps the static failover manifests in storage next to the artifacts, so a CDN (or any static file
 * server) can answer when the API cannot. Subscribed to the release events: on every publish, archive,
 * yank or rollout change it rewrites the files of every channel of the app from a fresh snapshot, and
 * deletes the file of a channel that has nothing left to serve.
 *
 *   {app}/latest.json                        channel stable
 *   {app}/channels/{channel}/latest.json     any other channel (protocol/storage-keys.ts)
 *
 * A licensed app publishes no static manifest (it would bypass the license): its files are deleted instead.
 *
 * Writes for one app run one after another, each from the snapshot read when it starts, so the last
 * write always holds the state after the last change this instance made. A failure is thrown to
 * `ReleaseEvents.emit`, which logs it; the previous file stays, which is what a failover file is for, and the
 * app's files are written again later (`retryDelaysMs`), since a yank made while storage was down must not
 * stay in the failover file until the app's next release event.
 */
import { loggedError } from '../http/logged-error.ts';
import type { ReleaseEvent } from '../releases/events.ts';
import { staticManifestKey } from '../protocol/storage-keys.ts';
import type { Storage } from '../storage/storage.ts';
import type { ReleaseCache } from '../update/cache.ts';
import { channelsOf, staticManifest } from './static-manifest.ts';

export interface ManifestWrite {
  key: string;
  /** The version written, or null when the file was deleted. */
  version: string | null;
}

/** Delays before each new try of an app whose files could not be written; the last one repeats. */
export const MANIFEST_RETRY_DELAYS_MS: readonly number[] = [15_000, 60_000, 300_000, 900_000];

interface PendingRetry {
  timer: ReturnType<typeof setTimeout>;
  attempt: number;
  channels: readonly string[];
}

export class StaticManifestWriter {
  readonly #cache: ReleaseCache;
  readonly #storage: Storage;
  /** The tail of each app's queue of writes. */
  readonly #queues = new Map<string, Promise<unknown>>();
  /** Apps whose last write failed, by id: when they are tried again, and the channels a release left meanwhile. */
  readonly #retries = new Map<string, PendingRetry>();
  /** Tests shorten it. */
  retryDelaysMs: readonly number[] = MANIFEST_RETRY_DELAYS_MS;

  constructor(cache: ReleaseCache, storage: Storage) {
    this.#cache = cache;
    this.#storage = storage;
  }

  /** The listener: `events.subscribe(writer.onEvent)`. */
  readonly onEvent = async (event: ReleaseEvent): Promise<void> => {
    const previous = typeof event.details?.previous_channel === 'string' ? [event.details.previous_channel] : [];
    await this.sync(event.appId, event.appSlug, [event.channel, ...previous]);
  };

  /**
   * Rewrites every channel's file for the app, plus `alsoChannels` (a channel a release just left, whose
   * file may have to go). Queued behind any write already running for the app.
   */
  sync(appId: string, appSlug: string, alsoChannels: readonly string[] = []): Promise<ManifestWrite[]> {
    const run = (this.#queues.get(appId) ?? Promise.resolve()).catch(() => undefined).then(() => this.#write(appSlug, alsoChannels));
    this.#queues.set(appId, run);
    void run.finally(() => {
      if (this.#queues.get(appId) === run) this.#queues.delete(appId);
    }).catch(() => undefined);
    run.then(
      () => this.#written(appId),
      () => this.#retryLater(appId, appSlug, alsoChannels),
    );
    return run;
  }

  #written(appId: string): void {
    clearTimeout(this.#retries.get(appId)?.timer);
    this.#retries.delete(appId);
  }

  #retryLater(appId: string, appSlug: string, alsoChannels: readonly string[]): void {
    const previous = this.#retries.get(appId);
    clearTimeout(previous?.timer);
    const attempt = previous ? previous.attempt + 1 : 0;
    const channels = [...new Set([...(previous?.channels ?? []), ...alsoChannels])];
    const delay = this.retryDelaysMs[Math.min(attempt, this.retryDelaysMs.length - 1)]!;
    const timer = setTimeout(() => {
      this.sync(appId, appSlug, channels).catch((error: unknown) => {
        console.error(`static manifests of ${appSlug} still not written (trying again later): ${loggedError(error)}`);
      });
    }, delay);
    // A pending retry never keeps the process up: a restart rewrites nothing by itself, but the next change does.
    timer.unref?.();
    this.#retries.set(appId, { timer, attempt, channels });
  }

  async #write(appSlug: string, alsoChannels: readonly string[]): Promise<ManifestWrite[]> {
    const snapshot = await this.#cache.get(appSlug);
    if (snapshot === null) return [];
    const channels = [...new Set([...channelsOf(snapshot), ...alsoChannels])];
    const writes: ManifestWrite[] = [];
    for (const channel of channels) {
      const key = staticManifestKey(appSlug, channel);
      const result = snapshot.app.licensing === 'licensed' ? null : staticManifest(snapshot, channel);
      if (result?.kind === 'manifest') {
        await this.#storage.put(key, result.body, { contentType: 'application/json', cacheControl: snapshot.cacheControl.shared });
        writes.push({ key, version: result.manifest.version });
      } else {
        // Nothing servable (the last release archived or moved): a stale file would offer it during an outage.
        await this.#storage.delete(key);
        writes.push({ key, version: null });
      }
    }
    return writes;
  }
}
