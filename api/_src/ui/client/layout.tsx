/**
 * @module ui/client/layout
 * The frame around every signed-in page: a skip link, the top bar (app switcher, global sections, sign-out), and for
 * pages inside one app, that app's tabs. The app list is fetched once per session and shared through `AppsContext`.
 */
import type { Child } from 'hono/jsx';
import { createContext, useContext } from 'hono/jsx/dom';
import { type AppBody, appListSchema } from '../../protocol/schemas.ts';
import { api } from './api.ts';
import { Button, useLoad, valueOf } from './components.tsx';
import { Link, navigate, uiPath, usePath } from './router.tsx';
import { useSession } from './session.tsx';

export interface AppsState {
  apps: AppBody[] | undefined;
  error: unknown;
  /** Re-fetch after creating, editing or deleting an app. */
  reload(): void;
}

export const AppsContext = createContext<AppsState>({ apps: undefined, error: null, reload: () => {} });
export const useApps = () => useContext(AppsContext);

export function AppsProvider({ children }: { children: Child }) {
  const { data, error, reload } = useLoad(() => api.get('/admin/apps', appListSchema).then((body) => body.apps), []);
  return <AppsContext.Provider value={{ apps: data, error, reload }}>{children}</AppsContext.Provider>;
}

/** The app's slug from `/ui/apps/:app/…`, if the page is inside one. */
function currentAppSlug(path: string): string | null {
  const match = /^\/ui\/apps\/([^/]+)/.exec(path);
  if (!match || match[1] === 'new') return null;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return null;
  }
}

function AppSwitcher({ current }: { current: string | null }) {
  const { apps } = useApps();
  if (!apps || apps.length === 0) return null;
  return (
    <label class="switcher">
      <span class="visually-hidden">App</span>
      <select
        onChange={(event: Event) => {
          const slug = valueOf(event);
          navigate(slug ? uiPath('apps', slug) : '/ui');
        }}
      >
        <option value="" selected={current === null}>
          All apps
        </option>
        {apps.map((app) => (
          <option key={app.id} value={app.slug} selected={app.slug === current}>
            {app.name}
          </option>
        ))}
      </select>
    </label>
  );
}

function NavLink({ href, children, exact }: { href: string; children: Child; exact?: boolean }) {
  const path = usePath();
  const active = exact ? path === href : path === href || path.startsWith(`${href}/`);
  return (
    <Link href={href} class={active ? 'nav-link active' : 'nav-link'} aria-current={active ? 'page' : undefined}>
      {children}
    </Link>
  );
}

export function AppTabs({ slug }: { slug: string }) {
  const base = uiPath('apps', slug);
  return (
    <nav class="tabs" aria-label="App sections">
      <NavLink href={base} exact>
        Releases
      </NavLink>
      <NavLink href={`${base}/insight`}>Insight</NavLink>
      <NavLink href={`${base}/access`}>Publishers &amp; keys</NavLink>
      <NavLink href={`${base}/licensing`}>Licensing</NavLink>
      <NavLink href={`${base}/settings`}>Settings</NavLink>
    </nav>
  );
}

export function Layout({ children }: { children: Child }) {
  const { session, signOut } = useSession();
  const path = usePath();
  const slug = currentAppSlug(path);
  const global = session.principal.app === null;
  return (
    <div class="layout">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <Link href="/ui" class="brand">
          tauri-release
        </Link>
        <AppSwitcher current={slug} />
        <nav class="topnav" aria-label="Sections">
          <NavLink href="/ui" exact>
            Apps
          </NavLink>
          {global ? <NavLink href="/ui/keys">API keys</NavLink> : null}
          <NavLink href="/ui/audit">Audit log</NavLink>
        </nav>
        <span class="who" title={session.principal.actor}>
          {session.principal.app ? `Key for ${session.principal.app.slug}` : 'Global admin'}
        </span>
        <Button variant="quiet" onClick={() => void signOut()}>
          Sign out
        </Button>
      </header>
      {slug ? <AppTabs slug={slug} /> : null}
      <main id="main" class="content" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
