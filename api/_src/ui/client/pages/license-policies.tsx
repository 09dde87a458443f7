/**
 * @module ui/client/pages/license-policies
 * The Licensing page's policies card: how an app's licenses last and what their expiry means. Lists the app's
 * policies, creates one, edits one in place, deletes one (the API refuses while licenses use it). The form says,
 * as the strategy changes, what an installed copy gets after expiry (license-form.ts `strategyMeaning`).
 */
import { useState } from 'hono/jsx/dom';
import { type PolicyBody, policySchema } from '../../../protocol/licensing.ts';
import { api } from '../api.ts';
import { Button, ConfirmDialog, EmptyState, ErrorNotice, Field, Loading, useAction, useToast, valueOf } from '../components.tsx';
import { licensingPaths } from '../licensing-api.ts';
import { durationText, entitlementsText, numberText, parseEntitlements, readWholeNumber, type Strategy, strategyMeaning } from '../license-form.ts';

type Basis = PolicyBody['expiration_basis'];

interface PolicyDraft {
  name: string;
  duration: string;
  strategy: Strategy;
  basis: Basis;
  grace: string;
  machines: string;
  entitlements: string;
  patchLine: boolean;
}

const NEW_POLICY: PolicyDraft = { name: '', duration: '365', strategy: 'fallback', basis: 'created', grace: '0', machines: '', entitlements: '', patchLine: false };

function draftOf(policy: PolicyBody): PolicyDraft {
  return {
    name: policy.name,
    duration: numberText(policy.duration_days),
    strategy: policy.expiry_strategy,
    basis: policy.expiration_basis,
    grace: String(policy.grace_days),
    machines: numberText(policy.max_machines),
    entitlements: entitlementsText(policy.entitlements),
    patchLine: policy.patch_line_after_expiry,
  };
}

/** The form's fields read as the API's body, or the first field's problem. */
function readDraft(draft: PolicyDraft) {
  const duration = readWholeNumber(draft.duration, { label: 'Duration', min: 1, optional: true });
  const grace = readWholeNumber(draft.grace, { label: 'Grace days', min: 0 });
  const machines = readWholeNumber(draft.machines, { label: 'Max machines', min: 1, optional: true });
  const problems = {
    name: draft.name.trim() ? null : 'Give the policy a name, e.g. “Yearly”.',
    duration: duration.ok ? null : duration.problem,
    grace: grace.ok ? null : grace.problem,
    machines: machines.ok ? null : machines.problem,
  };
  if (!duration.ok || !grace.ok || !machines.ok || problems.name) return { body: null, problems };
  return {
    problems,
    body: {
      name: draft.name.trim(),
      duration_days: duration.value,
      expiry_strategy: draft.strategy,
      expiration_basis: draft.basis,
      grace_days: grace.value ?? 0,
      max_machines: machines.value,
      entitlements: parseEntitlements(draft.entitlements),
      patch_line_after_expiry: draft.patchLine,
    },
  };
}

function PolicyForm(props: { initial: PolicyDraft; title: string; submitLabel: string; onSubmit(body: NonNullable<ReturnType<typeof readDraft>['body']>): Promise<void>; onCancel(): void }) {
  const [draft, setDraft] = useState(props.initial);
  const [touched, setTouched] = useState(false);
  const { busy, error, dismiss, run } = useAction();
  const { body, problems } = readDraft(draft);
  const shown = (problem: string | null) => (touched ? problem : null);
  const text = (field: keyof PolicyDraft) => (event: Event) => setDraft((current) => ({ ...current, [field]: valueOf(event) }));
  const grace = readWholeNumber(draft.grace, { label: 'Grace days', min: 0 });
  const submit = (event: Event) => {
    event.preventDefault();
    setTouched(true);
    if (body) return run(() => props.onSubmit(body));
  };
  return (
    <form class="card stack policy-form" onSubmit={submit} onInput={dismiss} noValidate aria-label={props.title}>
      <h3>{props.title}</h3>
      <ErrorNotice error={error} />
      <div class="policy-fields">
        <Field label="Policy name" error={shown(problems.name)}>
          <input name="name" required maxLength={200} autocomplete="off" value={draft.name} onInput={text('name')} />
        </Field>
        <Field label="Duration (days)" error={shown(problems.duration)} hint="365 for a yearly license; empty: licenses never expire.">
          <input name="duration_days" inputMode="numeric" autocomplete="off" value={draft.duration} onInput={text('duration')} />
        </Field>
        <Field label="After expiry" hint={strategyMeaning(draft.strategy, grace.ok ? (grace.value ?? 0) : 0)}>
          <select name="expiry_strategy" value={draft.strategy} onChange={text('strategy')}>
            <option value="fallback">fallback: keep releases up to the expiry</option>
            <option value="revoke">revoke: no updates after expiry</option>
            <option value="allow">allow: expiry is informational</option>
          </select>
        </Field>
        <Field label="Expiry counted from" hint="The first check starts the clock when the customer first runs the app, not when the license is sold.">
          <select name="expiration_basis" value={draft.basis} onChange={text('basis')}>
            <option value="created">the license's creation</option>
            <option value="first_check">its first update check</option>
          </select>
        </Field>
        <Field label="Grace days" error={shown(problems.grace)} hint="How long revoke waits after the expiry; it never moves a fallback cutoff.">
          <input name="grace_days" inputMode="numeric" autocomplete="off" value={draft.grace} onInput={text('grace')} />
        </Field>
        <Field label="Max machines" error={shown(problems.machines)} hint="Installs per license, counted by X-Install-Id; empty: no limit.">
          <input name="max_machines" inputMode="numeric" autocomplete="off" value={draft.machines} onInput={text('machines')} />
        </Field>
        <Field label="Entitlements" hint="Granted to every license of the policy; separate with commas, e.g. pro, teams.">
          <input name="entitlements" autocomplete="off" spellcheck={false} value={draft.entitlements} onInput={text('entitlements')} />
        </Field>
      </div>
      <label class="check">
        <input
          type="checkbox"
          name="patch_line_after_expiry"
          checked={draft.patchLine}
          onChange={(event: Event) => setDraft((current) => ({ ...current, patchLine: (event.target as HTMLInputElement).checked }))}
        />
        <span>
          <strong>Patches of the last eligible minor line</strong> — after expiry, also later releases with the same major.minor as the newest
          release dated up to the cutoff (2.3.4 for a license that ended with 2.3.1).
        </span>
      </label>
      <div class="actions">
        <Button onClick={props.onCancel}>Cancel</Button>
        <Button type="submit" variant="primary" busy={busy}>
          {props.submitLabel}
        </Button>
      </div>
    </form>
  );
}

