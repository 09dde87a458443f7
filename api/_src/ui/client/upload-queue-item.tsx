/**
 * @module ui/client/upload-queue-item
 * One file queued for upload in the artifacts panel: its platform, bundle and default flag, its signature (the `.sig`
 * file or pasted text), what it still needs or conflicts with, and its progress, cancel button and error.
 */
import { ALL_PLATFORM_KEYS, BUNDLE_TYPES, type BundleType, DEFAULT_BUNDLE_PREFERENCE, type PlatformKey } from '../../protocol/platforms.ts';
import { Button, Field, formatBytes, messageOf, valueOf } from './components.tsx';
import type { UploadProgress } from './upload.ts';
import { describeArtifact, type ItemCheck, MISSING_TEXT, type PlannedUpload } from './upload-plan.ts';

export type QueuedFile = PlannedUpload<File>;

export interface QueuedFileState {
  progress?: UploadProgress;
  error?: unknown;
}

const PHASE_TEXT: Record<UploadProgress['phase'], string> = { hashing: 'Hashing', uploading: 'Uploading', verifying: 'Checking the signature' };

const percentOf = (progress: UploadProgress) => (progress.total > 0 ? Math.min(100, Math.floor((progress.loaded / progress.total) * 100)) : 100);

export function QueuedItem(props: {
  item: QueuedFile;
  check: ItemCheck;
  state: QueuedFileState;
  storage: 'fs' | 's3';
  uploading: boolean;
  controller: AbortController | undefined;
  onUpdate(change: Partial<QueuedFile>): void;
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
