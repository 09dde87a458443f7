/**
 * @module cli/commands/policies
 * `policies list|create|show|delete` over `/admin/apps/{app}/licensing/policies`, `licensing` (show or switch
 * the app's mode) and `licensing rotate-file-key` (a new offline license-file key). Bodies are checked with the server's own schemas (protocol/licensing.ts) before anything is sent.
 */
import {
  createPolicyBodySchema,
  licenseFileKeyListSchema,
  licensingSchema,
  type PolicyBody,
  policyListSchema,
  policySchema,
  putLicensingBodySchema,
  rotateFileKeyBodySchema,
} from '../../protocol/licensing.ts';
import { checkBody, type Command, list, must, text, type Values } from '../args.ts';
import { usageError } from '../errors.ts';
import { path } from '../http.ts';
import { fields, formatTime, table } from '../output.ts';
import { APP_OPTION } from './releases.ts';

export const licensingPath = (app: string, ...rest: string[]) => path('/admin/apps', app, 'licensing', ...rest);

/** A whole number option, as the schema's number (a usage error names the option). */
export function integer(values: Values, name: string): number | undefined {
  const value = text(values, name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw usageError(`--${name} must be a whole number, not ${JSON.stringify(value)}`);
  return Number(value);
}

const duration = (p: PolicyBody) => (p.duration_days === null ? 'perpetual' : `${p.duration_days} days`);

export function policyFields(p: PolicyBody): string {
  return fields([
    ['id', p.id],
    ['name', p.name],
    ['duration', duration(p)],
    ['expiry', `${p.expiry_strategy}${p.grace_days ? ` (+${p.grace_days} grace days)` : ''}, from ${p.expiration_basis === 'created' ? 'creation' : 'first check'}`],
    ['machines', p.max_machines ?? 'any number'],
    ['entitlements', p.entitlements.join(' ') || '(none)'],
    ['patch line after expiry', p.patch_line_after_expiry ? 'yes' : 'no'],
    ['licenses', p.licenses],
  ]);
}

export const licensingShow: Command = {
  words: ['licensing'],
  summary: 'Show an app\'s licensing mode, or switch it with --mode open|licensed.',
  mutating: true,
  options: {
    app: APP_OPTION,
    mode: { type: 'string', value: 'open|licensed', help: 'switch: licensed apps need a license for every check and download' },
  },
  async run(ctx, values) {
    const client = await ctx.client();
    const app = must(values, 'app');
    const mode = text(values, 'mode');
    const body = mode === undefined ? await client.get(licensingPath(app), licensingSchema) : await client.send('PUT', licensingPath(app), checkBody(putLicensingBodySchema, { mode }), licensingSchema);
    if (body) ctx.out.result(body, (l) => fields([['mode', l.mode], ['policies', l.policies], ['licenses', l.licenses], ['SECRETS_KEY', l.secrets_key ? 'set' : 'missing (licensed apps need it)']]));
  },
};

export const licensingRotateFileKey: Command = {
  words: ['licensing', 'rotate-file-key'],
  summary: 'Give an app a new offline license-file key; the old one retires (--remove-previous after a leak).',
  mutating: true,
  options: {
    app: APP_OPTION,
    'remove-previous': { type: 'boolean', help: 'delete the old key instead of listing it for 30 days (it leaked)' },
  },
  async run(ctx, values) {
    const app = must(values, 'app');
    const body = checkBody(rotateFileKeyBodySchema, { remove_previous: values['remove-previous'] === true });
    const listed = await (await ctx.client()).send('POST', licensingPath(app, 'file-key', 'rotate'), body, licenseFileKeyListSchema);
    if (listed) {
      ctx.out.result(listed, ({ keys }) =>
        table(['KID', 'STATUS', 'CREATED', 'LISTED UNTIL', 'PUBLIC KEY'], keys.map((k) => [k.kid, k.status, formatTime(k.created_at), formatTime(k.listed_until), k.public_key])),
      );
    }
  },
};

export const policiesList: Command = {
  words: ['policies', 'list'],
  summary: 'List an app\'s license policies.',
  options: { app: APP_OPTION },
  async run(ctx, values) {
    const body = await (await ctx.client()).get(licensingPath(must(values, 'app'), 'policies'), policyListSchema);
    ctx.out.result(body, ({ policies }) =>
      table(
        ['ID', 'NAME', 'DURATION', 'EXPIRY', 'MACHINES', 'ENTITLEMENTS', 'LICENSES'],
        policies.map((p) => [p.id, p.name, duration(p), p.expiry_strategy, p.max_machines ?? 'any', p.entitlements.join(' '), p.licenses]),
      ),
    );
  },
};

export const policiesCreate: Command = {
  words: ['policies', 'create'],
  summary: 'Create a license policy (default: 365 days, fallback after expiry).',
  mutating: true,
  options: {
    app: APP_OPTION,
    name: { type: 'string', help: 'e.g. "Yearly"', required: true },
    days: { type: 'string', value: 'n', help: 'how long a license lasts (default 365)' },
    perpetual: { type: 'boolean', help: 'licenses never expire' },
    strategy: { type: 'string', value: 'fallback|revoke|allow', help: 'what expiry means (default fallback)' },
    basis: { type: 'string', value: 'created|first_check', help: 'when the clock starts (default created)' },
    'grace-days': { type: 'string', value: 'n', help: 'days before `revoke` bites' },
    'max-machines': { type: 'string', value: 'n', help: 'installs per license (X-Install-Id)' },
    entitlement: { type: 'string', value: 'name', multiple: true, help: 'granted to every license of the policy' },
    'patch-line': { type: 'boolean', help: 'after expiry, also patches of the last eligible major.minor line' },
  },
  async run(ctx, values) {
    if (values.perpetual && text(values, 'days') !== undefined) throw usageError('--days and --perpetual exclude each other');
    const entitlements = list(values, 'entitlement');
    const body = checkBody(createPolicyBodySchema, {
      name: must(values, 'name'),
      ...(values.perpetual ? { duration_days: null } : integer(values, 'days') !== undefined ? { duration_days: integer(values, 'days') } : {}),
      ...(text(values, 'strategy') ? { expiry_strategy: text(values, 'strategy') as never } : {}),
      ...(text(values, 'basis') ? { expiration_basis: text(values, 'basis') as never } : {}),
      ...(integer(values, 'grace-days') !== undefined ? { grace_days: integer(values, 'grace-days') } : {}),
      ...(integer(values, 'max-machines') !== undefined ? { max_machines: integer(values, 'max-machines') } : {}),
      ...(entitlements.length ? { entitlements } : {}),
      ...(values['patch-line'] ? { patch_line_after_expiry: true } : {}),
    });
    const created = await (await ctx.client()).send('POST', licensingPath(must(values, 'app'), 'policies'), body, policySchema);
    if (created) ctx.out.result(created, policyFields);
  },
};

export const policiesShow: Command = {
  words: ['policies', 'show'],
  summary: 'Show a license policy.',
  positionals: ['<policy-id>'],
  options: { app: APP_OPTION },
  async run(ctx, values, [id]) {
    ctx.out.result(await (await ctx.client()).get(licensingPath(must(values, 'app'), 'policies', id!), policySchema), policyFields);
  },
};

export const policiesDelete: Command = {
  words: ['policies', 'delete'],
  summary: 'Delete a license policy no license uses.',
  positionals: ['<policy-id>'],
  mutating: true,
  options: { app: APP_OPTION },
  async run(ctx, values, [id]) {
    await (await ctx.client()).send('DELETE', licensingPath(must(values, 'app'), 'policies', id!), undefined, null);
    if (!ctx.dryRun) ctx.out.result({ deleted: id }, () => `deleted policy ${id}`);
  },
};
