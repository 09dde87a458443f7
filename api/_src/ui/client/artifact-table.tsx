/**
 * @module ui/client/artifact-table
 * A release's artifacts as a table: file, platform, bundle, size, SHA-256, and whether the signature was verified
 * against the app's current key (with why not, and what to do), plus a delete button on a draft.
 */
import type { AppBody, ArtifactBody } from '../../protocol/schemas.ts';
import { Button, CopyButton, formatBytes } from './components.tsx';

export interface Verification {
  text: string;
  badge: 'ok' | 'warn' | 'error';
  /** Why, and what to do, when it is not simply verified against the app's current key. */
  reason: string | null;
}

export function verificationOf(artifact: Pick<ArtifactBody, 'state' | 'verified_key_id'>, app: Pick<AppBody, 'public_key' | 'public_key_id'>): Verification {
  if (artifact.state === 'pending') {
    return { text: 'Pending', badge: 'warn', reason: 'a CI upload that has not been completed; it is not served until it is' };
  }
  if (artifact.verified_key_id) {
    const stale = app.public_key_id && app.public_key_id !== artifact.verified_key_id;
    return {
      text: `Verified · key ${artifact.verified_key_id}`,
      badge: stale ? 'warn' : 'ok',
      reason: stale ? `the app's key is now ${app.public_key_id}, so installed clients will refuse this file: upload it again, signed with the new key` : null,
    };
  }
  return {
    text: 'Not verified',
    badge: 'error',
    reason: app.public_key
      ? 'uploaded before the app had a public key, so it is not served: upload it again to verify it'
      : 'the app has no public key, so the signature could not be checked and the file is not served: add the key in Settings, then upload again',
  };
}

export function ArtifactTable({ app, artifacts, editable, onDelete }: { app: AppBody; artifacts: ArtifactBody[]; editable: boolean; onDelete(artifact: ArtifactBody): void }) {
  const sorted = [...artifacts].sort((a, b) => a.platform.localeCompare(b.platform) || (a.bundle ?? '').localeCompare(b.bundle ?? ''));
  return (
    <div class="table-wrap">
      <table class="artifact-table">
        <thead>
          <tr>
            <th>File</th>
            <th>Platform</th>
            <th>Bundle</th>
            <th class="num">Size</th>
            <th>Signature</th>
            <th>SHA-256</th>
            {editable ? (
              <th>
                <span class="visually-hidden">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {sorted.map((artifact) => {
            const verification = verificationOf(artifact, app);
            return (
              <tr key={artifact.id}>
                <td class="file-name">{artifact.file_name}</td>
                <td class="mono">{artifact.platform}</td>
                <td>
                  {artifact.bundle ?? '—'}
                  {artifact.is_default ? (
                    <>
                      {' '}
                      <span class="badge badge-draft" title="served to clients of this platform that send no bundle type">
                        default
                      </span>
                    </>
                  ) : null}
                </td>
                <td class="num">{formatBytes(artifact.size)}</td>
                <td class="verification">
                  <span class={`badge badge-${verification.badge}`}>{verification.text}</span>
                  {artifact.signature_key_id && artifact.signature_key_id !== artifact.verified_key_id ? (
                    <span class="small muted"> signed with key {artifact.signature_key_id}</span>
                  ) : null}
                  {verification.reason ? <span class="small muted verification-reason">{verification.reason}</span> : null}
                </td>
                <td class="sha">
                  <code title={artifact.sha256}>{artifact.sha256.slice(0, 12)}…</code> <CopyButton text={artifact.sha256} label="Copy" />
                </td>
                {editable ? (
                  <td>
                    <Button variant="danger" aria-label={`Delete ${artifact.file_name}`} onClick={() => onDelete(artifact)}>
                      Delete
                    </Button>
                  </td>
                ) : null}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
