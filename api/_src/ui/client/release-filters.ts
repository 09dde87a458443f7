/**
 * @module ui/client/release-filters
 * The releases table's view as the URL states it (`?status=&channel=&q=&page=`), read the way the API can answer,
 * and what an empty page of it means. A shared or stale address (a page past the end after releases were deleted, a
 * hand-typed `page=99999999999`, an unknown status) shows the releases or says how to reach them, never a false
 * "No releases yet" or the API's range error; a value the API would refuse is left out and named (page-params.ts).
 */
import { listReleasesQuerySchema, RELEASE_OFFSET_MAX, releaseStatusSchema } from '../../protocol/schemas.ts';
import { bySchema, type IgnoredParam, readParams } from './page-params.ts';

export const RELEASE_PAGE_SIZE = 20;
const MAX_PAGE = Math.floor(RELEASE_OFFSET_MAX / RELEASE_PAGE_SIZE) + 1;

export interface ReleaseFilters {
  status: string;
  channel: string;
  q: string;
  page: number;
}

const RELEASE_PARAMS = {
  status: bySchema(releaseStatusSchema, 'draft, published or archived'),
  channel: bySchema(listReleasesQuerySchema.shape.channel, 'a channel name such as stable or beta'),
  q: bySchema(listReleasesQuerySchema.shape.q, 'a search of at most 200 characters'),
  page: { accepts: (value: string) => /^\d+$/.test(value), expected: 'a page number' },
};

/** The filters, and the parameters left out of them (shown with IgnoredParamsNotice). */
export function readReleaseView(search: string): { filters: ReleaseFilters; ignored: IgnoredParam[] } {
  const { values, ignored } = readParams(search, RELEASE_PARAMS);
  // A page past what the API can answer is brought back within it: the empty page then says how to reach the releases.
  const page = values.page ? Number(values.page) : 1;
  return { filters: { status: values.status, channel: values.channel, q: values.q, page: Math.min(Math.max(page, 1), MAX_PAGE) }, ignored };
}

export const readReleaseFilters = (search: string): ReleaseFilters => readReleaseView(search).filters;

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
