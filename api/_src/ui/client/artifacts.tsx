/**
 * @module ui/client/artifacts
 * The release editor's artifacts panel: the release's artifacts with their signature verification state, and, for a
 * draft, a drop zone (or "Choose files") that queues files with their `.sig`, asks for what the file name does not
 * tell, and uploads them one after another with a progress bar each (upload.ts picks the path the storage allows).
 * Uploading to a slot that has an artifact replaces it, after a confirmation naming it; delete confirms too.
 */
import { useState } from 'hono/jsx/dom';
import type { AppBody, ArtifactBody, ReleaseBody } from '../../protocol/schemas.ts';
import { ALL_PLATFORM_KEYS, BUNDLE_TYPES, type BundleType, DEFAULT_BUNDLE_PREFERENCE, type PlatformKey } from '../../protocol/platforms.ts';
import { adminPath, api } from './api.ts';
import { Button, ConfirmDialog, CopyButton, EmptyState, Field, formatBytes, messageOf, useToast, valueOf } from './components.tsx';
import { useSession } from './session.tsx';
import { isCancelled, type UploadProgress, uploadArtifact } from './upload.ts';
import { checkItem, describeArtifact, type ItemCheck, MISSING_TEXT, type PlannedUpload, planFiles } from './upload-plan.ts';

type Item = PlannedUpload<File>;

interface ItemState {
  progress?: UploadProgress;
  error?: unknown;
}

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

const PHASE_TEXT: Record<UploadProgress['phase'], string> = { hashing: 'Hashing', uploading: 'Uploading', verifying: 'Checking the signature' };

const percentOf = (progress: UploadProgress) => (progress.total > 0 ? Math.min(100, Math.floor((progress.loaded / progress.total) * 100)) : 100);

