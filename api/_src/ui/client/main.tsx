/**
 * @module ui/client/main
 * The dashboard's entry: restores the session (or shows sign-in), then renders the page the URL names. Pages are
 * plain components from ./pages, each given its route parameters.
 */
import type { Child } from 'hono/jsx';
import { render, useEffect, useRef, useState } from 'hono/jsx/dom';
import { onSignedOut } from './api.ts';
import { Button, ErrorNotice, Loading, messageOf, toast, Toasts } from './components.tsx';
import { AppsProvider, Layout } from './layout.tsx';
import { AccessPage } from './pages/access.tsx';
import { AppCreatePage, AppsPage } from './pages/apps.tsx';
import { AppSettingsPage } from './pages/app-settings.tsx';
import { AuditPage } from './pages/audit.tsx';
import { InsightPage } from './pages/insight.tsx';
import { KeysPage } from './pages/keys.tsx';
import { LicensePage } from './pages/license.tsx';
import { LicensingPage } from './pages/licensing.tsx';
import { NotFoundPage } from './pages/not-found.tsx';
import { ReleaseCreatePage } from './pages/release-create.tsx';
import { ReleaseEditorPage } from './pages/release-editor.tsx';
import { ReleasesPage } from './pages/releases.tsx';
import { matchPath, navigate, type PageProps, uiPath, usePath } from './router.tsx';
import { endSession, loadSession, SessionContext, type SessionInfo, SignInPage } from './session.tsx';

/** Most specific first: `/ui/apps/new` before `/ui/apps/:app`. */
const ROUTES: { pattern: string; title: string; page: (props: PageProps) => Child }[] = [
  { pattern: '/ui', title: 'Apps', page: AppsPage },
  { pattern: '/ui/apps/new', title: 'New app', page: AppCreatePage },
  { pattern: '/ui/apps/:app', title: 'Releases', page: ReleasesPage },
  { pattern: '/ui/apps/:app/settings', title: 'Settings', page: AppSettingsPage },
  { pattern: '/ui/apps/:app/releases/new', title: 'New release', page: ReleaseCreatePage },
  { pattern: '/ui/apps/:app/releases/:release', title: 'Release', page: ReleaseEditorPage },
  { pattern: '/ui/apps/:app/access', title: 'Publishers & keys', page: AccessPage },
  { pattern: '/ui/apps/:app/insight', title: 'Insight', page: InsightPage },
  { pattern: '/ui/apps/:app/licensing', title: 'Licensing', page: LicensingPage },
  { pattern: '/ui/apps/:app/licensing/:license', title: 'License', page: LicensePage },
  { pattern: '/ui/keys', title: 'API keys', page: KeysPage },
  { pattern: '/ui/audit', title: 'Audit log', page: AuditPage },
];

function CurrentPage() {
  const path = usePath();
  for (const route of ROUTES) {
    const params = matchPath(route.pattern, path);
    if (params) {
      document.title = `${params.app ? `${params.app} · ` : ''}${route.title} · tauri-release`;
      const Page = route.page;
      // Keyed by path: moving between two releases starts the page afresh.
      return <Page key={path} params={params} />;
    }
  }
  document.title = 'Not found · tauri-release';
  return <NotFoundPage params={{}} />;
}

function Dashboard() {
  const [session, setSession] = useState<SessionInfo | null | undefined>(undefined);
  const [expired, setExpired] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // Read by the 401 listener, registered once: a wrong key at sign-in is a 401 too, but no session ended.
  const signedIn = useRef(false);
  signedIn.current = Boolean(session);

  const load = () => {
    setError(null);
    loadSession().then(setSession, setError);
  };
  useEffect(() => {
    load();
    return onSignedOut(() => {
      if (!signedIn.current) return;
      setExpired(true);
      setSession(null);
    });
  }, []);

  if (error) {
    return (
      <main class="signin">
        <ErrorNotice error={error} />
        <Button variant="primary" onClick={load}>
          Try again
        </Button>
      </main>
    );
  }
  if (session === undefined) return <main class="signin"><Loading /></main>;
  if (session === null) {
    return (
      <SignInPage
        expired={expired}
        onSignedIn={(next) => {
          setExpired(false);
          setSession(next);
          // A key scoped to one app has nothing else to see.
          if (next.principal.app && location.pathname === '/ui') navigate(uiPath('apps', next.principal.app.slug), { replace: true });
        }}
      />
    );
  }
  const signOut = async () => {
    try {
      await endSession();
    } catch (failure) {
      // Showing the sign-in page now would leave a live session in this browser that the user believes ended.
      toast(`Not signed out: ${messageOf(failure)}. This browser is still signed in; sign out again.`, 'error');
      return;
    }
    setExpired(false);
    setSession(null);
    navigate('/ui', { replace: true });
  };
  return (
    <SessionContext.Provider value={{ session, signOut }}>
      <AppsProvider key={session.csrf_token}>
        <Layout>
          <CurrentPage />
        </Layout>
      </AppsProvider>
    </SessionContext.Provider>
  );
}

render(
  <>
    <Dashboard />
    <Toasts />
  </>,
  document.getElementById('root')!,
);
