/**
 * @module ui/client/markdown
 * Release notes as HTML for the dashboard's preview. The only HTML string any page puts into the DOM unescaped, so
 * it is made safe here: markdown-it with `html: false` escapes raw HTML (`<script>` shows as text), its default
 * `validateLink` refuses javascript:, vbscript:, file: and non-image data: URLs (such a link stays plain text), and
 * every link opens with rel="noopener noreferrer" so a target page cannot reach back into the dashboard.
 */
import MarkdownIt from 'markdown-it';

const markdown = new MarkdownIt({ html: false, linkify: true, typographer: false });

markdown.renderer.rules.link_open = (tokens, index, options, _env, self) => {
  const token = tokens[index]!;
  token.attrSet('rel', 'noopener noreferrer');
  token.attrSet('target', '_blank');
  return self.renderToken(tokens, index, options);
};

/** Sanitised HTML for `notes`; empty for null or blank notes. */
export function renderMarkdown(notes: string | null | undefined): string {
  if (!notes || !notes.trim()) return '';
  return markdown.render(notes);
}
