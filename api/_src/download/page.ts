/**
 * @module download/page
 * `GET /apps/{app}`: an app's public download page, when its admin turned it on (`download_page`): the latest
 * stable version, its notes, and one button per OS (per architecture and installer kind), each a link to the file
 * under /download, which counts it. No JavaScript, no stylesheet or font from elsewhere (it works under
 * `default-src 'none'`); every text is escaped. The visitor's OS, guessed from the User-Agent, is listed first and
 * its main button is marked; the others stay one click away, since a User-Agent can be wrong (a Mac with Apple
 * silicon says "Intel"), so both Mac architectures are always shown.
 * A licensed app's page needs its installers opened to everyone (`public_installers`), as the latest links do.
 */
import { Hono } from 'hono';
import { escapeHtml } from '../docs/html.ts';
import type { AppDeps } from '../deps.ts';
import { errorResponse, notFound } from '../http/errors.ts';
import { DEFAULT_INSTALLER_PREFERENCE, type InstallerKind } from '../protocol/installers.ts';
import { type Architecture, ARCHITECTURES, type OperatingSystem } from '../protocol/platforms.ts';
import type { AppSnapshot } from '../update/snapshot.ts';
import { withoutTrailingSlash } from './trailing-slash.ts';
import { assertInstallersPublic, isStable, latestInstaller, type LatestInstaller } from './latest.ts';

const OS_NAMES: Record<OperatingSystem, string> = { darwin: 'macOS', windows: 'Windows', linux: 'Linux' };
const DISPLAY_ORDER: readonly OperatingSystem[] = ['darwin', 'windows', 'linux'];
/** Most Macs sold since 2021 have Apple silicon; elsewhere x86-64 is the common case. */
const archOrder = (os: OperatingSystem): readonly Architecture[] =>
  os === 'darwin' ? ['aarch64', ...ARCHITECTURES.filter((arch) => arch !== 'aarch64')] : ARCHITECTURES;
const ARCH_NAMES: Record<string, Partial<Record<OperatingSystem, string>>> = {
  aarch64: { darwin: 'Apple silicon', windows: 'ARM64', linux: 'ARM64' },
  x86_64: { darwin: 'Intel', windows: '64-bit', linux: 'x86-64' },
  i686: { windows: '32-bit', linux: 'x86 32-bit' },
  armv7: { linux: 'ARMv7' },
  riscv64: { linux: 'RISC-V' },
};
const KIND_NAMES: Record<InstallerKind, string> = {
  dmg: 'Disk image (.dmg)',
  nsis: 'Installer (.exe)',
  msi: 'Windows Installer (.msi)',
  appimage: 'AppImage',
  deb: 'Debian, Ubuntu (.deb)',
  rpm: 'Fedora, openSUSE (.rpm)',
};

/** The visitor's OS from its User-Agent, or null (phones, bots, unknown). */
export function osFromUserAgent(userAgent: string | undefined): OperatingSystem | null {
  if (!userAgent || /Android|iPhone|iPad|iPod/i.test(userAgent)) return null;
  if (/Windows/i.test(userAgent)) return 'windows';
  if (/Macintosh|Mac OS X/i.test(userAgent)) return 'darwin';
  if (/Linux|X11|CrOS/i.test(userAgent)) return 'linux';
  return null;
}

interface Offer extends LatestInstaller {
  os: OperatingSystem;
  archLabel: string;
}

function offersFor(snapshot: AppSnapshot, os: OperatingSystem): Offer[] {
  const offers: Offer[] = [];
  for (const arch of archOrder(os)) {
    for (const kind of DEFAULT_INSTALLER_PREFERENCE[os]) {
      const found = latestInstaller(snapshot, { os, arch }, kind);
      if (found) offers.push({ ...found, os, archLabel: ARCH_NAMES[arch]?.[os] ?? arch });
    }
  }
  return offers;
}

const STYLE = `
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d232b;background:#f5f7fa}
main{max-width:46rem;margin:0 auto;padding:2.5rem 1.25rem}
h1{font-size:2rem;margin:0 0 .25rem}h2{font-size:1.2rem;margin:0 0 .75rem}
.version{color:#4c5866;margin:0 0 1.5rem}
section{background:#fff;border:1px solid #dde3ea;border-radius:.75rem;padding:1.25rem;margin:0 0 1rem}
section.suggested{border-color:#2f6fdb;box-shadow:0 0 0 2px #2f6fdb33}
.hint{font-size:.85rem;font-weight:600;color:#2f6fdb;margin:0 0 .5rem}
ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.6rem}
a.button{display:inline-block;padding:.6rem 1rem;border-radius:.5rem;border:1px solid #2f6fdb;color:#2f6fdb;text-decoration:none;font-weight:600}
a.button.primary{background:#2f6fdb;color:#fff}
a.button:focus-visible{outline:3px solid #f0b400;outline-offset:2px}
.file{display:block;font-size:.8rem;font-weight:400;opacity:.85}
.notes{white-space:pre-wrap;overflow-wrap:anywhere}
.none{color:#4c5866}
`;

