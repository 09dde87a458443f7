/**
 * @module ui/client/pages/license
 * `/ui/apps/:app/licensing/:license`: one license. Says in one line what it gets ("Eligible up to 2.3.1"), with its
 * expiry and cutoff; renews, suspends, reinstates, revokes (after a confirmation) and rotates its key (the new key
 * shown once); lists the installs it counts and deactivates one (it takes a place again on its next check).
 */
import { useState } from 'hono/jsx/dom';
import { type LicenseBody, type LicenseDetailBody, licenseDetailSchema, type MachineBody, type PolicyBody, policyListSchema, rotatedLicenseSchema } from '../../../protocol/licensing.ts';
import { api } from '../api.ts';
import { Button, ConfirmDialog, EmptyState, ErrorNotice, formatDate, Loading, PageHeader, useLoad, useToast } from '../components.tsx';
import { type LicenseStep, licensingPaths } from '../licensing-api.ts';
import { dayText, durationText, entitlementsText, machinesText } from '../license-form.ts';
import { Link, uiPath, type PageProps } from '../router.tsx';
import { LicenseStatus, NewLicenseKey } from './licenses.tsx';

type Step = LicenseStep;

interface StepText {
  title: string;
  confirm: string;
  danger?: boolean;
  says(license: LicenseBody, policy: PolicyBody | undefined): string;
}

const STEPS: Record<Step, StepText> = {
  renew: {
    title: 'Renew this license?',
    confirm: 'Renew',
    says: (license, policy) =>
      `It gets ${policy?.duration_days ? durationText(policy.duration_days) : 'the policy’s duration'} more, counted from its expiry${license.expires_at ? ` (${dayText(license.expires_at)})` : ''}, or from today if it has already expired. Releases published up to the new expiry become eligible.`,
  },
  suspend: {
    title: 'Suspend this license?',
    confirm: 'Suspend',
    danger: true,
    says: () => 'Its installs get 403 license_suspended on every update check and download until it is reinstated. Nothing else changes.',
  },
  reinstate: {
    title: 'Reinstate this license?',
    confirm: 'Reinstate',
    says: () => 'Its installs get updates again, as its policy and expiry allow.',
  },
  revoke: {
    title: 'Revoke this license?',
    confirm: 'Revoke license',
    danger: true,
    says: () => 'Its installs get 403 license_revoked from now on, for good: a revoked license cannot be reinstated or renewed.',
  },
  rotate: {
    title: 'Rotate this license’s key?',
    confirm: 'Rotate key',
    danger: true,
    says: () => 'A new key is made and shown once; the current key stops working at once, so installed copies need the new key to keep updating.',
  },
};

const STEP_DONE: Record<Step, string> = { renew: 'License renewed', suspend: 'License suspended', reinstate: 'License reinstated', revoke: 'License revoked', rotate: 'Key rotated' };

function Facts({ license, policy }: { license: LicenseDetailBody; policy: PolicyBody | undefined }) {
  return (
    <section class="card stack" aria-labelledby="license-facts-title">
      <h2 id="license-facts-title" class="license-eligible">
        {license.eligible_up_to ? (
          <>
            Eligible up to <span class="mono">{license.eligible_up_to}</span>
          </>
        ) : license.status === 'active' ? (
          'No release eligible yet'
        ) : (
          'No updates: the license is ' + license.status
        )}
      </h2>
      <dl class="kv">
        <dt>Status</dt>
        <dd>
          <LicenseStatus status={license.status} />
        </dd>
        <dt>Key</dt>
        <dd class="mono">{license.key_prefix}…</dd>
        <dt>Policy</dt>
        <dd>{policy ? `${policy.name} (${durationText(policy.duration_days)}, ${policy.expiry_strategy})` : license.policy_name}</dd>
        <dt>Expires</dt>
        <dd>
          {license.expires_at ? dayText(license.expires_at) : policy?.duration_days && policy.expiration_basis === 'first_check' ? 'Counted from its first update check' : 'Never'}
          {license.expired ? <span class="badge badge-warn license-expired">Expired</span> : null}
        </dd>
        <dt>Cutoff</dt>
        <dd>{license.cutoff ? `Releases first published up to ${dayText(license.cutoff)}` : 'None: every release'}</dd>
        <dt>Entitlements</dt>
        <dd>
          <span class="mono">{license.entitlements.length ? entitlementsText(license.entitlements) : '—'}</span>
          {policy?.entitlements.length ? (
            <span class="muted small">
              {' '}
              and from its policy: <span class="mono">{entitlementsText(policy.entitlements)}</span>
            </span>
          ) : null}
        </dd>
        <dt>Machines</dt>
        <dd>{machinesText(license.machines_used, license.machines_allowed)}</dd>
        {license.external_id ? (
          <>
            <dt>External id</dt>
            <dd class="mono">
              {license.external_source ? `${license.external_source}: ` : ''}
              {license.external_id}
            </dd>
          </>
        ) : null}
        <dt>Created</dt>
        <dd>{formatDate(license.created_at)}</dd>
      </dl>
    </section>
  );
}

