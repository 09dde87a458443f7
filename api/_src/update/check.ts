/**
 * @module update/check
 * What an update check is, the hot path, without any web framework: counted against its address's rate limit,
 * parsed (check-request.ts), answered from the app's cached snapshot (select.ts), with the ETag/304 rule and
 * the Cache-Control choice. In steady state: no query, no JSON.stringify, precomputed bytes and headers.
 *
 * Two entry points, one per adapter, and each counts the check exactly once when it answers:
 * - `answerCheck` answers everything (loading a snapshot when needed); the Hono route (routes.ts) calls it.
 * - `answerCheckFromMemory` answers only what it can answer entirely from memory with a 200, 204, 304 or 429,
 *   and otherwise returns null having counted nothing, so the request can go to `answerCheck` untouched; the
 *   node:http listener (node-listener.ts) calls it ahead of Hono.
 *
 * Licensed apps (api/_src/licensing/): the license (`Authorization: License <key>`) is checked by the gate
 * (licensing/gate.ts, its 401/403/503 codes there) before selection, which then offers only releases the license
 * may have (update/licensed.ts); every answer is `private, no-store` without ETag. Open apps never reach it.
 *
 * 200  Tauri's dynamic manifest `{version, notes, pub_date, url, signature}`, plus `critical`,
 *      `min_supported_version` and `below_minimum` when the release sets them (read as `rawJson`)
 * 204  up to date, or nothing fits this platform and bundle (Tauri then stops asking)
 * 304  `If-None-Match` matched the ETag (per body for 200, per app state for 204)
 * 400  current version is not SemVer, target/arch/bundle_type/channel is malformed, or the install id is
 * 404  no such app, or no such channel for the app
 * 429  this address used up `RATE_LIMIT_UPDATES_PER_MINUTE` (with `Retry-After`)
 * 503  the database cannot be reached
 * Errors are thrown as `ApiError` and carry `Cache-Control: no-store` once the adapter renders them, so no CDN
 * remembers an outage or a typo. An answer a staged rollout decided is `Cache-Control: private` with
 * `Vary: X-Install-Id` (snapshot.ts precomputes both header sets).
 */
import type { UsageAnalytics } from '../analytics/recorder.ts';
import type { LicenseGate, LicenseGrant } from '../licensing/gate.ts';
import { etagMatches } from '../http/etag.ts';
import { ApiError, notFound } from '../http/errors.ts';
import { type RateLimits, tooManyRequests } from '../rate-limit/limits.ts';
import type { ReleaseCache } from './cache.ts';
import { licensedAnswer, licensedEligibility } from './licensed.ts';
import { type CheckRequest, type HeaderReader, parseCheck, withInstallIdHeader } from './check-request.ts';
import type { PlainCheckMemo, RememberedCheck } from './plain-check-memo.ts';
import { INSTALL_ID_HEADER } from './rollout.ts';
import { type Offer, type Selection, selectUpdate, type UpdateQuery } from './select.ts';
import type { AppSnapshot } from './snapshot.ts';

/** What a check needs: the snapshots (`ReleaseCache`, or any source with its two reads), analytics, the limits. */
export interface UpdateCheckDeps {
  releaseCache: Pick<ReleaseCache, 'peek' | 'lookup'>;
  analytics: Pick<UsageAnalytics, 'recordCheck'>;
  rateLimits: Pick<RateLimits, 'updateCheck'>;
  /** The license gate; without it a licensed app's checks are refused with 503. */
  licenses?: Pick<LicenseGate, 'grant' | 'grantFromMemory'>;
}

/** What a check answers: precomputed headers and body, nothing built per request. */
export interface CheckAnswer {
  status: 200 | 204 | 304 | 429;
  headers: Readonly<Record<string, string>>;
  body: Uint8Array<ArrayBuffer> | string | null;
}


/** The rate limit's accounting: counts the check; the 429 when its address has used up the limit, else null. */
function countCheck(deps: UpdateCheckDeps, request: CheckRequest): CheckAnswer | null {
  const refused = deps.rateLimits.updateCheck(request.peer, request.headers);
  return refused === null ? null : tooManyRequests(refused);
}

