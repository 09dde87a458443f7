/**
 * @module ui/client/pages/integration-form
 * The form that connects a payment provider to an app, or edits a connection: the provider, its webhook signing
 * secret (a password field; never shown back, so editing leaves it empty and an empty field keeps it), the price →
 * policy rows, a description and whether deliveries are processed. The fields are read with the server's own
 * schemas (integration-form.ts), so each problem is shown at its field before a round trip.
 */
import { useState } from 'hono/jsx/dom';
import { type CreateIntegrationBody, type IntegrationView, paymentProviderSchema, type PaymentProvider, type UpdateIntegrationBody } from '../../../protocol/billing.ts';
import type { PolicyBody } from '../../../protocol/licensing.ts';
import { Button, ErrorNotice, Field, useAction, valueOf } from '../components.tsx';
import {
  draftOfIntegration,
  EMPTY_PRICE_ROW,
  type IntegrationDraft,
  newIntegrationDraft,
  PROVIDER_WORDS,
  readIntegrationChanges,
  readNewIntegration,
} from '../integration-form.ts';

type Props = { policies: PolicyBody[]; onCancel(): void } & (
  | { integration: null; onCreate(body: CreateIntegrationBody): Promise<void> }
  | { integration: IntegrationView; onUpdate(body: UpdateIntegrationBody): Promise<void> }
);

function PriceRows(props: { draft: IntegrationDraft; policies: PolicyBody[]; error: string | null; onChange(rows: IntegrationDraft['rows']): void }) {
  const { rows } = props.draft;
  const words = PROVIDER_WORDS[props.draft.provider];
  const set = (index: number, field: 'price' | 'policy') => (event: Event) =>
    props.onChange(rows.map((row, i) => (i === index ? { ...row, [field]: valueOf(event) } : row)));
  return (
    <fieldset class="integration-prices">
      <legend class="field-label">Prices → policies</legend>
      <p class="field-hint">A purchase of a listed {words.priceLabel.toLowerCase()} creates (and renews) a license of its policy; any other purchase creates nothing.</p>
      {rows.map((row, index) => (
        <div class="price-row" role="group" aria-label={`Price ${index + 1}`} key={index}>
          <label class="field">
            <span class="field-label">{words.priceLabel}</span>
            <input name="price" autocomplete="off" spellcheck={false} placeholder={words.pricePlaceholder} value={row.price} onInput={set(index, 'price')} />
          </label>
          <label class="field">
            <span class="field-label">Policy</span>
            <select name="policy" value={row.policy} onChange={set(index, 'policy')}>
              <option value="">Choose a policy…</option>
              {props.policies.map((policy) => (
                <option key={policy.id} value={policy.id}>
                  {policy.name}
                </option>
              ))}
            </select>
          </label>
          <Button variant="quiet" aria-label={`Remove price ${index + 1}`} disabled={rows.length === 1} onClick={() => props.onChange(rows.filter((_, i) => i !== index))}>
            Remove
          </Button>
        </div>
      ))}
      {props.error ? (
        <p class="field-error" role="alert">
          {props.error}
        </p>
      ) : null}
      <Button onClick={() => props.onChange([...rows, EMPTY_PRICE_ROW])}>Add a price</Button>
    </fieldset>
  );
}

export function IntegrationForm(props: Props) {
  const editing = props.integration;
  const [draft, setDraft] = useState<IntegrationDraft>(editing ? draftOfIntegration(editing) : newIntegrationDraft());
  const [touched, setTouched] = useState(false);
  const { busy, error, dismiss, run } = useAction();
  const read = editing ? readIntegrationChanges(draft, editing) : readNewIntegration(draft);
  const shown = (problem: string | null) => (touched ? problem : null);
  const words = PROVIDER_WORDS[draft.provider];
  const title = editing ? `Edit ${PROVIDER_WORDS[editing.provider].name} integration` : 'New payment integration';

  const submit = (event: Event) => {
    event.preventDefault();
    setTouched(true);
    if (!read.body) return;
    const body = read.body;
    if ('onUpdate' in props) return Object.keys(body).length === 0 ? props.onCancel() : run(() => props.onUpdate(body));
    return run(() => props.onCreate(body as CreateIntegrationBody));
  };

  return (
    <form class="card stack integration-form" onSubmit={submit} onInput={dismiss} noValidate aria-label={title}>
      <h3>{title}</h3>
      <ErrorNotice error={error} />
      {props.policies.length === 0 ? <p class="notice notice-warn">This app has no policies yet: create one above, then map the provider's prices to it.</p> : null}
      <div class="policy-fields">
        {editing ? null : (
          <Field label="Provider">
            <select name="provider" value={draft.provider} onChange={(event: Event) => setDraft((current) => ({ ...current, provider: valueOf(event) as PaymentProvider }))}>
              {paymentProviderSchema.options.map((provider) => (
                <option key={provider} value={provider}>
                  {PROVIDER_WORDS[provider].name}
                </option>
              ))}
            </select>
          </Field>
        )}
        <Field
          label={editing ? 'New signing secret' : 'Signing secret'}
          error={shown(read.problems.secret)}
          hint={editing ? 'Leave empty to keep the current secret; type the provider\'s new one to replace it.' : words.secretHint}
        >
          <input
            type="password"
            name="signing_secret"
            autocomplete="new-password"
            spellcheck={false}
            value={draft.secret}
            onInput={(event: Event) => setDraft((current) => ({ ...current, secret: valueOf(event) }))}
          />
        </Field>
        <Field label="Description" error={shown(read.problems.description)} hint="Optional, e.g. “Stripe live mode”.">
          <input
            name="description"
            maxLength={200}
            autocomplete="off"
            value={draft.description}
            onInput={(event: Event) => setDraft((current) => ({ ...current, description: valueOf(event) }))}
          />
        </Field>
      </div>
      <PriceRows draft={draft} policies={props.policies} error={shown(read.problems.prices)} onChange={(rows) => setDraft((current) => ({ ...current, rows }))} />
      <label class="check">
        <input type="checkbox" name="active" checked={draft.active} onChange={(event: Event) => setDraft((current) => ({ ...current, active: (event.target as HTMLInputElement).checked }))} />
        <span>
          <strong>Active</strong> — deliveries are processed. Off: they are refused (404), the provider retries and then gives up.
        </span>
      </label>
      <div class="actions">
        <Button onClick={props.onCancel}>Cancel</Button>
        <Button type="submit" variant="primary" busy={busy}>
          {editing ? 'Save integration' : 'Connect provider'}
        </Button>
      </div>
    </form>
  );
}
