/**
 * @module ui/client/integration-form
 * The payment integration form's plain logic, testable without a browser: the draft the form edits, read into the
 * admin API's body with the server's own schemas (protocol/billing.ts), so a form the page accepts is a body the API
 * accepts and a refusal names the field it belongs to. Also the words each provider's fields are labelled with.
 */
import {
  type CreateIntegrationBody,
  createIntegrationBodySchema,
  type IntegrationView,
  type PaymentProvider,
  type UpdateIntegrationBody,
  updateIntegrationBodySchema,
} from '../../protocol/billing.ts';

/** One line of the price map: the provider's price (or variant) id and the policy a purchase of it gets. */
export interface PriceRow {
  price: string;
  policy: string;
}

export interface IntegrationDraft {
  provider: PaymentProvider;
  /** Empty when editing: the secret is kept (the server never shows it back). */
  secret: string;
  description: string;
  active: boolean;
  rows: PriceRow[];
}

export const EMPTY_PRICE_ROW: PriceRow = { price: '', policy: '' };

export const newIntegrationDraft = (): IntegrationDraft => ({ provider: 'stripe', secret: '', description: '', active: true, rows: [EMPTY_PRICE_ROW] });

export function draftOfIntegration(integration: IntegrationView): IntegrationDraft {
  const rows = Object.entries(integration.prices).map(([price, policy]) => ({ price, policy }));
  return { provider: integration.provider, secret: '', description: integration.description ?? '', active: integration.active, rows: rows.length ? rows : [EMPTY_PRICE_ROW] };
}

export interface DraftProblems {
  secret: string | null;
  prices: string | null;
  description: string | null;
}

type Read<B> = { body: B; problems: DraftProblems } | { body: null; problems: DraftProblems };

/** The rows as the API's `prices` map; blank rows are skipped, a half-filled or repeated one is a problem. */
function pricesOf(rows: readonly PriceRow[]): { prices: Record<string, string>; problem: string | null } {
  const prices: Record<string, string> = {};
  for (const row of rows) {
    const price = row.price.trim();
    if (price === '' && row.policy === '') continue;
    if (price === '') return { prices, problem: 'Each row needs the provider\'s price or variant id.' };
    if (row.policy === '') return { prices, problem: `Choose the policy a purchase of ${price} gets.` };
    if (price in prices) return { prices, problem: `${price} is listed twice.` };
    prices[price] = row.policy;
  }
  return { prices, problem: null };
}

const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

interface Issue {
  path: readonly PropertyKey[];
  message: string;
  /** A record key's own issues (zod's `invalid_key` says only "Invalid key in record"). */
  issues?: readonly { message: string }[];
}

/** The schema's issues sorted by the field they are about (the first of each). */
function problemsOf(issues: readonly Issue[], pricesProblem: string | null): DraftProblems {
  const first = (field: string) => {
    const issue = issues.find((candidate) => candidate.path[0] === field);
    if (!issue) return null;
    const where = issue.path.length > 1 ? `${String(issue.path[1])}: ` : '';
    return `${where}${capitalized(issue.issues?.[0]?.message ?? issue.message)}`;
  };
  return { secret: first('signing_secret'), prices: pricesProblem ?? first('prices'), description: first('description') };
}

/** The create form read as `POST …/integrations`' body, or each field's problem. */
export function readNewIntegration(draft: IntegrationDraft): Read<CreateIntegrationBody> {
  const { prices, problem } = pricesOf(draft.rows);
  const candidate = {
    provider: draft.provider,
    signing_secret: draft.secret,
    prices,
    description: draft.description.trim() || null,
    active: draft.active,
  };
  const parsed = createIntegrationBodySchema.safeParse(candidate);
  if (parsed.success && problem === null) return { body: parsed.data, problems: { secret: null, prices: null, description: null } };
  return { body: null, problems: problemsOf(parsed.error?.issues ?? [], problem) };
}

/**
 * The edit form read as `PATCH …/integrations/{id}`' body: only what changed, the secret only when one was typed.
 * A body of `{}` means nothing to save.
 */
export function readIntegrationChanges(draft: IntegrationDraft, saved: IntegrationView): Read<UpdateIntegrationBody> {
  const { prices, problem } = pricesOf(draft.rows);
  const description = draft.description.trim() || null;
  const candidate: Record<string, unknown> = {};
  if (draft.secret !== '') candidate.signing_secret = draft.secret;
  if (JSON.stringify(prices) !== JSON.stringify(saved.prices)) candidate.prices = prices;
  if (description !== saved.description) candidate.description = description;
  if (draft.active !== saved.active) candidate.active = draft.active;
  if (Object.keys(candidate).length === 0 && problem === null) return { body: {}, problems: { secret: null, prices: null, description: null } };
  const parsed = updateIntegrationBodySchema.safeParse(candidate);
  if (parsed.success && problem === null) return { body: parsed.data, problems: { secret: null, prices: null, description: null } };
  return { body: null, problems: problemsOf(parsed.error?.issues ?? [], problem) };
}

interface ProviderWords {
  name: string;
  /** What the provider calls the id a purchase is matched by. */
  priceLabel: string;
  pricePlaceholder: string;
  /** Where the signing secret comes from. */
  secretHint: string;
  /** Where the webhook URL goes. */
  webhookHint: string;
}

export const PROVIDER_WORDS: Record<PaymentProvider, ProviderWords> = {
  stripe: {
    name: 'Stripe',
    priceLabel: 'Price id',
    pricePlaceholder: 'price_…',
    secretHint: 'The endpoint\'s signing secret (whsec_…), from Developers → Webhooks.',
    webhookHint: 'Developers → Webhooks → Add endpoint; send invoice.paid, invoice_payment.paid, invoice_payment.detached, charge.refunded, charge.dispute.created.',
  },
  lemonsqueezy: {
    name: 'Lemon Squeezy',
    priceLabel: 'Variant id',
    pricePlaceholder: '123456',
    secretHint: 'The signing secret you type into the webhook in Settings → Webhooks (6–40 characters).',
    webhookHint: 'Settings → Webhooks; send order_created, order_refunded, subscription_created, subscription_payment_success, subscription_payment_refunded.',
  },
  paddle: {
    name: 'Paddle Billing',
    priceLabel: 'Price id',
    pricePlaceholder: 'pri_…',
    secretHint: 'The notification destination\'s secret key (pdl_ntfset_…), from Developer tools → Notifications.',
    webhookHint: 'Developer tools → Notifications → New destination; send transaction.completed, adjustment.created, adjustment.updated.',
  },
};