const STRATEGY_LABELS: Record<Strategy, string> = { fallback: 'Fallback', revoke: 'Revoke', allow: 'Allow' };

function PolicyTable(props: { policies: PolicyBody[]; onEdit(policy: PolicyBody): void; onDelete(policy: PolicyBody): void }) {
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Policy</th>
            <th scope="col">Duration</th>
            <th scope="col">After expiry</th>
            <th scope="col">Max machines</th>
            <th scope="col">Entitlements</th>
            <th scope="col" class="num">
              Licenses
            </th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.policies.map((policy) => (
            <tr key={policy.id}>
              <td>{policy.name}</td>
              <td>
                {durationText(policy.duration_days)}
                {policy.duration_days !== null && policy.expiration_basis === 'first_check' ? <span class="muted small"> from first check</span> : null}
              </td>
              <td>
                {STRATEGY_LABELS[policy.expiry_strategy]}
                {policy.grace_days > 0 ? <span class="muted small"> +{policy.grace_days} d grace</span> : null}
                {policy.patch_line_after_expiry ? <span class="muted small"> + minor-line patches</span> : null}
              </td>
              <td>{policy.max_machines ?? 'No limit'}</td>
              <td class="mono">{policy.entitlements.length ? entitlementsText(policy.entitlements) : '—'}</td>
              <td class="num">{policy.licenses}</td>
              <td>
                <div class="row-actions">
                  <Button variant="quiet" aria-label={`Edit policy ${policy.name}`} onClick={() => props.onEdit(policy)}>
                    Edit
                  </Button>
                  <Button variant="quiet" aria-label={`Delete policy ${policy.name}`} onClick={() => props.onDelete(policy)}>
                    Delete
                  </Button>
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** `policies` and `onChanged` come from the page, which also offers the policies to the license form. */
export function PoliciesCard(props: { slug: string; policies: PolicyBody[] | undefined; error: unknown; onChanged(): void }) {
  const toast = useToast();
  // null: no form open; 'new': the create form; a policy: its edit form.
  const [editing, setEditing] = useState<PolicyBody | 'new' | null>(null);
  const [deleting, setDeleting] = useState<PolicyBody | null>(null);
  const paths = licensingPaths(props.slug);
  return (
    <section class="card stack" aria-labelledby="policies-title">
      <div class="card-head">
        <h2 id="policies-title">Policies</h2>
        {editing === null ? (
          <Button variant="primary" onClick={() => setEditing('new')}>
            New policy
          </Button>
        ) : null}
      </div>
      <p class="muted small">A policy says how long its licenses last and what an installed copy still gets after that.</p>
      <ErrorNotice error={props.error} />
      {editing !== null ? (
        <PolicyForm
          key={editing === 'new' ? 'new' : editing.id}
          initial={editing === 'new' ? NEW_POLICY : draftOf(editing)}
          title={editing === 'new' ? 'New policy' : `Edit policy ${editing.name}`}
          submitLabel={editing === 'new' ? 'Create policy' : 'Save policy'}
          onCancel={() => setEditing(null)}
          onSubmit={async (body) => {
            if (editing === 'new') await api.post(paths.policies, body, policySchema);
            else await api.patch(paths.policy(editing.id), body, policySchema);
            toast(`Policy ${body.name} saved`);
            setEditing(null);
            props.onChanged();
          }}
        />
      ) : null}
      {props.policies === undefined ? (
        props.error ? null : <Loading label="Loading policies…" />
      ) : props.policies.length === 0 ? (
        <EmptyState>No policies yet: create one before the first license.</EmptyState>
      ) : (
        <PolicyTable policies={props.policies} onEdit={setEditing} onDelete={setDeleting} />
      )}
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete policy ${deleting?.name ?? ''}?`}
        confirmLabel="Delete policy"
        danger
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          await api.delete(paths.policy(deleting!.id));
          toast(`Policy ${deleting!.name} deleted`);
          props.onChanged();
        }}
      >
        <p>A policy that licenses still use cannot be deleted; move or revoke those licenses first.</p>
      </ConfirmDialog>
    </section>
  );
}