/** The ETag/304 rule and the Cache-Control choice (private when a staged rollout decided) for a selection. */
function respond(snapshot: AppSnapshot, selection: Offer, headers: HeaderReader): CheckAnswer {
  const ifNoneMatch = headers.get('if-none-match');
  if (selection.kind === 'update') {
    const { answer, staged } = selection;
    if (etagMatches(ifNoneMatch, answer.etag)) {
      return { status: 304, headers: staged ? answer.privateNotModifiedHeaders : answer.notModifiedHeaders, body: null };
    }
    return { status: 200, headers: staged ? answer.privateHeaders : answer.headers, body: answer.body };
  }
  const { staged } = selection;
  if (etagMatches(ifNoneMatch, snapshot.etag)) {
    return { status: 304, headers: staged ? snapshot.privateNotModifiedHeaders : snapshot.notModifiedHeaders, body: null };
  }
  return { status: 204, headers: staged ? snapshot.privateNoContentHeaders : snapshot.noContentHeaders, body: null };
}

/** Counted in analytics (a Map increment: no query, no await), then answered. */
function answered(deps: UpdateCheckDeps, snapshot: AppSnapshot, query: UpdateQuery, selection: Offer, request: CheckRequest): CheckAnswer {
  deps.analytics.recordCheck(snapshot.app.id, request.currentVersion, query.os, query.arch, query.channel, request.headers, query.installId);
  return respond(snapshot, selection, request.headers);
}

function unknownChannel(snapshot: AppSnapshot, query: UpdateQuery): ApiError {
  const known = [...snapshot.channels.keys()].sort().join(', ');
  return notFound(`app ${JSON.stringify(snapshot.app.slug)} has no channel ${JSON.stringify(query.channel)}; its channels are ${known}`);
}

const licenseRequest = (snapshot: AppSnapshot, query: UpdateQuery, request: CheckRequest) => ({
  appId: snapshot.app.id,
  headers: request.headers,
  installId: query.installId ?? null,
  peer: request.peer,
});

/** The selection for a granted license: only releases it may have. */
function selectLicensed(snapshot: AppSnapshot, query: UpdateQuery, grant: LicenseGrant): Selection {
  const servesFrom = snapshot.channels.get(query.channel);
  return servesFrom === undefined ? selectUpdate(snapshot, query) : selectUpdate(snapshot, query, licensedEligibility(snapshot, servesFrom, grant.allowance));
}

function answerLicensed(deps: UpdateCheckDeps, snapshot: AppSnapshot, query: UpdateQuery, request: CheckRequest): CheckAnswer | Promise<CheckAnswer> {
  if (!deps.licenses) throw new ApiError(503, 'unavailable', 'this app is licensed, and this server checks no licenses');
  const offer = (grant: LicenseGrant): CheckAnswer => {
    const selection = selectLicensed(snapshot, query, grant);
    if (selection.kind === 'unknown_channel') throw unknownChannel(snapshot, query);
    deps.analytics.recordCheck(snapshot.app.id, request.currentVersion, query.os, query.arch, query.channel, request.headers, query.installId);
    return licensedAnswer(selection);
  };
  const grant = deps.licenses.grant(licenseRequest(snapshot, query, request));
  return grant instanceof Promise ? grant.then(offer) : offer(grant);
}

/** The answer from a loaded snapshot. Throws 404 for an unknown app or channel, before analytics (made-up names would only fill its counters). */
function answerFrom(deps: UpdateCheckDeps, snapshot: AppSnapshot | null, query: UpdateQuery, request: CheckRequest): CheckAnswer | Promise<CheckAnswer> {
  if (snapshot === null) throw notFound(`no app ${JSON.stringify(request.app)}`);
  if (snapshot.app.licensing === 'licensed') return answerLicensed(deps, snapshot, query, request);
  const selection = selectUpdate(snapshot, query);
  if (selection.kind === 'unknown_channel') throw unknownChannel(snapshot, query);
  return answered(deps, snapshot, query, selection, request);
}

