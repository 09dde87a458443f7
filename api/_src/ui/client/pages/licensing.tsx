/**
 * @module ui/client/pages/licensing
 * `/ui/apps/:app/licensing`: whether the app's updates need a license (its mode, switched after a confirmation
 * that says what switching does), its policies (license-policies.tsx), the payment providers that sell them
 * (integrations.tsx) and its licenses (licenses.tsx).
 */
import { useState } from 'hono/jsx/dom';
import { type LicensingMode, licensingSchema, policyListSchema } from '../../../protocol/licensing.ts';
import { api } from '../api.ts';
import { Button, ConfirmDialog, ErrorNotice, Loading, PageHeader, useLoad, useToast } from '../components.tsx';
import { modeSwitchMeaning } from '../license-form.ts';
import { licensingPaths } from '../licensing-api.ts';
import type { PageProps } from '../router.tsx';
import { IntegrationsCard } from './integrations.tsx';
import { LicensesSection } from './licenses.tsx';
import { PoliciesCard } from './license-policies.tsx';

type Mode = LicensingMode;

function ModeCard({ slug }: { slug: string }) {
  const toast = useToast();
  const state = useLoad(() => api.get(licensingPaths(slug).mode, licensingSchema), [slug]);
  const [switching, setSwitching] = useState<Mode | null>(null);
  const mode = state.data?.mode;
  const other: Mode = mode === 'licensed' ? 'open' : 'licensed';
  return (
    <section class="card stack" aria-labelledby="mode-title">
      <h2 id="mode-title">Mode</h2>
      <ErrorNotice error={state.error} />
      {mode === undefined ? (
        state.error ? null : <Loading />
      ) : (
        <>
          <p>
            {mode === 'licensed' ? (
              <>
                <span class="badge badge-warn">Licensed</span> Update checks and downloads need a valid license key (
                <code>Authorization: License &lt;key&gt;</code>).
              </>
            ) : (
              <>
                <span class="badge badge-ok">Open</span> Anyone who knows the app's update address gets every update.
              </>
            )}
          </p>
          {other === 'licensed' && !state.data!.secrets_key ? (
            <p class="notice notice-warn">
              Licensed apps need <code>SECRETS_KEY</code> on the server (license keys are stored as a keyed hash under it). Set it, restart, and
              come back.
            </p>
          ) : null}
          <div class="actions">
            <Button variant={other === 'licensed' ? 'primary' : undefined} disabled={other === 'licensed' && !state.data!.secrets_key} onClick={() => setSwitching(other)}>
              {other === 'licensed' ? 'Require a license' : 'Make updates open'}
            </Button>
          </div>
        </>
      )}
      <ConfirmDialog
        open={switching !== null}
        title={switching === 'licensed' ? 'Require a license for updates?' : 'Make updates open to everyone?'}
        confirmLabel={switching === 'licensed' ? 'Require a license' : 'Make updates open'}
        danger={switching === 'open'}
        onClose={() => setSwitching(null)}
        onConfirm={async () => {
          await api.put(licensingPaths(slug).mode, { mode: switching }, licensingSchema);
          toast(switching === 'licensed' ? 'Updates now need a license' : 'Updates are open');
          state.reload();
        }}
      >
        <ul>
          {modeSwitchMeaning(switching ?? 'licensed').map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      </ConfirmDialog>
    </section>
  );
}

export function LicensingPage({ params }: PageProps) {
  const slug = params.app!;
  const policies = useLoad(() => api.get(licensingPaths(slug).policies, policyListSchema).then((body) => body.policies), [slug]);
  return (
    <>
      <PageHeader title="Licensing" />
      <div class="stack">
        <ModeCard slug={slug} />
        <PoliciesCard slug={slug} policies={policies.data} error={policies.error} onChanged={policies.reload} />
        <IntegrationsCard slug={slug} policies={policies.data} />
        <LicensesSection slug={slug} policies={policies.data} onCreated={policies.reload} />
      </div>
    </>
  );
}