/**
 * Why no button is offered, as precisely as the published releases allow: a page that says "nothing published" while
 * betas are out sends the visitor away misinformed. Only stable installers are linked, as by the latest links.
 */
function nothingOffered(snapshot: AppSnapshot): string {
  const [newest] = snapshot.releases;
  if (!newest) return 'No version has been published yet.';
  const stable = snapshot.releases.find(isStable);
  if (stable) return `Version ${stable.versionText} has no installer to download yet.`;
  if (newest.prerelease || newest.channel !== 'stable') {
    const what = newest.channel === 'stable' ? 'a pre-release' : `on the ${newest.channel} channel`;
    return `No stable version has been published yet; the newest, ${newest.versionText}, is ${what}.`;
  }
  return 'No stable version has been released to everyone yet.';
}

export function renderDownloadPage(snapshot: AppSnapshot, name: string, publicUrl: string, userAgent: string | undefined): string {
  const suggested = osFromUserAgent(userAgent);
  const order = suggested ? [suggested, ...DISPLAY_ORDER.filter((os) => os !== suggested)] : DISPLAY_ORDER;
  const offers = order.map((os) => ({ os, offers: offersFor(snapshot, os) })).filter((group) => group.offers.length > 0);
  const all = offers.flatMap((group) => group.offers);
  // The version the page leads with: the newest any button offers (a platform missing from it keeps its own).
  const newest = all.reduce<LatestInstaller | null>((best, offer) => (best === null || snapshot.releases.indexOf(offer.release) < snapshot.releases.indexOf(best.release) ? offer : best), null);
  const link = (offer: Offer) =>
    `${publicUrl}/download/${snapshot.app.slug}/${encodeURIComponent(offer.release.versionText)}/${encodeURIComponent(offer.artifact.fileName)}`;
  const sections = offers.map(({ os, offers: list }) => {
    const isSuggested = os === suggested;
    const buttons = list.map((offer, index) => {
      const other = newest && offer.release !== newest.release ? ` (version ${escapeHtml(offer.release.versionText)})` : '';
      const primary = isSuggested && index === 0 ? ' primary' : '';
      return (
        `<li><a class="button${primary}" href="${escapeHtml(link(offer))}" download>` +
        `${escapeHtml(OS_NAMES[os])} · ${escapeHtml(offer.archLabel)}${other}` +
        `<span class="file">${escapeHtml(KIND_NAMES[offer.kind])}</span></a></li>`
      );
    });
    return (
      `<section${isSuggested ? ' class="suggested"' : ''} aria-labelledby="os-${os}">` +
      (isSuggested ? '<p class="hint">Suggested for your computer</p>' : '') +
      `<h2 id="os-${os}">${escapeHtml(OS_NAMES[os])}</h2><ul>${buttons.join('')}</ul></section>`
    );
  });
  const notes = newest?.release.notes ? `<section aria-labelledby="notes"><h2 id="notes">What's new</h2><div class="notes">${escapeHtml(newest.release.notes)}</div></section>` : '';
  const body = newest
    ? `<p class="version">Version ${escapeHtml(newest.release.versionText)} · ${escapeHtml(newest.release.pubDate.slice(0, 10))}</p>${sections.join('')}${notes}`
    : `<p class="none">${escapeHtml(nothingOffered(snapshot))}</p>`;
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>Download ${escapeHtml(name)}</title><style>${STYLE}</style></head>` +
    `<body><main><h1>Download ${escapeHtml(name)}</h1>${body}</main></body></html>`
  );
}

export function downloadPageRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  app.use('/:app/', async (c, next) => withoutTrailingSlash(c, deps.config.publicUrl, 2) ?? (await next()));
  app.get('/:app', async (c) => {
    try {
      const slug = c.req.param('app');
      const snapshot = await deps.releaseCache.lookup(slug);
      if (!snapshot || !snapshot.app.downloadPage) {
        throw notFound(`no download page for ${JSON.stringify(slug.slice(0, 100))}; an admin turns it on with PATCH /admin/apps/{app} {"download_page": true}`);
      }
      assertInstallersPublic(snapshot);
      const html = renderDownloadPage(snapshot, snapshot.app.name, deps.config.publicUrl, c.req.header('user-agent'));
      return c.body(html, 200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'public, max-age=60',
        vary: 'User-Agent',
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      });
    } catch (error) {
      return errorResponse(error, c);
    }
  });
  return app;
}
