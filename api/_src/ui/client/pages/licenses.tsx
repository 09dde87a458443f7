/**
 * @module ui/client/pages/licenses
 * The Licensing page's licenses: search (key prefix or external id, and status, kept in the URL so a search can be
 * linked), the list, and the create form. A new license's key is in the create answer only: it is shown once
 * (ShownOnce) and dropped when dismissed; the server keeps an HMAC of it and can never show it again.
 */
import { useEffect, useState } from 'hono/jsx/dom';
import { type CreatedLicenseBody, createdLicenseSchema, type LicenseBody, licenseListSchema, licenseStatusSchema, listLicensesQuerySchema, type PolicyBody } from '../../../protocol/licensing.ts';
import { api, query } from '../api.ts';
import { Button, EmptyState, ErrorNotice, Field, IgnoredParamsNotice, Loading, ShownOnce, useAction, useLoad, valueOf } from '../components.tsx';
import { licensingPaths } from '../licensing-api.ts';
import { dayText, endOfDayIso, machinesText, parseEntitlements } from '../license-form.ts';
import { bySchema, readParams } from '../page-params.ts';
import { Link, setSearchParams, uiPath, useSearch } from '../router.tsx';

const STATUS_BADGES: Record<LicenseBody['status'], string> = { active: 'badge-ok', suspended: 'badge-warn', revoked: 'badge-error' };

export function LicenseStatus({ status }: { status: LicenseBody['status'] }) {
  return <span class={`badge ${STATUS_BADGES[status]}`}>{status.charAt(0).toUpperCase() + status.slice(1)}</span>;
}

export const licensePath = (slug: string, id: string) => `${uiPath('apps', slug, 'licensing')}/${encodeURIComponent(id)}`;

function SearchForm({ q, status }: { q: string; status: string }) {
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);
  return (
    <form
      class="toolbar license-search"
      role="search"
      aria-label="Search licenses"
      onSubmit={(event: Event) => {
        event.preventDefault();
        setSearchParams({ q: text.trim() || null });
      }}
    >
      <label class="inline-field">
        <span>Search</span>
        <input type="search" name="q" placeholder="trl_ABCD or external id" autocomplete="off" spellcheck={false} value={text} onInput={(event: Event) => setText(valueOf(event))} />
      </label>
      <label class="inline-field">
        <span>Status</span>
        <select name="status" value={status} onChange={(event: Event) => setSearchParams({ status: valueOf(event) || null })}>
          <option value="">Any</option>
          <option value="active">Active</option>
          <option value="suspended">Suspended</option>
          <option value="revoked">Revoked</option>
        </select>
      </label>
      <Button type="submit">Search</Button>
    </form>
  );
}

