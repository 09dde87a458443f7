/**
 * What the two templates tell an adopter beyond what the schema checks (issue 18 #3, #7): a bound on every build
 * job, and, for the reusable workflow, the explicit `secrets:` mapping that replaces `secrets: inherit` when the
 * suite lives in another organization — naming every secret the reusable workflow declares.
 */
import { describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { REPO_ROOT } from './validate.ts';

const { safeLoad } = createRequire(import.meta.url)('js-yaml') as { safeLoad(text: string): unknown };
const read = (path: string) => readFile(join(REPO_ROOT, path), 'utf8');

interface Workflow {
  on: { workflow_call?: { inputs: Record<string, unknown>; secrets: Record<string, unknown> } };
  jobs: Record<string, { 'timeout-minutes'?: unknown; uses?: string; with?: Record<string, unknown>; steps?: Step[] }>;
}

interface Step {
  uses?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}

describe('the templates', () => {
  it('bound each build job: the starter with timeout-minutes, the reusable workflow through its timeout-minutes input', async () => {
    const starter = safeLoad(await read('workflows-templates/release.yml')) as Workflow;
    expect(starter.jobs.build!['timeout-minutes']).toEqual(expect.any(Number));

    const reusable = safeLoad(await read('.github/workflows/release.yml')) as Workflow;
    expect(reusable.on.workflow_call!.inputs['timeout-minutes']).toMatchObject({ type: 'number', default: 90 });
    expect(reusable.jobs.build!['timeout-minutes']).toBe('${{ inputs.timeout-minutes }}');
    const caller = safeLoad(await read('workflows-templates/release-reusable.yml')) as Workflow;
    expect(caller.jobs.release!.with!['timeout-minutes']).toEqual(expect.any(Number));
  });

  it('the reusable template shows the secrets: mapping for callers in another organization, one line per secret it names', async () => {
    const text = await read('workflows-templates/release-reusable.yml');
    expect(text).toMatch(/`secrets: inherit` reaches a reusable workflow only in the same organization or enterprise/);
    const declared = Object.keys((safeLoad(await read('.github/workflows/release.yml')) as Workflow).on.workflow_call!.secrets);
    const mapped = [...text.matchAll(/^ {4}# {5}([A-Z0-9_]+): \$\{\{ secrets\.([A-Z0-9_]+) \}\}$/gm)];
    expect(mapped.length).toBeGreaterThan(0);
    for (const [, name, source] of mapped) {
      expect(declared).toContain(name);
      expect(source).toBe(name);
    }
    for (const name of declared) expect(text).toContain(name!);
  });

  it('the reusable workflow hands windows-sign-command to the root action, with the Azure credentials it reads as env', async () => {
    const reusable = safeLoad(await read('.github/workflows/release.yml')) as Workflow;
    const { inputs, secrets } = reusable.on.workflow_call!;
    expect(inputs['windows-sign-command']).toMatchObject({ type: 'string', default: '' });
    const leg = reusable.jobs.build!.steps!.find((step) => step.uses === '$/')!;
    expect(leg.with!['windows-sign-command']).toBe('${{ inputs.windows-sign-command }}');
    const azure = ['AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_TENANT_ID'];
    expect(leg.env).toEqual(Object.fromEntries(azure.map((name) => [name, `\${{ secrets.${name} }}`])));
    for (const name of azure) expect(secrets).toHaveProperty(name);

    // The template's commented examples name inputs the reusable workflow declares, so uncommenting one works.
    const example = [...(await read('workflows-templates/release-reusable.yml')).matchAll(/^ {6}# ([a-z-]+): \S/gm)].map(([, input]) => input);
    expect(example).toEqual(['windows-sign-command', 'install-command', 'windows-sign-command', 'keylocker-host']);
    for (const input of example) expect(inputs).toHaveProperty([input!]);
  });

  // The root action's keylocker-* inputs, and the secret each takes in both templates (DigiCert's names).
  const KEYLOCKER_SECRETS = {
    'keylocker-api-key': 'SM_API_KEY',
    'keylocker-client-certificate': 'SM_CLIENT_CERT_FILE_B64',
    'keylocker-client-certificate-password': 'SM_CLIENT_CERT_PASSWORD',
  };

  it('the reusable workflow hands DigiCert KeyLocker\'s secrets to the root action\'s keylocker-* inputs, optional, and to no step\'s env', async () => {
    const reusable = safeLoad(await read('.github/workflows/release.yml')) as Workflow;
    const { inputs, secrets } = reusable.on.workflow_call!;
    expect(inputs['keylocker-host']).toMatchObject({ type: 'string', default: '' });
    const root = safeLoad(await read('action.yml')) as { inputs: Record<string, { required: boolean; default: string }> };
    const leg = reusable.jobs.build!.steps!.find((step) => step.uses === '$/')!;
    expect(leg.with!['keylocker-host']).toBe('${{ inputs.keylocker-host }}');
    for (const [input, secret] of Object.entries(KEYLOCKER_SECRETS)) {
      expect(secrets[secret]).toMatchObject({ required: false });
      expect(leg.with![input]).toBe(`\${{ secrets.${secret} }}`);
      expect(root.inputs[input]).toMatchObject({ required: false, default: '' });
    }
    // The credentials go only to the inputs, which give them to the one step that signs (test/workflows/root-action.test.ts).
    const everyStep = Object.values(reusable.jobs).flatMap((job) => job.steps ?? []);
    for (const step of everyStep) expect(JSON.stringify(step.env ?? {})).not.toMatch(/SM_/);
    expect(JSON.stringify(reusable.jobs.build!.steps!.filter((step) => step !== leg))).not.toMatch(/SM_/);
  });

  it('the starter workflow\'s commented KeyLocker lines are root action inputs with the same secrets', async () => {
    const text = await read('workflows-templates/release.yml');
    const root = safeLoad(await read('action.yml')) as { inputs: Record<string, unknown> };
    const lines = Object.fromEntries([...text.matchAll(/^ {10}# ([a-z-]+): (.+)$/gm)].map(([, input, value]) => [input!, value!]));
    expect(Object.keys(lines)).toEqual(['windows-sign-command', 'keylocker-host', ...Object.keys(KEYLOCKER_SECRETS)]);
    for (const input of Object.keys(lines)) expect(root.inputs).toHaveProperty([input]);
    for (const [input, secret] of Object.entries(KEYLOCKER_SECRETS)) expect(lines[input]).toBe(`\${{ secrets.${secret} }}`);
    expect(lines['windows-sign-command']).toMatch(/^smctl sign .*%1$/);
  });
});