export function ArtifactsPanel({ app, release, onChange }: { app: AppBody; release: ReleaseBody; onChange(): void }) {
  const { session } = useSession();
  const storage = session.server.storage;
  const toast = useToast();
  const editable = release.status === 'draft';
  const artifacts = release.artifacts;

  const [queue, setQueue] = useState<Item[]>([]);
  const [problems, setProblems] = useState<string[]>([]);
  const [states, setStates] = useState<Record<string, ItemState>>({});
  const [controllers, setControllers] = useState<Record<string, AbortController>>({});
  const [uploading, setUploading] = useState(false);
  const [dragging, setDragging] = useState(false);
  const [confirmReplace, setConfirmReplace] = useState<{ item: Item; replaces: ArtifactBody }[] | null>(null);
  const [deleting, setDeleting] = useState<ArtifactBody | null>(null);

  const checks = new Map<Item, ItemCheck>(queue.map((item) => [item, checkItem(item, queue, artifacts)]));
  const ready = queue.length > 0 && queue.every((item) => {
    const check = checks.get(item)!;
    return check.missing.length === 0 && check.conflicts.length === 0;
  });

  const addFiles = (list: FileList | null | undefined) => {
    const files = Array.from(list ?? []);
    if (!files.length || uploading) return;
    const planned = planFiles(files, queue);
    setQueue(planned.items);
    setProblems(planned.problems);
  };
  const update = (key: string, change: Partial<Item>) => setQueue((items) => items.map((item) => (item.key === key ? { ...item, ...change } : item)));
  const remove = (key: string) => setQueue((items) => items.filter((item) => item.key !== key));
  const setState = (key: string, state: ItemState) => setStates((all) => ({ ...all, [key]: state }));

  const run = async (items: Item[]) => {
    const running: Record<string, AbortController> = {};
    for (const item of items) running[item.key] = new AbortController();
    setControllers(running);
    setStates({});
    setUploading(true);
    for (const item of items) {
      const signal = running[item.key]!.signal;
      if (signal.aborted) {
        setState(item.key, { error: 'Cancelled before it started' });
        continue;
      }
      const replaces = checkItem(item, items, artifacts).replaces;
      try {
        await uploadArtifact(storage, {
          appSlug: app.slug,
          releaseId: release.id,
          version: release.version,
          file: item.file,
          platform: item.platform,
          bundle: item.bundle,
          signature: item.signatureFile ?? item.signatureText,
          isDefault: item.isDefault,
          signal,
          onProgress: (progress) => setState(item.key, { progress }),
        });
        toast(replaces ? `Replaced ${describeArtifact(replaces)} with ${item.file.name}` : `Uploaded ${item.file.name}`);
        remove(item.key);
        setStates((all) => {
          const { [item.key]: _done, ...rest } = all;
          return rest;
        });
        onChange();
      } catch (error) {
        setState(item.key, { error: isCancelled(error) ? 'Cancelled; the release is unchanged for this file' : error });
      }
    }
    setUploading(false);
    setControllers({});
  };

  /** Aborts an upload in flight, or one still waiting its turn (which says so at once). */
  const cancel = (key: string) => {
    controllers[key]?.abort();
    setStates((all) => (all[key]?.progress ? all : { ...all, [key]: { error: 'Cancelled before it started' } }));
  };

  const start = () => {
    const items = [...queue];
    const replacing = items.flatMap((item) => {
      const replaces = checks.get(item)?.replaces;
      return replaces ? [{ item, replaces: replaces as ArtifactBody }] : [];
    });
    if (replacing.length) setConfirmReplace(replacing);
    else void run(items);
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    addFiles(event.dataTransfer?.files);
  };
  const onDragOver = (event: DragEvent) => {
    if (!event.dataTransfer?.types.includes('Files')) return;
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = uploading ? 'none' : 'copy';
    setDragging(true);
  };
  const onDragLeave = (event: DragEvent) => {
    const zone = event.currentTarget as HTMLElement;
    if (!(event.relatedTarget instanceof Node && zone.contains(event.relatedTarget))) setDragging(false);
  };

  return (
    <section class="card artifacts" aria-label="Artifacts">
      <h2>Artifacts</h2>
      {artifacts.length === 0 ? (
        <EmptyState>
          No artifacts yet.{editable ? ' Drop the files tauri build made, with their .sig files, below.' : ''}
        </EmptyState>
      ) : (
        <ArtifactTable app={app} artifacts={artifacts} editable={editable} onDelete={setDeleting} />
      )}

      {editable ? (
        <div class="upload-area stack">
          <h3>Upload</h3>
          <div class={dragging ? 'dropzone dragging' : 'dropzone'} onDragEnter={onDragOver} onDragOver={onDragOver} onDragLeave={onDragLeave} onDrop={onDrop}>
            <p>
              Drop artifacts and their <code>.sig</code> files here, or
            </p>
            <label class="button choose-files">
              Choose files
              <input
                type="file"
                multiple
                class="visually-hidden"
                disabled={uploading}
                onChange={(event: Event) => {
                  const input = event.target as HTMLInputElement;
                  addFiles(input.files);
                  input.value = '';
                }}
              />
            </label>
            <p class="muted small">
              {storage === 's3'
                ? 'Files go straight to the bucket (hashed here first); the server then checks size, SHA-256 and signature.'
                : 'Files stream to the server, which checks the signature against the app\'s key as they arrive.'}
            </p>
          </div>
          {problems.map((problem) => (
            <p class="notice notice-warn" role="alert" key={problem}>
              {problem}
            </p>
          ))}
          {queue.length ? (
            <ul class="upload-queue">
              {queue.map((item) => (
                <QueuedItem
                  key={item.key}
                  item={item}
                  check={checks.get(item)!}
                  state={states[item.key] ?? {}}
                  storage={storage}
                  uploading={uploading}
                  controller={controllers[item.key]}
                  onCancel={() => cancel(item.key)}
                  onUpdate={(change) => update(item.key, change)}
                  onRemove={() => remove(item.key)}
                />
              ))}
            </ul>
          ) : null}
          {queue.length ? (
            <div class="actions">
              {!ready && !uploading ? <span class="muted small">Fill in what each file still needs, above.</span> : null}
              <Button variant="primary" busy={uploading} disabled={!ready} onClick={start}>
                Upload
              </Button>
            </div>
          ) : null}
        </div>
      ) : (
        <p class="muted">
          This release is {release.status}: its artifacts cannot change. Create a new release to ship other files.
        </p>
      )}

      <ConfirmDialog
        open={confirmReplace !== null}
        title={
          confirmReplace?.length === 1 ? `Replace ${describeArtifact(confirmReplace[0]!.replaces)}?` : `Replace ${confirmReplace?.length ?? 0} artifacts?`
        }
        confirmLabel="Replace"
        danger
        onClose={() => setConfirmReplace(null)}
        onConfirm={() => {
          void run([...queue]);
        }}
      >
        <ul>
          {(confirmReplace ?? []).map(({ item, replaces }) => (
            <li key={item.key}>
              {describeArtifact(replaces)} will be replaced by {item.file.name}; the old file is deleted once the new one is stored.
            </li>
          ))}
        </ul>
      </ConfirmDialog>

      <ConfirmDialog
        open={deleting !== null}
        title={`Delete ${deleting?.file_name ?? ''}?`}
        confirmLabel="Delete now"
        danger
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          if (!deleting) return;
          await api.delete(adminPath('apps', app.slug, 'releases', release.id, 'artifacts', deleting.id));
          toast(`Deleted ${deleting.file_name}`);
          onChange();
        }}
      >
        {deleting ? (
          <p>
            Removes the {deleting.platform}
            {deleting.bundle ? ` ${deleting.bundle}` : ''} artifact <strong>{deleting.file_name}</strong> and its stored file from draft{' '}
            {release.version}. Clients were never offered it: the release is not published.
          </p>
        ) : null}
      </ConfirmDialog>
    </section>
  );
}

