/**
 * The DMG check against the fake macOS tools (test/support/fake-macos): `xcrun stapler validate` and `spctl` answer
 * from the fake's state, seeded here as notarize-dmg would have left it (signed with a Developer ID, ticket stapled).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installFakeMacos, type FakeMacos } from '../../../test/support/fake-macos/index.ts';
import { createRunner } from '../../shared/src/spawn.ts';
import { memoryLogger } from '../../shared/src/testing.ts';
import { notarizedDmgCheck } from './notarized.ts';

describe('notarizedDmgCheck', () => {
  let mac: FakeMacos;
  let dir: string;
  let dmg: string;

  beforeAll(async () => {
    mac = await installFakeMacos();
    dir = await mkdtemp(join(tmpdir(), 'upload-r2-notarized-'));
    dmg = join(dir, 'My App_1.2.3_aarch64.dmg');
    await writeFile(dmg, 'disk image');
  });
  afterAll(async () => {
    await mac.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  const seed = async (signed: boolean, stapled: boolean) => {
    const state = await mac.state();
    state.signatures = signed ? { [dmg]: 'Developer ID Application: Octo Org (TEAM123456)' } : {};
    state.stapled = stapled ? [dmg] : [];
    await writeFile(join(mac.dir, 'state.json'), JSON.stringify(state));
  };

  it('skips a DMG without a stapled ticket, naming the fix', async () => {
    await seed(true, false);
    await expect(notarizedDmgCheck(mac.runner(memoryLogger()))(dmg)).resolves.toMatch(/^not notarized: no ticket is stapled to it .*notarize-dmg/);
  });

  it('refuses a stapled DMG Gatekeeper rejects', async () => {
    await seed(false, true);
    await expect(notarizedDmgCheck(mac.runner(memoryLogger()))(dmg)).rejects.toThrow(/Gatekeeper does not accept/);
  });

  it('accepts a stapled, notarized Developer ID disk image', async () => {
    await seed(true, true);
    await expect(notarizedDmgCheck(mac.runner(memoryLogger()))(dmg)).resolves.toBeNull();
    expect((await mac.commandLines({ [dmg]: 'DMG' })).slice(-2)).toEqual([
      'xcrun stapler validate -v DMG',
      'spctl -a -vvv -t open --context context:primary-signature DMG',
    ]);
  });

  it('skips, with the reason, where the tools are missing', async () => {
    const run = createRunner(memoryLogger());
    const noTools = (command: string, args: Parameters<typeof run>[1]) => run(command, args, { env: { PATH: dir } });
    await expect(notarizedDmgCheck(noTools)(dmg)).resolves.toMatch(/^not checked for notarization: xcrun is not on this runner/);
  });
});
