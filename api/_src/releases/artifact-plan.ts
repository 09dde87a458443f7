/**
 * @module releases/artifact-plan
 * Validation of an artifact's declared fields (platform, bundle, file name, the signature's shape),
 * the same for the admin upload (run when the file part starts, before any byte is stored), the CI
 * API and the GitHub sync. The bytes themselves are checked by `ingest.ts`.
 */
import * as z from 'zod';
import { badRequest } from '../http/api-error.ts';
import { artifactKindOf } from '../protocol/artifact-names.ts';
import { decodeTauriSignature, SignatureError, type TauriSignature, TRUSTED_COMMENT_PREFIX } from '../protocol/minisign.ts';
import {
  ARCHITECTURES,
  BUNDLE_TYPES,
  type BundleType,
  bundleBelongsTo,
  bundleTypeSchema,
  OPERATING_SYSTEMS,
  parsePlatformKey,
  type PlatformKey,
} from '../protocol/platforms.ts';
import { FILE_NAME_RULE, isValidFileName } from '../protocol/storage-keys.ts';
import { isInstallerOnlyFile } from '../protocol/installers.ts';

/** The admin upload's multipart fields, sent before the file part. */
export const UPLOAD_FIELD_NAMES = ['platform', 'bundle', 'signature', 'is_default'] as const;
export type UploadFields = Partial<Record<(typeof UPLOAD_FIELD_NAMES)[number], string>>;

export interface UploadPlan {
  platform: PlatformKey;
  bundle: BundleType;
  /** The `.sig` content, trimmed. */
  signature: string;
  /** undefined: a new artifact is not the default; a replaced one keeps its flag. */
  isDefault: boolean | undefined;
}

const isDefaultSchema = z.stringbool({ truthy: ['true', '1', 'on', 'yes'], falsy: ['false', '0', 'off', 'no'] });

const asBadRequest = (error: unknown): unknown => (error instanceof SignatureError ? badRequest(error.message) : error);

/**
 * The shape of a `.sig` file's content: base64 of four lines, `untrusted comment:`, base64 of 74
 * bytes (Ed25519 algorithm, key id, signature), `trusted comment: `, base64 of 64 bytes.
 */
export function checkSignatureShape(value: string): TauriSignature {
  let signature: TauriSignature;
  try {
    signature = decodeTauriSignature(value);
  } catch (error) {
    throw asBadRequest(error);
  }
  const how = 'send the content of the .sig file the signer wrote, unchanged';
  if (!Buffer.from(signature.encoded, 'base64').toString('utf8').startsWith('untrusted comment:')) {
    throw badRequest(`invalid signature: line 1 does not start with "untrusted comment:"; ${how}`);
  }
  if (signature.algorithm !== 'ED' && signature.algorithm !== 'Ed') {
    throw badRequest(`invalid signature: it is not an Ed25519 minisign signature (algorithm "ED" or "Ed"); ${how}`);
  }
  if (!signature.trustedCommentLine.startsWith(TRUSTED_COMMENT_PREFIX)) {
    throw badRequest(`invalid signature: line 3 does not start with "trusted comment: "; ${how}`);
  }
  return signature;
}

/** The signing key's id (16 hex digits), or null for a value that does not decode. */
export function signatureKeyId(value: string): string | null {
  try {
    return decodeTauriSignature(value).keyId;
  } catch {
    return null;
  }
}

