/**
 * @module cli/commands/integrations
 * `integrations list|show|add|update|remove` over `/admin/apps/{app}/integrations`: the payment providers (Stripe,
 * Lemon Squeezy, Paddle Billing) that create and renew an app's licenses. Bodies are checked with the server's own
 * schemas (protocol/billing.ts) before anything is sent. The signing secret comes from `--secret`, or stdin (a prompt
 * without echo on a terminal), and is printed nowhere: the server never answers it, and `--dry-run` shows it hidden.
 */
import { createIntegrationBodySchema, type IntegrationView, integrationListSchema, integrationSchema, updateIntegrationBodySchema } from '../../protocol/billing.ts';
import { type PolicyBody, policyListSchema } from '../../protocol/licensing.ts';
import { checkBody, type Command, type Context, list, must, onOff, type OptionSpec, text, type Values } from '../args.ts';
import { localRefusal, usageError } from '../errors.ts';
import { type Client, path } from '../http.ts';
import { fields, formatTime, table } from '../output.ts';
import { readSecret } from '../secret-input.ts';
import { licensingPath } from './policies.ts';
import { APP_OPTION } from './releases.ts';
import { isUuid } from '../../protocol/uuid.ts';

const integrationsPath = (values: Values, ...rest: string[]) => path('/admin/apps', must(values, 'app'), 'integrations', ...rest);

const OPTIONS = {
  secret: { type: 'string', value: 'secret', help: 'the provider\'s webhook signing secret (visible to `ps` and shell history: prefer --secret-stdin)' },
  'secret-stdin': { type: 'boolean', help: 'read the signing secret from stdin (a prompt without echo on a terminal)' },
  price: { type: 'string', value: 'id=policy', multiple: true, help: 'a price (Stripe price_…, Paddle pri_…) or variant id (Lemon Squeezy) and the policy, by name or id, a purchase of it gets' },
  description: { type: 'string', help: 'a line about it, e.g. "Stripe live mode"' },
} as const satisfies Record<string, OptionSpec>;

const HIDDEN = '(hidden)';

/** The policies' names by id, to show which policy a price buys. */
async function policiesOf(client: Client, app: string): Promise<PolicyBody[]> {
  return (await client.get(licensingPath(app, 'policies'), policyListSchema)).policies;
}

function describeIntegration(integration: IntegrationView, policies: readonly PolicyBody[]): string {
  const name = (id: string) => policies.find((policy) => policy.id === id)?.name ?? 'unknown policy';
  const prices = Object.entries(integration.prices).map(([price, policy]) => `${price} → ${name(policy)} (${policy})`);
  return fields([
    ['id', integration.id],
    ['provider', integration.provider],
    ['description', integration.description],
    ['active', integration.active ? 'yes' : 'no: deliveries are refused'],
    ['webhook url', integration.webhook_url],
    ['prices', prices.length ? prices.join(', ') : '(none: no purchase creates a license)'],
    ['created', formatTime(integration.created_at)],
  ]);
}

/** `--price id=policy` options as the API's map, each policy named by id or by its name among the app's policies. */
function pricesOf(values: Values, policies: readonly PolicyBody[]): Record<string, string> {
  const prices: Record<string, string> = {};
  for (const entry of list(values, 'price')) {
    const split = entry.indexOf('=');
    if (split < 1 || split === entry.length - 1) throw usageError(`--price takes id=policy, e.g. price_1MoBy5=Yearly; got ${JSON.stringify(entry)}`);
    const price = entry.slice(0, split);
    const policy = entry.slice(split + 1);
    const found = isUuid(policy) ? policies.find((p) => p.id === policy.toLowerCase()) : policies.find((p) => p.name === policy);
    if (!found) {
      const names = policies.map((p) => JSON.stringify(p.name)).join(', ');
      throw localRefusal('not_found', `--price ${price}: no policy ${JSON.stringify(policy)} in this app; it has ${names || 'none (tauri-release policies create)'}`);
    }
    if (price in prices) throw usageError(`--price ${price} is given twice`);
    prices[price] = found.id;
  }
  return prices;
}

/** The secret from --secret, or stdin when asked (or, for `add`, when no --secret is given). */
async function secretOf(ctx: Context, values: Values, stdinByDefault: boolean): Promise<string | undefined> {
  const inline = text(values, 'secret');
  if (inline !== undefined && values['secret-stdin']) throw usageError('pass --secret or --secret-stdin, not both');
  if (inline !== undefined) return inline;
  if (!values['secret-stdin'] && !stdinByDefault) return undefined;
  const typed = (await readSecret(ctx, 'Signing secret')).trim();
  if (!typed) throw usageError('no signing secret given: pass --secret, or pipe it to --secret-stdin');
  return typed;
}

/** What `--dry-run` may print of a body: everything but the secret. */
const shown = <B extends { signing_secret?: string }>(ctx: Context, body: B): B => (ctx.dryRun && body.signing_secret !== undefined ? { ...body, signing_secret: HIDDEN } : body);