function Machines({ deactivatePath, machines, onChanged }: { deactivatePath(machine: string): string; machines: MachineBody[]; onChanged(): void }) {
  const toast = useToast();
  const [deactivating, setDeactivating] = useState<MachineBody | null>(null);
  const installLabel = (machine: MachineBody) => machine.install_digest.slice(0, 12);
  return (
    <section class="card stack" aria-labelledby="machines-title">
      <h2 id="machines-title">Machines</h2>
      <p class="muted small">Installs that checked for updates with this license, by their X-Install-Id (stored only as a hash).</p>
      {machines.length === 0 ? (
        <EmptyState>No install has checked with this license yet.</EmptyState>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Install</th>
                <th scope="col">First seen</th>
                <th scope="col">Last seen</th>
                <th scope="col">State</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {machines.map((machine) => (
                <tr key={machine.id} class={machine.deactivated_at ? 'revoked' : undefined}>
                  <td class="mono">{installLabel(machine)}</td>
                  <td>{formatDate(machine.first_seen_at)}</td>
                  <td>{formatDate(machine.last_seen_at)}</td>
                  <td>{machine.deactivated_at ? `Deactivated ${formatDate(machine.deactivated_at)}` : <span class="badge badge-ok">Counted</span>}</td>
                  <td>
                    {machine.deactivated_at ? null : (
                      <Button variant="quiet" aria-label={`Deactivate install ${installLabel(machine)}`} onClick={() => setDeactivating(machine)}>
                        Deactivate
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ConfirmDialog
        open={deactivating !== null}
        title="Deactivate this install?"
        confirmLabel="Deactivate"
        onClose={() => setDeactivating(null)}
        onConfirm={async () => {
          await api.post(deactivatePath(deactivating!.id));
          toast('Install deactivated');
          onChanged();
        }}
      >
        <p>It no longer counts against the machine limit, which frees its place for another install. If it checks for updates again, it takes a place again.</p>
      </ConfirmDialog>
    </section>
  );
}

/** `renewable`: false under a perpetual policy (nothing to extend; the API refuses it). */
function Actions({ license, renewable, onStep }: { license: LicenseBody; renewable: boolean; onStep(step: Step): void }) {
  if (license.status === 'revoked') return <p class="notice">This license is revoked: nothing more can be done with it.</p>;
  return (
    <div class="toolbar license-actions" role="group" aria-label="License actions">
      {renewable ? (
        <Button variant="primary" onClick={() => onStep('renew')}>
          Renew
        </Button>
      ) : null}
      {license.status === 'suspended' ? <Button onClick={() => onStep('reinstate')}>Reinstate</Button> : <Button onClick={() => onStep('suspend')}>Suspend</Button>}
      <Button onClick={() => onStep('rotate')}>Rotate key</Button>
      <Button variant="danger" onClick={() => onStep('revoke')}>
        Revoke
      </Button>
    </div>
  );
}

export function LicensePage({ params }: PageProps) {
  const slug = params.app!;
  const id = params.license!;
  const toast = useToast();
  const paths = licensingPaths(slug);
  const license = useLoad(() => api.get(paths.license(id), licenseDetailSchema), [slug, id]);
  // For what renewing adds; the license view names its policy already.
  const policies = useLoad(() => api.get(paths.policies, policyListSchema).then((body) => body.policies), [slug]);
  const policy = policies.data?.find((candidate) => candidate.id === license.data?.policy_id);
  const [step, setStep] = useState<Step | null>(null);
  const [rotatedKey, setRotatedKey] = useState<string | null>(null);
  const text = step ? STEPS[step] : null;

  const perform = async () => {
    const current = step!;
    if (current === 'rotate') {
      const answer = await api.post(paths.step(id, 'rotate'), {}, rotatedLicenseSchema);
      setRotatedKey(answer.key);
    } else {
      await api.post(paths.step(id, current), {}, licenseDetailSchema);
    }
    toast(STEP_DONE[current]);
    license.reload();
  };

  return (
    <>
      <p class="small">
        <Link href={uiPath('apps', slug, 'licensing')}>← Licensing</Link>
      </p>
      <PageHeader title={license.data ? `License ${license.data.key_prefix}…` : 'License'} />
      <ErrorNotice error={license.error} />
      {license.data ? (
        <div class="stack">
          {rotatedKey ? <NewLicenseKey slug={slug} id={id} licenseKey={rotatedKey} title="New key for this license" onDone={() => setRotatedKey(null)} /> : null}
          <Actions license={license.data} renewable={policy?.duration_days !== null} onStep={setStep} />
          <Facts license={license.data} policy={policy} />
          <Machines deactivatePath={(machine) => paths.deactivateMachine(id, machine)} machines={license.data.machines} onChanged={license.reload} />
        </div>
      ) : license.error ? null : (
        <Loading />
      )}
      <ConfirmDialog open={step !== null} title={text?.title ?? ''} confirmLabel={text?.confirm ?? ''} danger={text?.danger} onClose={() => setStep(null)} onConfirm={perform}>
        <p>{text && license.data ? text.says(license.data, policy) : null}</p>
      </ConfirmDialog>
    </>
  );
}
