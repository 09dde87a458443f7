/**
 * @module ui/client/session
 * Who is signed in. The API key is sent once, to `POST /ui/session`, and never kept by the page: the server answers
 * with an HttpOnly cookie and the CSRF token that this module hands to `api.ts`.
 */
import { createContext, useContext, useState } from 'hono/jsx/dom';
import { type SessionView, sessionViewSchema } from '../../protocol/ui-session.ts';
import { api, ApiFailure, setCsrfToken } from './api.ts';
import { Button, ErrorNotice, Field, useAction, valueOf } from './components.tsx';

/** What `/ui/session` answers: the CSRF token, who is signed in, and how this server stores uploads. */
export type SessionInfo = SessionView;

export interface SessionState {
  session: SessionInfo;
  signOut(): Promise<void>;
}

export const SessionContext = createContext<SessionState | null>(null);

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSession outside a signed-in page');
  return state;
}

/** The current session, or null when there is none (GET /ui/session answers 204). */
export async function loadSession(): Promise<SessionInfo | null> {
  const session = await api.get('/ui/session', sessionViewSchema.optional());
  setCsrfToken(session?.csrf_token ?? null);
  return session ?? null;
}

/**
 * Ends the session on the server. Throws when the server did not end it (down, 5xx): the cookie still works then,
 * so the page must stay signed in, CSRF token and all, for the user to try again. A 401 means it had already ended.
 */
export async function endSession(): Promise<void> {
  try {
    await api.delete('/ui/session');
  } catch (error) {
    if (!(error instanceof ApiFailure && error.status === 401)) throw error;
  }
  setCsrfToken(null);
}

export function SignInPage({ onSignedIn, expired }: { onSignedIn(session: SessionInfo): void; expired?: boolean }) {
  const [key, setKey] = useState('');
  const { busy, error, dismiss, run } = useAction();

  const submit = (event: Event) => {
    event.preventDefault();
    return run(async () => {
      await api.post('/ui/session', { key: key.trim() });
      // Read back through the cookie: a browser that refused it (a Secure cookie on plain http) would otherwise
      // look signed in until the first request failed.
      const session = await loadSession();
      if (!session) {
        throw new Error('your browser did not keep the session cookie: outside localhost the dashboard must be opened over HTTPS');
      }
      setKey('');
      onSignedIn(session);
    });
  };

  return (
    <main class="signin" id="main">
      <form class="card signin-card" onSubmit={submit} onInput={dismiss}>
        <h1>tauri-release</h1>
        <p class="muted">Sign in with an admin API key. The key is exchanged for a session cookie and is not stored by this page.</p>
        {/* Once a sign-in attempt fails, its own reason is the one to read. */}
        {expired && !error ? <p class="notice" role="status">Your session ended. Sign in again to continue.</p> : null}
        <ErrorNotice error={error} />
        <Field label="Admin API key" hint="Printed by the server on first start, or created under API keys.">
          <input
            type="password"
            name="key"
            autocomplete="off"
            spellcheck={false}
            required
            value={key}
            onInput={(event: Event) => setKey(valueOf(event))}
          />
        </Field>
        <Button type="submit" variant="primary" busy={busy} disabled={!key.trim()}>
          Sign in
        </Button>
      </form>
    </main>
  );
}
