/**
 * @module ci/release-docs
 * OpenAPI entries for `releases.ts` and the filesystem upload target, paths relative to `/ci`.
 */
import * as z from 'zod';
import { defineRoutes } from '../docs/registry.ts';
import {
  ciArtifactViewSchema,
  ciCompleteUploadBodySchema,
  ciCreateReleaseBodySchema,
  ciReleaseViewSchema,
  ciUploadRequestBodySchema,
  ciUploadResponseSchema,
} from '../protocol/ci.ts';

const tag = 'CI';
const auth = 'api-key' as const;
const access = 'a CI credential from POST /ci/token, or an API key (admin or ci scope) for this app';
const appParam = { app: 'app slug (or id)' };
const versionParams = { ...appParam, version: 'the release\'s version (a leading "v" is ignored) or id' };
const notFound = { description: 'no such app, release or upload, or not visible to this credential' };
const refusals =
  'A refused artifact is answered `artifact <file> (<platform>) refused by rule "<rule>": …` (rules: no_public_key, ' +
  'not_uploaded, size_mismatch, sha256_mismatch, key_id_mismatch, invalid_signature, invalid_global_signature, ' +
  'signed_version_mismatch, unsupported_algorithm, malformed_signature, legacy_signature_too_large).';

export const ciReleaseRouteDocs = defineRoutes([
  {
    method: 'post',
    path: '/apps/{app}/releases',
    tag,
    summary: 'Create or reuse the draft for a version',
    description:
      'Idempotent: the first call creates the draft (201), later ones (other matrix legs, re-runs) get the same release (200). ' +
      'With `artifacts`, files already stored at `{app}/releases/{version}/uploads/{sha256}/{file_name}` (or, as older ' +
      'upload-r2 releases wrote them, `{app}/releases/{version}/{file_name}`) are verified there (size, sha256, ' +
      'signature against the app\'s public key with the release\'s version) and registered; on a published release the ' +
      'same artifacts are a no-op and different ones a 409. `auto_publish` publishes when the caller may (a trusted ' +
      'publisher with can_publish, or an admin key); otherwise the release stays a draft for an admin. ' + refusals,
    auth,
    access,
    params: appParam,
    body: ciCreateReleaseBodySchema,
    responses: {
      200: { description: 'the existing release', schema: ciReleaseViewSchema },
      201: { description: 'the new draft', schema: ciReleaseViewSchema },
      404: notFound,
      409: { description: 'the release is live and differs from the request, the app has no public key, or publishing was refused' },
      422: { description: 'an artifact\'s stored bytes were refused (the message names the rule)' },
    },
  },
  {
    method: 'post',
    path: '/apps/{app}/releases/{version}/uploads',
    tag,
    summary: 'Ask where to upload one artifact',
    description:
      'Answers a presigned PUT (S3/R2, up to 64 MiB), a presigned multipart upload (larger files: PUT each part, all ' +
      '`part_size` bytes but the last, and keep each ETag), or, with filesystem storage, a PUT to this server ' +
      '(`/ci/uploads/{upload}?token=…`). URLs expire after an hour; request a new upload for the same artifact to get ' +
      'fresh ones. The signature\'s key id is checked now, before the file is sent. Uploading the same platform and ' +
      'bundle again replaces the artifact once the new upload completes.',
    auth,
    access,
    params: versionParams,
    body: ciUploadRequestBodySchema,
    responses: {
      201: { description: 'the upload and where to send the bytes', schema: ciUploadResponseSchema },
      404: notFound,
      409: { description: 'the release is not a draft, the file name belongs to another artifact, or the app has no public key' },
      422: { description: 'the signature was made with another key (both key ids named) or is not an Ed25519 minisign signature' },
    },
  },
  {
    method: 'post',
    path: '/apps/{app}/releases/{version}/uploads/{upload}/complete',
    tag,
    summary: 'Check the uploaded bytes and make the artifact ready',
    description:
      'Assembles a multipart upload with the ETags sent, then checks the stored object: its size, its SHA-256 and its ' +
      'signature, in one streamed read. Refused bytes are deleted and the previous artifact of that platform and bundle ' +
      'is kept; request a new upload after fixing the file. Repeating a successful complete answers the same. ' + refusals,
    auth,
    access,
    params: { ...versionParams, upload: 'upload_id from the upload request' },
    body: ciCompleteUploadBodySchema,
    responses: {
      200: { description: 'the artifact, ready and verified', schema: ciArtifactViewSchema },
      400: { description: 'parts missing, repeated or sent for a single PUT' },
      404: notFound,
      409: { description: 'nothing uploaded yet, or the release is no longer a draft' },
      422: { description: 'the bytes were refused (the message names the rule)' },
    },
  },
  {
    method: 'post',
    path: '/apps/{app}/releases/{version}/publish',
    tag,
    summary: 'Publish the release',
    description:
      'Publishes a draft whose artifacts are all ready and verified against the app\'s public key; a published release is ' +
      'answered unchanged (re-runs). Same rules as the admin API\'s publish.',
    auth,
    access: 'a CI credential whose trusted publisher has can_publish, or an admin-scoped API key',
    params: versionParams,
    responses: {
      200: { description: 'the published release', schema: ciReleaseViewSchema },
      403: { description: 'the caller may create drafts only (a ci key, or a publisher without can_publish)' },
      404: notFound,
      409: { description: 'no artifacts, an artifact not ready or not verified, no public key, or archived by an admin' },
    },
  },
  {
    method: 'put',
    path: '/uploads/{upload}',
    tag,
    summary: 'Upload target with filesystem storage',
    description:
      'Only with filesystem storage (no presigned URLs): the `target.url` of an upload request. The token in the URL is ' +
      'the authorisation; send the raw bytes, at most the declared size. Then call complete.',
    auth: 'none',
    access: 'whoever holds the URL, until it expires',
    params: { upload: 'upload_id' },
    query: z.strictObject({ token: z.string().meta({ description: 'from the upload URL' }) }),
    rawBody: { contentType: 'application/octet-stream', description: 'the artifact\'s bytes' },
    responses: {
      200: { description: 'stored; the ETag header names the stored object', contentType: 'text/plain' },
      403: { description: 'unknown upload, wrong token, or the URL expired' },
      409: { description: 'the upload was completed or refused already, or the release is not a draft (also when it was deleted, published or archived while the bytes were sent: nothing is kept)' },
      413: { description: 'more bytes than declared' },
    },
  },
]);