/** Validates the fields sent before the file part; throws a 400 naming the field and the fix. */
export function planUpload(fields: UploadFields, fileName: string): UploadPlan {
  if (!fields.platform) throw badRequest('field "platform" is required ({os}-{arch}, e.g. darwin-aarch64) and must come before the file part');
  const platform = parsePlatformKey(fields.platform);
  if (!platform) {
    throw badRequest(
      `platform ${JSON.stringify(fields.platform.slice(0, 50))} is not {os}-{arch} (os: ${OPERATING_SYSTEMS.join('|')}; arch: ${ARCHITECTURES.join('|')})`,
    );
  }
  if (!fileName) throw badRequest('the file part has no file name; send it as curl -F file=@path does');
  if (!isValidFileName(fileName)) {
    throw badRequest(`file name ${JSON.stringify(fileName.slice(0, 100))} is not allowed: ${FILE_NAME_RULE}`);
  }
  if (isInstallerOnlyFile(fileName)) {
    // The CI API plans a DMG with planInstaller before it gets here; only the admin upload, which takes updater artifacts, does.
    throw badRequest(
      `${fileName} is a DMG, an installer only and never an updater bundle, so no bundle type fits it; this upload takes updater ` +
        'artifacts: register a DMG through the CI API, as upload-r2 does once it is notarized (README "Installers and download links")',
    );
  }
  const kind = artifactKindOf(fileName);
  let bundle: BundleType;
  if (fields.bundle !== undefined) {
    const parsed = bundleTypeSchema.safeParse(fields.bundle);
    if (!parsed.success) throw badRequest(`bundle ${JSON.stringify(fields.bundle.slice(0, 50))} is not one of ${BUNDLE_TYPES.join(', ')}`);
    bundle = parsed.data;
    if (kind && kind.bundle !== bundle) {
      throw badRequest(`file ${JSON.stringify(fileName)} is a ${kind.bundle} artifact, but bundle=${bundle} was sent; omit bundle or fix it`);
    }
  } else if (kind) {
    bundle = kind.bundle;
  } else {
    throw badRequest(
      `cannot tell the bundle type from file name ${JSON.stringify(fileName)}; upload the updater artifact tauri build made ` +
        '(.app.tar.gz, .AppImage, .deb, .rpm, .msi, -setup.exe, or their .tar.gz/.zip forms) or send the bundle field',
    );
  }
  if (!bundleBelongsTo(bundle, platform.os)) {
    throw badRequest(`a ${bundle} bundle cannot be installed on ${platform.os}; check the platform field (${fields.platform})`);
  }
  if (fields.signature === undefined) {
    throw badRequest('field "signature" is required (the content of the .sig file) and must come before the file part');
  }
  const signature = checkSignatureShape(fields.signature).encoded;
  let isDefault: boolean | undefined;
  if (fields.is_default !== undefined) {
    const parsed = isDefaultSchema.safeParse(fields.is_default.trim().toLowerCase());
    if (!parsed.success) throw badRequest('field "is_default" must be true or false');
    isDefault = parsed.data;
  }
  return { platform: fields.platform as PlatformKey, bundle, signature, isDefault };
}

/** What a DMG is registered as: an installer only, with no bundle type and no updater signature. */
export interface InstallerPlan {
  platform: PlatformKey;
}

/**
 * Validates an installer-only file's declared fields (a DMG, protocol/installers.ts); null when `fileName` is not
 * one, so the caller plans it as an updater artifact. A DMG has no updater signature and no bundle type: sending
 * either is a mistake worth naming (`bundle_type=dmg` is not a thing the updater knows).
 */
export function planInstaller(fields: { platform: string; bundle?: string | undefined; signature?: string | undefined }, fileName: string): InstallerPlan | null {
  if (!isInstallerOnlyFile(fileName)) return null;
  const platform = parsePlatformKey(fields.platform);
  if (!platform) throw badRequest(`platform ${JSON.stringify(fields.platform.slice(0, 50))} is not {os}-{arch} (os: ${OPERATING_SYSTEMS.join('|')}; arch: ${ARCHITECTURES.join('|')})`);
  if (!isValidFileName(fileName)) {
    throw badRequest(`file name ${JSON.stringify(fileName.slice(0, 100))} is not allowed: ${FILE_NAME_RULE}`);
  }
  if (platform.os !== 'darwin') throw badRequest(`${fileName} is a macOS disk image, but platform is ${fields.platform}; send a darwin-{arch} platform`);
  if (fields.bundle !== undefined) {
    throw badRequest(`${fileName} is an installer only (a DMG), not an updater bundle: omit "bundle" (the updater installs the .app.tar.gz)`);
  }
  if (fields.signature !== undefined && fields.signature !== '') {
    throw badRequest(`${fileName} is an installer only (a DMG): Tauri never signs it for the updater, so send no "signature"`);
  }
  return { platform: fields.platform as PlatformKey };
}
