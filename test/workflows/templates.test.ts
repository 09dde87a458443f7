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

    // The template's commented example names inputs the reusable workflow declares, so uncommenting it works.
    const example = [...(await read('workflows-templates/release-reusable.yml')).matchAll(/^ {6}# ([a-z-]+): \S/gm)].map(([, input]) => input);
    expect(example).toEqual(['windows-sign-command', 'install-command']);
    for (const input of example) expect(inputs).toHaveProperty([input!]);
  });
});