function LicenseTable({ slug, licenses }: { slug: string; licenses: LicenseBody[] }) {
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Status</th>
            <th scope="col">Policy</th>
            <th scope="col">Expires</th>
            <th scope="col">Eligible up to</th>
            <th scope="col">Machines</th>
            <th scope="col">External id</th>
          </tr>
        </thead>
        <tbody>
          {licenses.map((license) => (
            <tr key={license.id}>
              <td class="mono">
                <Link href={licensePath(slug, license.id)}>{license.key_prefix}…</Link>
              </td>
              <td>
                <LicenseStatus status={license.status} />
              </td>
              <td>{license.policy_name}</td>
              <td>{license.expires_at ? dayText(license.expires_at) : 'Never'}</td>
              <td class="mono">{license.eligible_up_to ?? '—'}</td>
              <td>{machinesText(license.machines_used, license.machines_allowed)}</td>
              <td class="mono license-external">{license.external_id ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function CreateLicenseForm(props: { slug: string; policies: PolicyBody[]; onCreated(created: CreatedLicenseBody): void; onCancel(): void }) {
  const [policyId, setPolicyId] = useState(props.policies[0]?.id ?? '');
  const [expires, setExpires] = useState('');
  const [entitlements, setEntitlements] = useState('');
  const [externalSource, setExternalSource] = useState('manual');
  const [externalId, setExternalId] = useState('');
  const { busy, error, dismiss, run } = useAction();
  const policy = props.policies.find((candidate) => candidate.id === policyId);
  const submit = (event: Event) => {
    event.preventDefault();
    return run(async () => {
      const body = {
        policy_id: policyId,
        ...(endOfDayIso(expires) ? { expires_at: endOfDayIso(expires) } : {}),
        entitlements: parseEntitlements(entitlements),
        ...(externalId.trim() ? { external_source: externalSource.trim(), external_id: externalId.trim() } : {}),
      };
      props.onCreated(await api.post(licensingPaths(props.slug).licenses, body, createdLicenseSchema));
    });
  };
  return (
    <form class="card stack" onSubmit={submit} onInput={dismiss} aria-label="New license">
      <h3>New license</h3>
      <ErrorNotice error={error} />
      <div class="policy-fields">
        <Field label="Policy">
          <select name="policy_id" value={policyId} onChange={(event: Event) => setPolicyId(valueOf(event))}>
            {props.policies.map((candidate) => (
              <option key={candidate.id} value={candidate.id}>
                {candidate.name}
              </option>
            ))}
          </select>
        </Field>
        <Field
          label="Expires on (optional)"
          hint={policy?.duration_days ? `Empty: ${policy.duration_days} days from ${policy.expiration_basis === 'created' ? 'today' : 'its first update check'}.` : 'Empty: as the policy says.'}
        >
          <input name="expires_at" type="date" value={expires} onInput={(event: Event) => setExpires(valueOf(event))} />
        </Field>
        <Field label="Extra entitlements" hint="On top of the policy's; separate with commas.">
          <input name="entitlements" autocomplete="off" spellcheck={false} value={entitlements} onInput={(event: Event) => setEntitlements(valueOf(event))} />
        </Field>
        <Field label="External id (optional)" hint="E.g. an order number; creating again with the same source and id returns this license.">
          <input name="external_id" autocomplete="off" spellcheck={false} value={externalId} onInput={(event: Event) => setExternalId(valueOf(event))} />
        </Field>
        {externalId.trim() ? (
          <Field label="External source" hint="Where the id comes from, e.g. manual, import, stripe (lower case).">
            <input name="external_source" autocomplete="off" spellcheck={false} value={externalSource} onInput={(event: Event) => setExternalSource(valueOf(event))} />
          </Field>
        ) : null}
      </div>
      <div class="actions">
        <Button onClick={props.onCancel}>Cancel</Button>
        <Button type="submit" variant="primary" busy={busy} disabled={!policyId}>
          Create license
        </Button>
      </div>
    </form>
  );
}

/** The key of a license just created or rotated, with the one warning that matters. */
export function NewLicenseKey(props: { slug: string; id: string; licenseKey: string; title: string; onDone(): void }) {
  return (
    <ShownOnce id="new-license-key" title={props.title} label="New license key" value={props.licenseKey} copyLabel="Copy key" onDone={props.onDone}>
      <p>
        <strong>This key is shown once: it will not be shown again.</strong> Copy it now and give it to the customer; the server keeps only a
        keyed hash of it, and a lost key can only be replaced by rotating it.
      </p>
      <p class="small">
        <Link href={licensePath(props.slug, props.id)}>Open the license</Link>
      </p>
    </ShownOnce>
  );
}

const LICENSE_PARAMS = {
  q: bySchema(listLicensesQuerySchema.shape.q, 'a key prefix or an external id of at most 255 characters'),
  status: bySchema(licenseStatusSchema, licenseStatusSchema.options.join(', ')),
};

/** `onCreated`: a new license changes its policy's count, which the page shows. */
export function LicensesSection({ slug, policies, onCreated }: { slug: string; policies: PolicyBody[] | undefined; onCreated(): void }) {
  const { values, ignored } = readParams(useSearch(), LICENSE_PARAMS);
  const { q, status } = values;
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedLicenseBody | null>(null);
  const list = useLoad(() => api.get(`${licensingPaths(slug).licenses}${query({ q, status })}`, licenseListSchema).then((body) => body.licenses), [slug, q, status]);
  const noPolicy = policies !== undefined && policies.length === 0;
  return (
    // Busy while a new search loads: the previous rows stay until the answer replaces them.
    <section class="card stack" aria-labelledby="licenses-title" aria-busy={list.loading ? 'true' : undefined}>
      <div class="card-head">
        <h2 id="licenses-title">Licenses</h2>
        {!creating && !created ? (
          <Button variant="primary" disabled={!policies || noPolicy} onClick={() => setCreating(true)}>
            New license
          </Button>
        ) : null}
      </div>
      {created?.key ? (
        <NewLicenseKey slug={slug} id={created.id} licenseKey={created.key} title={`License ${created.key_prefix}… created`} onDone={() => setCreated(null)} />
      ) : created ? (
        <p class="notice notice-warn" role="status">
          A license with this external id exists already: <Link href={licensePath(slug, created.id)}>{created.key_prefix}…</Link>. No new license or key was made.{' '}
          <Button variant="quiet" onClick={() => setCreated(null)}>
            Dismiss
          </Button>
        </p>
      ) : creating && policies ? (
        <CreateLicenseForm
          slug={slug}
          policies={policies}
          onCancel={() => setCreating(false)}
          onCreated={(answer) => {
            setCreating(false);
            setCreated(answer);
            list.reload();
            onCreated();
          }}
        />
      ) : null}
      <SearchForm q={q} status={status} />
      <IgnoredParamsNotice ignored={ignored} />
      <ErrorNotice error={list.error} />
      {list.loading && !list.data ? <Loading label="Loading licenses…" /> : null}
      {list.data && list.data.length === 0 ? (
        <EmptyState>{q || status ? 'No license matches this search.' : noPolicy ? 'No licenses yet. Create a policy first.' : 'No licenses yet.'}</EmptyState>
      ) : null}
      {list.data && list.data.length > 0 ? <LicenseTable slug={slug} licenses={list.data} /> : null}
    </section>
  );
}