export const integrationsList: Command = {
  words: ['integrations', 'list'],
  summary: 'List an app\'s payment integrations and their webhook URLs.',
  options: { app: APP_OPTION },
  async run(ctx, values) {
    const client = await ctx.client();
    const [body, policies] = await Promise.all([client.get(integrationsPath(values), integrationListSchema), policiesOf(client, must(values, 'app'))]);
    const policyName = (id: string) => policies.find((policy) => policy.id === id)?.name ?? id;
    ctx.out.result(body, ({ integrations }) =>
      table(
        ['ID', 'PROVIDER', 'ACTIVE', 'PRICES', 'WEBHOOK URL', 'DESCRIPTION'],
        integrations.map((i) => [i.id, i.provider, i.active ? 'yes' : 'no', Object.entries(i.prices).map(([price, policy]) => `${price}=${policyName(policy)}`).join(' '), i.webhook_url, i.description]),
      ),
    );
  },
};

export const integrationsShow: Command = {
  words: ['integrations', 'show'],
  summary: 'Show a payment integration, with the webhook URL to give the provider.',
  positionals: ['<integration-id>'],
  options: { app: APP_OPTION },
  async run(ctx, values, [id]) {
    const client = await ctx.client();
    const [integration, policies] = await Promise.all([client.get(integrationsPath(values, id!), integrationSchema), policiesOf(client, must(values, 'app'))]);
    ctx.out.result(integration, (i) => describeIntegration(i, policies));
  },
};

export const integrationsAdd: Command = {
  words: ['integrations', 'add'],
  summary: 'Connect a payment provider: its purchases then create and renew licenses.',
  mutating: true,
  options: {
    app: APP_OPTION,
    provider: { type: 'string', value: 'stripe|lemonsqueezy|paddle', help: 'the payment provider (paddle: Paddle Billing)', required: true },
    ...OPTIONS,
    inactive: { type: 'boolean', help: 'create it switched off (deliveries refused until `update --active on`)' },
  },
  details: 'Without --secret the signing secret is read from stdin. Give the provider the webhook URL this prints.',
  async run(ctx, values) {
    const client = await ctx.client();
    const policies = await policiesOf(client, must(values, 'app'));
    const prices = pricesOf(values, policies);
    const secret = await secretOf(ctx, values, true);
    const body = checkBody(createIntegrationBodySchema, {
      provider: must(values, 'provider') as never,
      signing_secret: secret!,
      prices,
      ...(text(values, 'description') !== undefined ? { description: text(values, 'description') } : {}),
      active: !values.inactive,
    });
    const created = await client.send('POST', integrationsPath(values), shown(ctx, body), integrationSchema);
    if (!created) return;
    ctx.out.note(`Give ${created.provider} this webhook URL: ${created.webhook_url}`);
    ctx.out.result(created, (i) => describeIntegration(i, policies));
  },
};

export const integrationsUpdate: Command = {
  words: ['integrations', 'update'],
  summary: 'Rotate a payment integration\'s signing secret, or change its prices, description or whether it is active.',
  positionals: ['<integration-id>'],
  mutating: true,
  options: {
    app: APP_OPTION,
    ...OPTIONS,
    'no-prices': { type: 'boolean', help: 'remove every price (no purchase creates a license)' },
    active: { type: 'string', value: 'on|off', help: 'off: the provider\'s deliveries are refused (it retries, then gives up)' },
  },
  details: '--price replaces the whole price map: list every price the integration should keep. --description "" clears it.',
  async run(ctx, values, [id]) {
    const client = await ctx.client();
    if (values['no-prices'] && list(values, 'price').length) throw usageError('pass --price or --no-prices, not both');
    const prices = list(values, 'price').length ? pricesOf(values, await policiesOf(client, must(values, 'app'))) : values['no-prices'] ? {} : undefined;
    const secret = await secretOf(ctx, values, false);
    const description = text(values, 'description');
    const active = onOff(values, 'active');
    if (secret === undefined && prices === undefined && description === undefined && active === undefined) {
      throw usageError('nothing to change: pass --secret or --secret-stdin, --price or --no-prices, --description, or --active on|off');
    }
    const body = checkBody(updateIntegrationBodySchema, {
      ...(secret !== undefined ? { signing_secret: secret } : {}),
      ...(prices !== undefined ? { prices } : {}),
      ...(description !== undefined ? { description: description === '' ? null : description } : {}),
      ...(active !== undefined ? { active } : {}),
    });
    const updated = await client.send('PATCH', integrationsPath(values, id!), shown(ctx, body), integrationSchema);
    if (!updated) return;
    if (secret !== undefined) ctx.out.note('The signing secret was replaced: deliveries signed with the old one are now refused.');
    const policies = await policiesOf(client, must(values, 'app'));
    ctx.out.result(updated, (i) => describeIntegration(i, policies));
  },
};

export const integrationsRemove: Command = {
  words: ['integrations', 'remove'],
  summary: 'Delete a payment integration (the licenses it created stay).',
  positionals: ['<integration-id>'],
  mutating: true,
  options: { app: APP_OPTION },
  async run(ctx, values, [id]) {
    await (await ctx.client()).send('DELETE', integrationsPath(values, id!), undefined, null);
    if (!ctx.dryRun) ctx.out.result({ deleted: id }, () => `deleted integration ${id}; remove its webhook endpoint at the provider too`);
  },
};
