/**
 * @module ui/client/pages/release-fields
 * The fields a release is edited with, shared by the new-release page, the draft form and the release actions: the
 * checks that mirror the server's (version by its own semver parser, channel, minimum version), the Markdown notes
 * with a sanitised live preview, the channel input with the app's channels, and the rollout number and slider.
 */
import type { Child } from 'hono/jsx';
import type { ChannelBody } from '../../../protocol/schemas.ts';
import { DEFAULT_CHANNEL, RELEASE_CHANNEL_PATTERN, RELEASE_CHANNEL_RULE } from '../../../protocol/channels.ts';
import { MAX_RELEASE_NOTES_LENGTH, MAX_VERSION_LENGTH } from '../../../protocol/release-rules.ts';
import { compareVersions, formatVersion, safeParseVersion } from '../../../protocol/semver.ts';
import { Field, valueOf } from '../components.tsx';
import { renderMarkdown } from '../markdown.ts';
import { rolloutOfText } from '../rollout-text.ts';

/** The server's own message for a bad version (releaseVersionSchema), or null when it accepts it. */
export function versionProblem(text: string): string | null {
  if (!text) return 'enter a version, e.g. 1.2.0';
  if (text.length > MAX_VERSION_LENGTH) return `at most ${MAX_VERSION_LENGTH} characters`;
  const parsed = safeParseVersion(text);
  return parsed.success ? null : `not a semantic version: ${parsed.error}`;
}

export function channelProblem(text: string): string | null {
  return RELEASE_CHANNEL_PATTERN.test(text) ? null : RELEASE_CHANNEL_RULE;
}

export function minimumProblem(text: string, version: string): string | null {
  if (!text) return null;
  const minimum = safeParseVersion(text);
  if (!minimum.success) return `not a semantic version: ${minimum.error}`;
  const own = safeParseVersion(version);
  if (own.success && compareVersions(minimum.version, own.version) > 0) {
    return `min_supported_version ${formatVersion(minimum.version)} is higher than the release's own version ${formatVersion(own.version)}`;
  }
  return null;
}

/** "v1.2.0 is saved as 1.2.0" when the server will normalise what was typed. */
export function normalisedHint(text: string): string | null {
  const parsed = safeParseVersion(text);
  if (!parsed.success) return null;
  const canonical = formatVersion(parsed.version);
  return canonical === text ? null : `saved as ${canonical}`;
}

/** Notes longer than the API stores, said as they are typed rather than by a refused save. */
export function notesProblem(text: string): string | null {
  if (text.length <= MAX_RELEASE_NOTES_LENGTH) return null;
  const count = (n: number) => n.toLocaleString('en-US');
  return `at most ${count(MAX_RELEASE_NOTES_LENGTH)} characters: these have ${count(text.length)} (${count(text.length - MAX_RELEASE_NOTES_LENGTH)} too many)`;
}

export const inputValue = (event: Event) => valueOf(event);

/** The Markdown notes and their hint; the field shows `notesProblem` once the text is too long. */
export function NotesField({ value, onInput }: { value: string; onInput(value: string): void }) {
  const problem = notesProblem(value);
  return (
    <>
      <Field label="Notes" error={problem}>
        <textarea name="notes" rows={10} aria-describedby="notes-hint" aria-invalid={problem ? 'true' : undefined} value={value} onInput={(event: Event) => onInput(inputValue(event))} />
      </Field>
      <NotesHint />
    </>
  );
}

/** Outside the label, so the field's accessible name is exactly "Notes". */
export function NotesHint() {
  return (
    <p id="notes-hint" class="field-hint notes-hint">
      Markdown, shown to users by the app. Raw HTML is shown as text.
    </p>
  );
}

export function NotesPreview({ notes }: { notes: string }) {
  const html = renderMarkdown(notes);
  return (
    <section class="card notes-preview" role="region" aria-label="Notes preview">
      <h2 class="small muted">Preview</h2>
      {html ? (
        // The only unescaped HTML on the page: markdown.ts output, which escapes raw HTML and refuses script links.
        <div class="markdown" dangerouslySetInnerHTML={{ __html: html }} />
      ) : (
        <p class="muted">Nothing to preview yet. Notes are Markdown; clients receive them as the update's notes.</p>
      )}
    </section>
  );
}

export function ChannelInput({ value, channels, onInput }: { value: string; channels: ChannelBody[] | undefined; onInput(value: string): void }) {
  return (
    <Field label="Channel" error={channelProblem(value)} hint="Installs on this channel (and channels that follow it) are offered the release.">
      <input name="channel" list="release-channels" autocomplete="off" spellcheck={false} value={value} onInput={(event: Event) => onInput(inputValue(event))} />
      <datalist id="release-channels">
        {[...new Set([DEFAULT_CHANNEL, ...(channels ?? []).map((channel) => channel.name)])].map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
    </Field>
  );
}

/** Number input and slider kept in step; only the number input carries the "Rollout percentage" label. */
export function RolloutInput({ value, onInput, hint }: { value: number; onInput(value: number): void; hint?: Child }) {
  const set = (event: Event) => {
    const input = event.target as HTMLInputElement;
    const rollout = rolloutOfText(input.value);
    if (rollout === null) return;
    // 150 is kept as 100: show that, or the field would say 150 while 100 is saved.
    if (String(rollout) !== input.value.trim()) input.value = String(rollout);
    onInput(rollout);
  };
  // A field left empty (or unreadable) shows the value that stands when the user moves on.
  const restore = (event: Event) => {
    const input = event.target as HTMLInputElement;
    if (rolloutOfText(input.value) === null) input.value = String(value);
  };
  return (
    <div class="rollout-input">
      <Field label="Rollout percentage" hint={hint}>
        <input type="number" name="rollout_percent" min={0} max={100} step={1} inputMode="numeric" value={value} onInput={set} onBlur={restore} />
      </Field>
      <input type="range" min={0} max={100} step={1} value={value} aria-label="Rollout slider" onInput={set} />
    </div>
  );
}
