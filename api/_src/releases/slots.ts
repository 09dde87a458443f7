/**
 * @module releases/slots
 * An artifact is one (platform, bundle) of a release, its slot: uploading to a taken slot replaces the
 * artifact. An installer only (a DMG) has a slot of its own per platform, beside the updater's. File names are unique within a release, because both the storage key and the download
 * path are built from them.
 */
import type { ArtifactRow } from '../../../db/schema.ts';
import { conflict } from '../http/api-error.ts';

export const sameSlot = (row: ArtifactRow, platform: string, bundle: string | null, installerOnly = false) =>
  row.platform === platform && row.bundle === bundle && row.installer_only === installerOnly;

/** The file name must not belong to another (platform, bundle) of this release. */
export function checkFileNameFree(existing: readonly ArtifactRow[], fileName: string, platform: string, bundle: string | null, installerOnly = false): void {
  const clash = existing.find((row) => row.file_name === fileName && !sameSlot(row, platform, bundle, installerOnly));
  if (clash) {
    throw conflict(
      `file name ${JSON.stringify(fileName)} is already used by the ${clash.platform}${clash.bundle ? ` ${clash.bundle}` : ''}${clash.installer_only ? ' installer' : ''} artifact of this release; ` +
        'file names are unique per release, so rename one (e.g. add the architecture: My App_aarch64.app.tar.gz)',
    );
  }
}
