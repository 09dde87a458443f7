/**
 * @module cli/commands/licenses
 * `licenses list|create|show|renew|suspend|reinstate|revoke|rotate|machines|deactivate` over
 * `/admin/apps/{app}/licenses`. A license key is printed once, by `create` and `rotate`, because the server shows it
 * only in that answer; `--out FILE` writes it to a 0600 file instead, so it never reaches the terminal or a CI log.
 */
import { writeFile } from 'node:fs/promises';
import {
  createdLicenseSchema,
  createLicenseBodySchema,
  type LicenseBody,
  licenseActionBodySchema,
  licenseDetailSchema,
  licenseListSchema,
  machineListSchema,
  machineSchema,
  renewLicenseBodySchema,
  rotatedLicenseSchema,
} from '../../protocol/licensing.ts';
import { checkBody, type Command, type Context, list, must, type OptionSpec, text } from '../args.ts';
import { usageError } from '../errors.ts';
import { checkKeyFile } from '../key-file.ts';
import { path } from '../http.ts';
import { fields, formatTime, table } from '../output.ts';
import { integer } from './policies.ts';
import { APP_OPTION } from './releases.ts';

const licensesPath = (app: string, ...rest: string[]) => path('/admin/apps', app, 'licenses', ...rest);
const OUT: OptionSpec = { type: 'string', value: 'file', help: 'write the key to this file (mode 0600) instead of printing it' };

/** `import:order-1234`: the id alone does not say which integration or import it came from. */
function externalIdOf(l: Pick<LicenseBody, 'external_source' | 'external_id'>): string | null {
  return l.external_id ? `${l.external_source}:${l.external_id}` : null;
}

function licenseFields(l: LicenseBody): string {
  return fields([
    ['id', l.id],
    ['key', `${l.key_prefix}…`],
    ['status', l.status],
    ['policy', l.policy_name],
    ['expires', l.expires_at ? `${formatTime(l.expires_at)}${l.expired ? ' (expired)' : ''}` : 'never'],
    ['eligible up to', l.eligible_up_to ?? 'nothing'],
    ['machines', `${l.machines_used} of ${l.machines_allowed ?? 'any number'}`],
    ['entitlements', l.entitlements.join(' ') || '(none)'],
    ['external id', externalIdOf(l)],
  ]);
}

/** Prints (or writes to --out) the key the answer carries, once. */
async function showKey(ctx: Context, out: string | undefined, license: LicenseBody, key: string): Promise<void> {
  if (out) {
    await writeFile(out, `${key}\n`, { mode: 0o600, flag: 'wx' }).catch((error: Error) => {
      throw usageError(`license ${license.id} has a new key, but it could not be written to ${out}: ${error.message}; rotate it with tauri-release licenses rotate ${license.id}`);
    });
    ctx.out.result({ ...license, key_file: out }, (l) => `${licenseFields(l)}\nkey written to ${out}`);
    return;
  }
  ctx.out.note('The license key is shown only this once: give it to the customer now (or use --out FILE).');
  ctx.out.result({ ...license, key }, (l) => `${licenseFields(l)}\n${fields([['license key', l.key]])}`);
}

export const licensesList: Command = {
  words: ['licenses', 'list'],
  summary: 'List or search an app\'s licenses (newest first).',
  options: {
    app: APP_OPTION,
    search: { type: 'string', value: 'text', help: 'a key, a key prefix (trl_AB…) or an external id' },
    status: { type: 'string', value: 'active|suspended|revoked', help: 'only licenses with this status' },
    limit: { type: 'string', value: 'n', help: 'at most this many (default 50)' },
  },
  async run(ctx, values) {
    const body = await (await ctx.client()).get(licensesPath(must(values, 'app')), licenseListSchema, {
      q: text(values, 'search'),
      status: text(values, 'status'),
      limit: integer(values, 'limit'),
    });
    ctx.out.result(body, ({ licenses, total }) =>
      `${table(
        ['ID', 'KEY', 'STATUS', 'POLICY', 'EXPIRES', 'ELIGIBLE UP TO', 'MACHINES', 'EXTERNAL ID'],
        licenses.map((l) => [l.id, `${l.key_prefix}…`, l.status, l.policy_name, formatTime(l.expires_at) ?? 'never', l.eligible_up_to ?? '-', `${l.machines_used}/${l.machines_allowed ?? '∞'}`, externalIdOf(l)]),
      )}\n${licenses.length} of ${total}`,
    );
  },
};

