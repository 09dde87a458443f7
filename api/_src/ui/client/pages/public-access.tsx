/**
 * @module ui/client/pages/public-access
 * App settings' two switches for what the public may reach without a key (README "Installers and download links"):
 * the download page at /apps/{slug} (`download_page`) and, for a licensed app, its installers (`public_installers`).
 * Each switch saves itself at once through `PATCH /admin/apps/{app}`; a refusal puts it back and says why.
 */
import type { Child } from 'hono/jsx';
import { useState } from 'hono/jsx/dom';
import { downloadPageUrl } from '../../../protocol/endpoints.ts';
import { licensingSchema } from '../../../protocol/licensing.ts';
import { type AppBody, appSchema } from '../../../protocol/schemas.ts';
import { adminPath, api } from '../api.ts';
import { ErrorNotice, useAction, useLoad } from '../components.tsx';
import { licensingPaths } from '../licensing-api.ts';
import { useSession } from '../session.tsx';

type Setting = 'download_page' | 'public_installers';

function Switch(props: { id: string; label: string; checked: boolean; busy: boolean; onToggle(event: Event): void; children: Child }) {
  return (
    <div class="setting">
      <label class="check">
        <input
          type="checkbox"
          role="switch"
          name={props.id}
          checked={props.checked}
          disabled={props.busy}
          aria-describedby={`${props.id}-hint`}
          onChange={props.onToggle}
        />
        <strong>{props.label}</strong>
      </label>
      <div class="field-hint" id={`${props.id}-hint`}>
        {props.children}
      </div>
    </div>
  );
}

export function PublicAccessCard({ app }: { app: AppBody }) {
  const { session } = useSession();
  const [settings, setSettings] = useState({ download_page: app.download_page, public_installers: app.public_installers });
  const licensing = useLoad(() => api.get(licensingPaths(app.slug).mode, licensingSchema), [app.slug]);
  const { busy, error, run } = useAction();
  const pageUrl = downloadPageUrl(session.server.public_url, app.slug);

  const toggle = (setting: Setting) => (event: Event) => {
    const input = event.target as HTMLInputElement;
    const wanted = input.checked;
    return run(async () => {
      try {
        const saved = await api.patch(adminPath('apps', app.slug), { [setting]: wanted }, appSchema);
        setSettings({ download_page: saved.download_page, public_installers: saved.public_installers });
      } catch (failure) {
        // The state did not change, so nothing re-renders the box: put it back by hand.
        input.checked = !wanted;
        throw failure;
      }
    });
  };

  const mode = licensing.data?.mode;
  return (
    <section class="card stack" aria-labelledby="public-access-title">
      <h2 id="public-access-title">Public downloads</h2>
      <ErrorNotice error={error} />
      <Switch id="download-page" label="Public download page" checked={settings.download_page} busy={busy} onToggle={toggle('download_page')}>
        {settings.download_page ? (
          <>
            On: <a href={pageUrl}>{pageUrl}</a> shows the latest stable version, its notes and a button per installer.
          </>
        ) : (
          <>Off: /apps/{app.slug} answers 404. On, it shows the latest stable version and a download button per installer, without JavaScript.</>
        )}
      </Switch>
      <Switch id="public-installers" label="Installers open to everyone" checked={settings.public_installers} busy={busy} onToggle={toggle('public_installers')}>
        Only matters for licensed apps: on, anyone may download their installers (the /download/{app.slug}/latest links and the page above)
        without a license; updates still need one.{' '}
        {mode === 'licensed' ? (
          <strong>This app is licensed{settings.public_installers ? ': its installers are public.' : ': its installers need a license.'}</strong>
        ) : mode === 'open' ? (
          'This app is open, so its installers are public either way.'
        ) : null}
      </Switch>
      <ErrorNotice error={licensing.error} />
    </section>
  );
}
