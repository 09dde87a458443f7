/**
 * @module ui/client/drop-zone
 * Where files enter the artifacts panel: dropped onto the zone or picked with "Choose files", with a line on where
 * they go (straight to the bucket, or streamed to the server).
 */
import { useState } from 'hono/jsx/dom';

export function DropZone({ storage, disabled, onFiles }: { storage: 'fs' | 's3'; disabled: boolean; onFiles(files: FileList | null | undefined): void }) {
  const [dragging, setDragging] = useState(false);
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    onFiles(event.dataTransfer?.files);
  };
  const onDragOver = (event: DragEvent) => {
    if (!event.dataTransfer?.types.includes('Files')) return;
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = disabled ? 'none' : 'copy';
    setDragging(true);
  };
  const onDragLeave = (event: DragEvent) => {
    const zone = event.currentTarget as HTMLElement;
    if (!(event.relatedTarget instanceof Node && zone.contains(event.relatedTarget))) setDragging(false);
  };
  return (
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
          disabled={disabled}
          onChange={(event: Event) => {
            const input = event.target as HTMLInputElement;
            onFiles(input.files);
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
  );
}