/**
 * The whole check: counted against the rate limit first, then parsed and answered. Synchronous while the app's
 * snapshot is cached; a Promise only when it must be loaded. Failures are thrown (or rejected) as `ApiError`
 * for the adapter to render: 400, 404, 503.
 */
export function answerCheck(deps: UpdateCheckDeps, request: CheckRequest): CheckAnswer | Promise<CheckAnswer> {
  const refused = countCheck(deps, request);
  if (refused) return refused;
  const query = parseCheck(request);
  const snapshot = deps.releaseCache.lookup(request.app);
  if (snapshot instanceof Promise) return snapshot.then((loaded) => answerFrom(deps, loaded, query, request));
  return answerFrom(deps, snapshot, query, request);
}

/**
 * The check if it is answered entirely from memory — the app's snapshot cached and fresh, the request valid, its
 * channel known — counted against the rate limit then; else null, with nothing counted, for `answerCheck` to
 * answer. The answer is the same as `answerCheck`'s: a 429 for a refused address, else the same selection.
 */
export function answerCheckFromMemory(deps: UpdateCheckDeps, request: CheckRequest): CheckAnswer | null {
  const snapshot = deps.releaseCache.peek(request.app);
  if (!snapshot) return null;
  let query: UpdateQuery;
  try {
    query = parseCheck(request);
  } catch {
    return null;
  }
  return answerFromSnapshot(deps, snapshot, query, request, null);
}

/**
 * `answerCheckFromMemory` for a raw request target (the node:http listener's), reading the URL and selecting through
 * `memo` (plain-check-memo.ts): null when the URL is not a plain check (check-request.ts) or the check cannot be
 * answered from memory, with nothing counted, as there.
 */
export function answerPlainCheck(deps: UpdateCheckDeps, memo: PlainCheckMemo, url: string, headers: HeaderReader, peer: string): CheckAnswer | null {
  const check = memo.read(url);
  if (check === null) return null;
  const { target } = check;
  const snapshot = deps.releaseCache.peek(target.app);
  if (!snapshot) return null;
  let query: UpdateQuery;
  try {
    query = withInstallIdHeader(check.query, headers.get(INSTALL_ID_HEADER));
  } catch {
    return null;
  }
  const request: CheckRequest = { app: target.app, platform: target.platform, currentVersion: target.currentVersion, query: target.query, headers, peer };
  return answerFromSnapshot(deps, snapshot, query, request, check);
}

/** The answer from a cached snapshot, or null (an unknown channel, a license not known valid in memory). */
function answerFromSnapshot(deps: UpdateCheckDeps, snapshot: AppSnapshot, query: UpdateQuery, request: CheckRequest, remembered: RememberedCheck | null): CheckAnswer | null {
  if (snapshot.app.licensing === 'licensed') return licensedFromMemory(deps, snapshot, query, request);
  let selection = remembered?.selectionFor(snapshot, query);
  if (selection === undefined) {
    const selected = selectUpdate(snapshot, query);
    if (selected.kind === 'unknown_channel') return null;
    remembered?.keep(snapshot, query, selected);
    selection = selected;
  }
  return countCheck(deps, request) ?? answered(deps, snapshot, query, selection, request);
}

/** A licensed check whose key is known valid and needs no write; else null, nothing counted. */
function licensedFromMemory(deps: UpdateCheckDeps, snapshot: AppSnapshot, query: UpdateQuery, request: CheckRequest): CheckAnswer | null {
  let grant: LicenseGrant | null;
  try {
    grant = deps.licenses?.grantFromMemory(licenseRequest(snapshot, query, request)) ?? null;
  } catch {
    return null;
  }
  if (grant === null) return null;
  const selection = selectLicensed(snapshot, query, grant);
  if (selection.kind === 'unknown_channel') return null;
  const refused = countCheck(deps, request);
  if (refused) return refused;
  deps.analytics.recordCheck(snapshot.app.id, request.currentVersion, query.os, query.arch, query.channel, request.headers, query.installId);
  return licensedAnswer(selection);
}
