/**
 * @module admin/release-docs
 * OpenAPI entries for `releases.ts` and `artifacts.ts`, paths relative to where each is mounted.
 */
import { APP_PARAM, defineRoutes, NEEDS_ADMIN_SCOPE, RELEASE_PARAM } from '../docs/registry.ts';
import {
  artifactListSchema,
  artifactSchema,
  createReleaseBodySchema,
  listReleasesQuerySchema,
  releaseListSchema,
  releaseSchema,
  updateReleaseBodySchema,
  uploadArtifactFormSchema,
} from '../protocol/schemas.ts';

const tag = 'Releases';
const releaseParams = { ...APP_PARAM, ...RELEASE_PARAM };
const notFound = { description: 'no such app or release, or not visible to this key' };

export const releaseRouteDocs = defineRoutes([
  {
    method: 'get',
    path: '/',
    tag,
    summary: 'List releases',
    description: 'Newest first by semantic version (the order Tauri clients use), with a summary of each release\'s artifacts.',
    auth: 'api-key',
    access: 'any key for this app',
    params: APP_PARAM,
    query: listReleasesQuerySchema,
    responses: { 200: { description: 'one page of releases and the total', schema: releaseListSchema }, 404: notFound },
  },
  {
    method: 'post',
    path: '/',
    tag,
    summary: 'Create a draft release',
    description: 'The version is normalised (`v1.2.3` → `1.2.3`) and unique per app. Upload artifacts to the draft, then publish it.',
    auth: 'api-key',
    access: 'admin or ci scope',
    params: APP_PARAM,
    body: createReleaseBodySchema,
    responses: { 201: { description: 'the new draft', schema: releaseSchema }, 404: notFound, 409: { description: 'the version exists already' } },
  },
  {
    method: 'get',
    path: '/{release}',
    tag,
    summary: 'Show a release',
    auth: 'api-key',
    access: 'any key for this app',
    params: releaseParams,
    responses: { 200: { description: 'the release with its artifacts', schema: releaseSchema }, 404: notFound },
  },
  {
    method: 'patch',
    path: '/{release}',
    tag,
    summary: 'Edit a release',
    description:
      'Notes, channel and rollout can change at any time; the version only while the release is a draft without artifacts. ' +
      '`rollout_percent` (integer 0–100; 0 pauses) stages a published release: an install gets it when its `X-Install-Id` / ' +
      '`install_id` falls in the cohort, else the newest release it is eligible for; raising it only adds installs. ' +
      '`critical` and `min_supported_version` add `critical`, `min_supported_version` and `below_minimum` to the update ' +
      'manifest (Tauri exposes them as `rawJson`). ' +
      'Status transitions: published → archived, archived → published; a draft is published with POST …/publish. ' +
      'Any other transition is a 409 naming the allowed ones. CI keys may edit drafts but not change status.',
    auth: 'api-key',
    access: 'admin scope (ci scope: drafts, without status)',
    params: releaseParams,
    body: updateReleaseBodySchema,
    responses: {
      200: { description: 'the release after the change', schema: releaseSchema },
      403: NEEDS_ADMIN_SCOPE,
      404: notFound,
      409: { description: 'a transition that is not allowed, or a version change after publishing' },
    },
  },
  {
    method: 'delete',
    path: '/{release}',
    tag,
    summary: 'Delete a draft release',
    description: 'Deletes the draft, its artifacts and their stored bytes. Published and archived releases cannot be deleted.',
    auth: 'api-key',
    access: 'admin scope',
    params: releaseParams,
    responses: { 204: { description: 'deleted' }, 403: NEEDS_ADMIN_SCOPE, 404: notFound, 409: { description: 'not a draft' } },
  },
  {
    method: 'post',
    path: '/{release}/publish',
    tag,
    summary: 'Publish a release',
    description:
      'draft or archived → published. Needs at least one artifact whose bytes are in storage. `pub_date` is set the first time.',
    auth: 'api-key',
    access: 'admin scope',
    params: releaseParams,
    responses: {
      200: { description: 'the published release', schema: releaseSchema },
      403: NEEDS_ADMIN_SCOPE,
      404: notFound,
      409: { description: 'already published, or no artifacts' },
    },
  },
  {
    method: 'post',
    path: '/{release}/archive',
    tag,
    summary: 'Archive a release',
    description: 'published → archived: no longer offered to clients. Publish it again to restore it.',
    auth: 'api-key',
    access: 'admin scope',
    params: releaseParams,
    responses: {
      200: { description: 'the archived release', schema: releaseSchema },
      403: NEEDS_ADMIN_SCOPE,
      404: notFound,
      409: { description: 'not published' },
    },
  },
]);

export const artifactRouteDocs = defineRoutes([
  {
    method: 'get',
    path: '/',
    tag,
    summary: 'List a release\'s artifacts',
    auth: 'api-key',
    access: 'any key for this app',
    params: releaseParams,
    responses: { 200: { description: 'the artifacts, by platform and bundle', schema: artifactListSchema }, 404: notFound },
  },
  {
    method: 'post',
    path: '/',
    tag,
    summary: 'Upload an artifact',
    description:
      'multipart/form-data: the fields `platform`, `bundle` (optional), `signature` (the .sig content, as a field or a file ' +
      'part) and `is_default` (optional) FIRST, then the `file` part, which is streamed to storage. Example: ' +
      '`curl -F platform=linux-x86_64 -F signature="$(cat app.AppImage.sig)" -F file=@app.AppImage …`. ' +
      'The same platform and bundle again replaces the artifact. The bytes are checked as they stream against the ' +
      'app\'s public key (key id, file, signed version), as the CI API checks them: a refusal names its rule ' +
      '(`refused by rule "<rule>"`). Drafts only.',
    auth: 'api-key',
    access: 'admin or ci scope',
    params: releaseParams,
    rawBody: { contentType: 'multipart/form-data', description: 'fields first, then the file', schema: uploadArtifactFormSchema },
    responses: {
      200: { description: 'an artifact replaced', schema: artifactSchema },
      201: { description: 'a new artifact', schema: artifactSchema },
      400: { description: 'a missing or invalid field, or an interrupted upload' },
      404: notFound,
      409: { description: 'the release is not a draft, the file name is taken by another platform, or the app has no public key (no_public_key)' },
      422: { description: 'the signature does not verify against the bytes (key_id_mismatch, invalid_signature, signed_version_mismatch, …)' },
    },
  },
  {
    method: 'delete',
    path: '/{artifact}',
    tag,
    summary: 'Delete an artifact',
    description: 'Removes the artifact and its stored bytes. Drafts only.',
    auth: 'api-key',
    access: 'admin scope',
    params: { ...releaseParams, artifact: 'artifact id' },
    responses: { 204: { description: 'deleted' }, 403: NEEDS_ADMIN_SCOPE, 404: notFound, 409: { description: 'the release is not a draft' } },
  },
]);