function ArtifactTable({ app, artifacts, editable, onDelete }: { app: AppBody; artifacts: ArtifactBody[]; editable: boolean; onDelete(artifact: ArtifactBody): void }) {
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

function QueuedItem(props: {
  item: Item;
  check: ItemCheck;
  state: ItemState;
  storage: 'fs' | 's3';
  uploading: boolean;
  controller: AbortController | undefined;
  onUpdate(change: Partial<Item>): void;
  onRemove(): void;
  onCancel(): void;
}) {
  const { item, check, state, uploading, controller } = props;
  const os = item.os;
  const platforms = os ? ALL_PLATFORM_KEYS.filter((key) => key.startsWith(`${os}-`)) : ALL_PLATFORM_KEYS;
  const chosenOs = item.platform ? (item.platform.split('-')[0] as keyof typeof DEFAULT_BUNDLE_PREFERENCE) : os;
  // A name tauri build made fixes the bundle (the server refuses another); otherwise the platform's OS narrows it.
  const bundles: readonly BundleType[] = item.os && item.bundle ? [item.bundle] : chosenOs ? DEFAULT_BUNDLE_PREFERENCE[chosenOs] : BUNDLE_TYPES;
  const progress = state.progress;
  const name = item.file.name;
  return (
    <li class="upload-item">
      <div class="upload-item-head">
        <strong class="file-name">{name}</strong> <span class="muted small">{formatBytes(item.file.size)}</span>
        {!uploading ? (
          <Button variant="quiet" aria-label={`Remove ${name}`} onClick={props.onRemove}>
            Remove
          </Button>
        ) : null}
      </div>
      <div class="upload-fields">
        <Field label="Platform">
          <select
            disabled={uploading}
            value={item.platform}
            onChange={(event: Event) => props.onUpdate({ platform: valueOf(event) as PlatformKey | '' })}
          >
            <option value="">Choose…</option>
            {platforms.map((key) => (
              <option value={key} selected={key === item.platform}>
                {key}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Bundle">
          <select
            disabled={uploading}
            value={item.bundle}
            onChange={(event: Event) => props.onUpdate({ bundle: valueOf(event) as BundleType | '' })}
          >
            {bundles.length > 1 || !item.bundle ? <option value="">Choose…</option> : null}
            {bundles.map((bundle) => (
              <option value={bundle} selected={bundle === item.bundle}>
                {bundle}
              </option>
            ))}
          </select>
        </Field>
        {props.storage === 'fs' ? (
          <div class="checkbox">
            {/* Not "Default for platform": a label containing "platform" would also answer getByLabel('Platform'). */}
            <label>
              <input
                type="checkbox"
                disabled={uploading}
                checked={item.isDefault}
                onChange={(event: Event) => props.onUpdate({ isDefault: (event.target as HTMLInputElement).checked })}
              />{' '}
              Default artifact
            </label>
            <span class="small muted">served on {item.platform || 'its platform'} when a client sends no bundle type</span>
          </div>
        ) : null}
      </div>
      {item.signatureFile ? (
        <p class="small">
          Signature: <span class="file-name">{item.signatureFile.name}</span>{' '}
          {!uploading ? (
            <Button variant="quiet" onClick={() => props.onUpdate({ signatureFile: null })}>
              Paste instead
            </Button>
          ) : null}
        </p>
      ) : (
        <div class="upload-signature">
          <Field label="Signature">
            <textarea
              rows={3}
              spellcheck={false}
              disabled={uploading}
              value={item.signatureText}
              onInput={(event: Event) => props.onUpdate({ signatureText: valueOf(event) })}
            />
          </Field>
          <p class="small muted">Paste the content of {name}.sig as the signer wrote it, or choose the file:</p>
          <label class="button button-quiet choose-sig">
            Choose the .sig
            <input
              type="file"
              accept=".sig"
              class="visually-hidden"
              disabled={uploading}
              onChange={(event: Event) => {
                const input = event.target as HTMLInputElement;
                const file = input.files?.[0];
                if (file) props.onUpdate({ signatureFile: file, signatureText: '' });
                input.value = '';
              }}
            />
          </label>
        </div>
      )}
      {check.replaces ? <p class="notice notice-warn">Replaces {describeArtifact(check.replaces)}.</p> : null}
      {check.conflicts.map((conflict) => (
        <p class="notice notice-error" key={conflict}>
          {conflict}
        </p>
      ))}
      {check.missing.length && !uploading ? <p class="muted small">Still needed: {check.missing.map((piece) => MISSING_TEXT[piece]).join('; ')}.</p> : null}
      {progress ? (
        <div class="upload-progress">
          <progress aria-label="Upload progress" max={100} value={percentOf(progress)} />
          <span class="small" aria-live="polite">
            {PHASE_TEXT[progress.phase]}
            {progress.phase === 'verifying' ? '…' : ` ${percentOf(progress)}%`}
          </span>
          {controller && !controller.signal.aborted ? (
            <Button variant="quiet" aria-label={`Cancel ${name}`} onClick={props.onCancel}>
              Cancel
            </Button>
          ) : null}
        </div>
      ) : uploading && controller && !state.error ? (
        <div class="upload-progress">
          <span class="small muted">Waiting…</span>
          {!controller.signal.aborted ? (
            <Button variant="quiet" aria-label={`Cancel ${name}`} onClick={props.onCancel}>
              Cancel
            </Button>
          ) : null}
        </div>
      ) : null}
      {state.error ? <p class="notice notice-error" role="alert">{messageOf(state.error)}</p> : null}
    </li>
  );
}
