/**
 * @module ui/client/rollout-text
 * What a typed rollout percentage means. An empty or unreadable field means nothing yet (the user is still typing),
 * never 0%: `Number('')` is 0, so clearing the field to type a new number snapped it to "offered to no one".
 * Out-of-range numbers are brought into 0–100 and the field is shown what was kept.
 */

/** The whole percentage `text` asks for, within 0–100; null while the field holds no number. */
export function rolloutOfText(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const number = Math.round(Number(trimmed));
  return Number.isFinite(number) ? Math.min(100, Math.max(0, number)) : null;
}
