/**
 * @module admin/principal
 * Who a request speaks for. There are two kinds, ADMIN_TOKEN and a row of `api_keys`, and one definition of each,
 * so a key presented in `Authorization` (auth.ts) and a dashboard session created from it (ui/session-cookie.ts)
 * resolve to the very same principal: same actor in the audit log, same scope, same app.
 */
import type { ApiKeyScope } from '../../../db/schema.ts';

export interface Principal {
  /** Written to the audit log: `key:<id>` or `token:ADMIN_TOKEN`. */
  actor: string;
  scope: ApiKeyScope;
  /** null: every app. */
  appId: string | null;
  keyId: string | null;
}

/** ADMIN_TOKEN: a global admin with no database row. */
export function adminTokenPrincipal(): Principal {
  return { actor: 'token:ADMIN_TOKEN', scope: 'admin', appId: null, keyId: null };
}

/** An API key, as its `api_keys` row has it (the caller has checked that it is not revoked). */
export function apiKeyPrincipal(key: { id: string; scope: ApiKeyScope; app_id: string | null }): Principal {
  return { actor: `key:${key.id}`, scope: key.scope, appId: key.app_id, keyId: key.id };
}
