/**
 * @module ui/client/artifacts
 * The release editor's artifacts panel: the release's artifacts with their signature verification state, and, for a
 * draft, a drop zone (or "Choose files") that queues files with their `.sig`, asks for what the file name does not
 * tell, and uploads them one after another with a progress bar each (upload.ts picks the path the storage allows).
 * Uploading to a slot that has an artifact replaces it, after a confirmation naming it; delete confirms too. The
 * table (artifact-table.tsx), the drop zone (drop-zone.tsx) and each queued file (upload-queue-item.tsx) are their own
 * components; this one holds the queue and runs the uploads.
 */
import { useState } from 'hono/jsx/dom';
import type { AppBody, ArtifactBody, ReleaseBody } from '../../protocol/schemas.ts';
import { adminPath, api } from './api.ts';
import { ArtifactTable } from './artifact-table.tsx';
import { Button, ConfirmDialog, EmptyState, useToast } from './components.tsx';
import { DropZone } from './drop-zone.tsx';
import { useSession } from './session.tsx';
import { isCancelled, uploadArtifact } from './upload.ts';
import { checkItem, describeArtifact, type ItemCheck, planFiles } from './upload-plan.ts';
import { type QueuedFile, type QueuedFileState, QueuedItem } from './upload-queue-item.tsx';

export function ArtifactsPanel({ app, release, onChange }: { app: AppBody; release: ReleaseBody; onChange(): void }) {
  const { session } = useSession();
  const storage = session.server.storage;
  const toast = useToast();
  const editable = release.status === 'draft';
  const artifacts = release.artifacts;

  const [queue, setQueue] = useState<QueuedFile[]>([]);
  const [problems, setProblems] = useState<string[]>([]);
  const [states, setStates] = useState<Record<string, QueuedFileState>>({});
  const [controllers, setControllers] = useState<Record<string, AbortController>>({});
  const [uploading, setUploading] = useState(false);
  const [confirmReplace, setConfirmReplace] = useState<{ item: QueuedFile; replaces: ArtifactBody }[] | null>(null);
  const [deleting, setDeleting] = useState<ArtifactBody | null>(null);

  const checks = new Map<QueuedFile, ItemCheck>(queue.map((item) => [item, checkItem(item, queue, artifacts)]));
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
  const update = (key: string, change: Partial<QueuedFile>) => setQueue((items) => items.map((item) => (item.key === key ? { ...item, ...change } : item)));
  const remove = (key: string) => setQueue((items) => items.filter((item) => item.key !== key));
  const setState = (key: string, state: QueuedFileState) => setStates((all) => ({ ...all, [key]: state }));

  const run = async (items: QueuedFile[]) => {
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
          <DropZone storage={storage} disabled={uploading} onFiles={addFiles} />
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
