/**
 * @module ui/client/release-filters
 * The releases table's view as the URL states it (`?status=&channel=&q=&page=`), read the way the API can answer,
 * and what an empty page of it means. A shared or stale address (a page past the end after releases were deleted, a
 * hand-typed `page=99999999999`, an unknown status) shows the releases or says how to reach them, never a false
 * "No releases yet" or the API's range error.
 */
import { RELEASE_OFFSET_MAX, releaseStatusSchema } from '../../protocol/schemas.ts';

export const RELEASE_PAGE_SIZE = 20;
const MAX_PAGE = Math.floor(RELEASE_OFFSET_MAX / RELEASE_PAGE_SIZE) + 1;

export interface ReleaseFilters {
  status: string;
  channel: string;
  q: string;
  page: number;
}

export function readReleaseFilters(search: string): ReleaseFilters {
  const params = new URLSearchParams(search);
  const status = params.get('status') ?? '';
  const page = /^\d+$/.test(params.get('page') ?? '') ? Number(params.get('page')) : 1;
  return {
    status: releaseStatusSchema.safeParse(status).success ? status : '',
    channel: params.get('channel') ?? '',
    q: params.get('q') ?? '',
    page: Math.min(Math.max(page, 1), MAX_PAGE),
  };
}

/** The last page that has releases on it (1 when there are none). */
export function lastReleasePage(total: number): number {
  return Math.max(1, Math.ceil(total / RELEASE_PAGE_SIZE));
}

/**
 * Why a page of the list came back empty: the app has no releases, none matches the filters, or the page is past
 * the end of a list that has some (`total` counts every matching release, not just this page's).
 */
export function emptyListReason(filters: ReleaseFilters, total: number): 'no-releases' | 'no-match' | 'past-end' {
  if (total > 0) return 'past-end';
  return filters.status || filters.channel || filters.q ? 'no-match' : 'no-releases';
}
