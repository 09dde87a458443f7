/**
 * @module ui/client/pages/integrations
 * The Licensing page's payment integrations card: the app's Stripe, Lemon Squeezy and Paddle connections, each with
 * the webhook URL to paste into the provider and which price buys which policy; connect one (integration-form.tsx),
 * edit it (rotate the secret, prices, description, on/off), delete it after a confirmation. The signing secret is
 * never on the page: the API takes it and never answers it.
 */
import { useState } from 'hono/jsx/dom';
import { integrationListSchema, integrationSchema, type IntegrationView } from '../../../protocol/billing.ts';
import type { PolicyBody } from '../../../protocol/licensing.ts';
import { api } from '../api.ts';
import { Button, ConfirmDialog, CopyButton, EmptyState, ErrorNotice, formatDate, Loading, useLoad, useToast } from '../components.tsx';
import { PROVIDER_WORDS } from '../integration-form.ts';
import { licensingPaths } from '../licensing-api.ts';
import { IntegrationForm } from './integration-form.tsx';

const titleOf = (integration: IntegrationView) =>
  `${PROVIDER_WORDS[integration.provider].name}${integration.description ? ` · ${integration.description}` : ''}`;

function WebhookUrl({ url }: { url: string }) {
  return (
    <span class="webhook-url">
      <code class="mono">{url}</code>
      <CopyButton text={url} label="Copy webhook URL" />
    </span>
  );
}

function IntegrationItem(props: { integration: IntegrationView; policies: PolicyBody[]; onEdit(): void; onDelete(): void }) {
  const { integration } = props;
  const policyName = (id: string) => props.policies.find((policy) => policy.id === id)?.name ?? `unknown policy ${id}`;
  const prices = Object.entries(integration.prices);
  const title = titleOf(integration);
  return (
    <li class="integration" aria-label={title}>
      <div class="card-head">
        <h3>
          {title}{' '}
          {integration.active ? <span class="badge badge-ok">Active</span> : <span class="badge badge-archived">Inactive</span>}
        </h3>
        <div class="row-actions">
          <Button variant="quiet" aria-label={`Edit ${title}`} onClick={props.onEdit}>
            Edit
          </Button>
          <Button variant="quiet" aria-label={`Delete ${title}`} onClick={props.onDelete}>
            Delete
          </Button>
        </div>
      </div>
      <dl class="kv">
        <dt>Webhook URL</dt>
        <dd>
          <WebhookUrl url={integration.webhook_url} />
        </dd>
        <dt>Prices</dt>
        <dd>
          {prices.length === 0 ? (
            <span class="muted">None: no purchase creates a license.</span>
          ) : (
            <ul class="price-list">
              {prices.map(([price, policy]) => (
                <li key={price}>
                  <span class="mono">{price}</span> → {policyName(policy)}
                </li>
              ))}
            </ul>
          )}
        </dd>
        <dt>Created</dt>
        <dd>{formatDate(integration.created_at)}</dd>
      </dl>
    </li>
  );
}

/** `policies` come from the page, which shows them in the policies card above. */
export function IntegrationsCard(props: { slug: string; policies: PolicyBody[] | undefined }) {
  const toast = useToast();
  const paths = licensingPaths(props.slug);
  const list = useLoad(() => api.get(paths.integrations, integrationListSchema).then((body) => body.integrations), [props.slug]);
  // null: no form open; 'new': the connect form; an integration: its edit form.
  const [editing, setEditing] = useState<IntegrationView | 'new' | null>(null);
  const [deleting, setDeleting] = useState<IntegrationView | null>(null);
  const [created, setCreated] = useState<IntegrationView | null>(null);
  const policies = props.policies ?? [];
  const close = () => setEditing(null);
  return (
    <section class="card stack" aria-labelledby="integrations-title">
      <div class="card-head">
        <h2 id="integrations-title">Payment integrations</h2>
        {editing === null ? (
          <Button variant="primary" onClick={() => setEditing('new')}>
            Connect a provider
          </Button>
        ) : null}
      </div>
      <p class="muted small">
        Stripe, Lemon Squeezy or Paddle Billing create, renew and revoke this app's licenses themselves when their signed webhooks arrive.
      </p>
      <ErrorNotice error={list.error} />
      {created ? (
        <div class="notice" role="status">
          <p>
            <strong>{PROVIDER_WORDS[created.provider].name} is connected.</strong> Give it this webhook URL: {PROVIDER_WORDS[created.provider].webhookHint}
          </p>
          <WebhookUrl url={created.webhook_url} />
        </div>
      ) : null}
      {editing === 'new' ? (
        <IntegrationForm
          key="new"
          integration={null}
          policies={policies}
          onCancel={close}
          onCreate={async (body) => {
            setCreated(await api.post(paths.integrations, body, integrationSchema));
            close();
            list.reload();
          }}
        />
      ) : editing !== null ? (
        <IntegrationForm
          key={editing.id}
          integration={editing}
          policies={policies}
          onCancel={close}
          onUpdate={async (body) => {
            const saved = await api.patch(paths.integration(editing.id), body, integrationSchema);
            toast(`${titleOf(saved)} saved${body.signing_secret === undefined ? '' : ' with its new signing secret'}`);
            close();
            list.reload();
          }}
        />
      ) : null}
      {list.data === undefined ? (
        list.error ? null : <Loading label="Loading integrations…" />
      ) : list.data.length === 0 ? (
        <EmptyState>No payment provider is connected: licenses are created here or through the API.</EmptyState>
      ) : (
        <ul class="integrations">
          {list.data.map((integration) => (
            <IntegrationItem
              key={integration.id}
              integration={integration}
              policies={policies}
              onEdit={() => {
                setCreated(null);
                setEditing(integration);
              }}
              onDelete={() => setDeleting(integration)}
            />
          ))}
        </ul>
      )}
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete ${deleting ? titleOf(deleting) : ''}?`}
        confirmLabel="Delete integration"
        danger
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          await api.delete(paths.integration(deleting!.id));
          toast(`${titleOf(deleting!)} deleted`);
          if (created?.id === deleting!.id) setCreated(null);
          list.reload();
        }}
      >
        <ul>
          <li>Its webhook URL stops working: the provider's deliveries are refused and no license is created, renewed or revoked by them.</li>
          <li>Licenses it created stay as they are. Remove the endpoint at the provider too.</li>
        </ul>
      </ConfirmDialog>
    </section>
  );
}