export const licensesCreate: Command = {
  words: ['licenses', 'create'],
  summary: 'Create a license; its key is shown once.',
  mutating: true,
  options: {
    app: APP_OPTION,
    policy: { type: 'string', value: 'policy-id', help: 'the policy (tauri-release policies list)', required: true },
    expires: { type: 'string', value: 'time', help: 'an explicit expiry (RFC 3339); default: the policy\'s' },
    entitlement: { type: 'string', value: 'name', multiple: true, help: 'on top of the policy\'s' },
    'external-id': { type: 'string', value: 'source:id', help: 'e.g. import:order-1234; creating again returns the same license' },
    out: OUT,
  },
  async run(ctx, values) {
    const external = text(values, 'external-id');
    const split = external?.indexOf(':') ?? -1;
    if (external !== undefined && split < 1) throw usageError('--external-id is source:id, e.g. import:order-1234');
    const entitlements = list(values, 'entitlement');
    const body = checkBody(createLicenseBodySchema, {
      policy_id: must(values, 'policy'),
      ...(text(values, 'expires') ? { expires_at: text(values, 'expires') } : {}),
      ...(entitlements.length ? { entitlements } : {}),
      ...(external ? { external_source: external.slice(0, split), external_id: external.slice(split + 1) } : {}),
    });
    await checkKeyFile(text(values, 'out'));
    const created = await (await ctx.client()).send('POST', licensesPath(must(values, 'app')), body, createdLicenseSchema);
    if (!created) return;
    const { key, created: isNew, ...license } = created;
    if (key === null || !isNew) {
      ctx.out.note(`A license with external id ${external} already exists; its key cannot be shown again (rotate it for a new one).`);
      ctx.out.result(created, () => licenseFields(license));
      return;
    }
    await showKey(ctx, text(values, 'out'), license, key);
  },
};

export const licensesShow: Command = {
  words: ['licenses', 'show'],
  summary: 'Show a license: status, expiry, the newest version it may install, machines.',
  positionals: ['<license-id>'],
  options: { app: APP_OPTION },
  async run(ctx, values, [id]) {
    const license = await (await ctx.client()).get(licensesPath(must(values, 'app'), id!), licenseDetailSchema);
    ctx.out.result(license, (l) => `${licenseFields(l)}\n${table(['MACHINE', 'FIRST SEEN', 'LAST SEEN', 'DEACTIVATED'], l.machines.map((m) => [m.id, formatTime(m.first_seen_at), formatTime(m.last_seen_at), formatTime(m.deactivated_at)]), '(no machines)')}`);
  },
};

export const licensesRenew: Command = {
  words: ['licenses', 'renew'],
  summary: 'Renew a license by one policy period (from its expiry, or from now if expired).',
  positionals: ['<license-id>'],
  mutating: true,
  options: { app: APP_OPTION, until: { type: 'string', value: 'time', help: 'an explicit new expiry (RFC 3339, in the future) instead' } },
  async run(ctx, values, [id]) {
    const body = checkBody(renewLicenseBodySchema, text(values, 'until') ? { expires_at: text(values, 'until') } : {});
    const renewed = await (await ctx.client()).send('POST', licensesPath(must(values, 'app'), id!, 'renew'), body, licenseDetailSchema);
    if (renewed) ctx.out.result(renewed, licenseFields);
  },
};

function statusCommand(action: 'suspend' | 'reinstate' | 'revoke', summary: string): Command {
  return {
    words: ['licenses', action],
    summary,
    positionals: ['<license-id>'],
    mutating: true,
    options: { app: APP_OPTION, reason: { type: 'string', help: 'kept in the audit log' } },
    async run(ctx, values, [id]) {
      const body = checkBody(licenseActionBodySchema, text(values, 'reason') ? { reason: text(values, 'reason') } : {});
      const changed = await (await ctx.client()).send('POST', licensesPath(must(values, 'app'), id!, action), body, licenseDetailSchema);
      if (changed) ctx.out.result(changed, licenseFields);
    },
  };
}

export const licensesSuspend = statusCommand('suspend', 'Suspend a license: checks and downloads refuse it until reinstated.');
export const licensesReinstate = statusCommand('reinstate', 'Reinstate a suspended license.');
export const licensesRevoke = statusCommand('revoke', 'Revoke a license (final).');

export const licensesRotate: Command = {
  words: ['licenses', 'rotate'],
  summary: 'Give a license a new key (shown once); the old key stops working.',
  positionals: ['<license-id>'],
  mutating: true,
  options: { app: APP_OPTION, out: OUT },
  async run(ctx, values, [id]) {
    await checkKeyFile(text(values, 'out'));
    const rotated = await (await ctx.client()).send('POST', licensesPath(must(values, 'app'), id!, 'rotate'), undefined, rotatedLicenseSchema);
    if (!rotated) return;
    const { key, ...license } = rotated;
    await showKey(ctx, text(values, 'out'), license, key);
  },
};

export const licensesMachines: Command = {
  words: ['licenses', 'machines'],
  summary: 'List a license\'s machines (installs counted against its limit).',
  positionals: ['<license-id>'],
  options: { app: APP_OPTION },
  async run(ctx, values, [id]) {
    const body = await (await ctx.client()).get(licensesPath(must(values, 'app'), id!, 'machines'), machineListSchema);
    ctx.out.result(body, ({ machines }) =>
      table(['ID', 'FIRST SEEN', 'LAST SEEN', 'DEACTIVATED'], machines.map((m) => [m.id, formatTime(m.first_seen_at), formatTime(m.last_seen_at), formatTime(m.deactivated_at)])),
    );
  },
};

export const licensesDeactivate: Command = {
  words: ['licenses', 'deactivate'],
  summary: 'Deactivate a machine: it no longer counts against the license\'s limit.',
  positionals: ['<license-id>', '<machine-id>'],
  mutating: true,
  options: { app: APP_OPTION },
  async run(ctx, values, [id, machine]) {
    const done = await (await ctx.client()).send('POST', licensesPath(must(values, 'app'), id!, 'machines', machine!, 'deactivate'), undefined, machineSchema);
    if (done) ctx.out.result(done, (m) => `deactivated machine ${m.id} at ${formatTime(m.deactivated_at)}`);
  },
};
