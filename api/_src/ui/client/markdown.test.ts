import { describe, expect, it } from '@jest/globals';
import { renderMarkdown } from './markdown.ts';

describe('renderMarkdown', () => {
  it('shows raw HTML as text instead of running it', () => {
    const html = renderMarkdown('<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=alert(2)&gt;');
  });

  it('escapes HTML inside inline text as well', () => {
    expect(renderMarkdown('Fixed <b onclick="x()">this</b>')).toBe('<p>Fixed &lt;b onclick=&quot;x()&quot;&gt;this&lt;/b&gt;</p>\n');
  });

  it.each(['javascript:alert(1)', 'JavaScript:alert(1)', 'vbscript:msgbox(1)', 'data:text/html;base64,PHNjcmlwdD4='])(
    'does not make a link of [x](%s)',
    (url) => {
      const html = renderMarkdown(`[x](${url})`);
      expect(html).not.toContain('<a');
      expect(html).not.toMatch(/href=/);
    },
  );

  it('gives links rel="noopener noreferrer"', () => {
    expect(renderMarkdown('[changelog](https://example.com/changes)')).toBe(
      '<p><a href="https://example.com/changes" rel="noopener noreferrer" target="_blank">changelog</a></p>\n',
    );
    expect(renderMarkdown('see https://example.com')).toContain('rel="noopener noreferrer"');
  });

  it('renders headings, lists, emphasis and code', () => {
    const html = renderMarkdown('## Fixes\n\n- one *two*\n- `three`\n\n```\nlet x = 1 < 2;\n```\n');
    expect(html).toBe(
      '<h2>Fixes</h2>\n<ul>\n<li>one <em>two</em></li>\n<li><code>three</code></li>\n</ul>\n<pre><code>let x = 1 &lt; 2;\n</code></pre>\n',
    );
  });

  it('renders nothing for empty notes', () => {
    expect(renderMarkdown(null)).toBe('');
    expect(renderMarkdown('  \n')).toBe('');
  });
});
