/**
 * @module billing/claim-page
 * The pages of `/claim/{token}`: one offering to reveal the key (a GET only shows it, so a mail scanner that
 * follows links does not use the claim up), the key itself once revealed, and "no such claim". Self-contained
 * HTML under `CLAIM_HEADERS`: no scripts, nothing from elsewhere, never cached, never indexed, no Referer.
 */
import { escapeHtml } from '../docs/html.ts';

export const CLAIM_HEADERS: Record<string, string> = {
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Robots-Tag': 'noindex, nofollow',
  'X-Content-Type-Options': 'nosniff',
};

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2328}code{display:block;font-size:1.2rem;background:#f1f3f5;padding:.75rem;border-radius:4px;user-select:all;word-break:break-all}button{font:inherit;padding:.5rem 1rem}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

export function offerPage(appName: string): string {
  return page(`Your ${appName} license`, `<h1>Your ${escapeHtml(appName)} license</h1>
<p>Your license key is ready. It can be shown <strong>once</strong>: have somewhere to keep it before you press the button.</p>
<form method="post"><button type="submit">Show my license key</button></form>`);
}

export function keyPage(appName: string, key: string, expiresAt: Date | null): string {
  const until = expiresAt ? `<p>Updates are included until ${escapeHtml(expiresAt.toISOString().slice(0, 10))}.</p>` : '';
  return page(`Your ${appName} license`, `<h1>Your ${escapeHtml(appName)} license key</h1>
<code>${escapeHtml(key)}</code>
<p>Copy it now and paste it into ${escapeHtml(appName)}. This page will not show it again, and we do not keep a copy.</p>
${until}`);
}

export function goneHtml(): string {
  return page('No such license claim', `<h1>This link has no license key</h1>
<p>Each link shows its key once and only for 7 days: it was used already, it expired, or it is mistyped. Ask the seller for a new key.</p>`);
}
