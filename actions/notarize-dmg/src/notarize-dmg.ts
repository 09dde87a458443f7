/**
 * notarize-dmg's main step, in the only safe order (docs/reference/signing.md §3.3): sign the DMG with a timestamp → verify →
 * submit (no wait) → wait, bounded → read the status (exit code 0 is not Accepted) → on Invalid/Rejected print the
 * developer log's issues → staple, retrying "Record not found" → `stapler validate` → `spctl`. Nothing signs after
 * the staple; a DMG that already has a ticket is only verified, never signed or submitted again.
 */
import { existsSync, globSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { makePrivateDir, removePrivateDir, writePrivateFile } from '../../shared/src/files.ts';
import type { Logger } from '../../shared/src/logger.ts';
import { exponentialBackoff, retry } from '../../shared/src/retry.ts';
import type { Runner } from '../../shared/src/spawn.ts';
import { SIGN_TIMEOUT_MS, signDmg, verifyApp, verifySignature } from './codesign.ts';
import type { NotarizeConfig } from './config.ts';
import * as notarytool from './notarytool.ts';
import { checkGatekeeper, hasStapledTicket, staple } from './stapler.ts';

export const STATE = { tempDir: 'tempDir' } as const;
export const TEMP_PREFIX = 'notarize-dmg-';
/** Attempts for requests that are safe to repeat after a network error (upload, wait, codesign's timestamp). */
const NETWORK_ATTEMPTS = 3;

export interface NotarizeDeps {
  run: Runner;
  logger: Logger;
  saveState(name: string, value: string): void;
  /** RUNNER_TEMP, for the .p8 written from an `api-key` input. */
  tempRoot: string;
  /** Where a relative `dmg` is resolved: the workspace. */
  cwd: string;
  sleep?: (ms: number) => Promise<void>;
  /** How long codesign may sign the DMG before it is taken for a keychain prompt (default `SIGN_TIMEOUT_MS`). */
  signTimeoutMs?: number;
}

export interface NotarizeOutcome {
  dmg: string;
  submissionId?: string;
  status?: string;
  statusSummary?: string;
  issues?: notarytool.NotaryIssue[];
  /** The DMG already carried a ticket: verified only. */
  alreadyStapled?: boolean;
  /** The .app verified (codesign --deep --strict) before the DMG was submitted. */
  app?: string;
  gatekeeper?: 'accepted' | 'not accepted' | 'not checked';
}

/** After the last network attempt of a notarytool call: what was tried, and what to do now, before the tool's output. */
function outOfReach(what: string, next: string): (error: unknown) => never {
  return (error) => {
    if (!(error instanceof notarytool.NotarytoolError && error.network)) throw error;
    throw new notarytool.NotarytoolError(`Apple's notary service could not be reached (${NETWORK_ATTEMPTS} attempts to ${what}): ${next}\n${error.message}`, true);
  };
}

/** A failure after something worth reporting happened (a submission exists): the outputs are still set. */
export class NotarizeFailure extends Error {
  readonly outcome: NotarizeOutcome;

  constructor(message: string, outcome: NotarizeOutcome) {
    super(message);
    this.name = 'NotarizeFailure';
    this.outcome = outcome;
  }
}

export async function notarizeDmg(config: NotarizeConfig, deps: NotarizeDeps): Promise<NotarizeOutcome> {
  const { run, logger } = deps;
  const dmg = resolveDmg(config.dmg, deps.cwd);
  const outcome: NotarizeOutcome = { dmg };
  let tempDir: string | undefined;
  try {
    if (await hasStapledTicket(run, dmg, { quiet: true })) {
      logger.info(`${dmg} already has a notarization ticket stapled. Signing it again would invalidate the ticket, so it is only verified.`);
      outcome.gatekeeper = await checkGatekeeper(run, logger, dmg, config.gatekeeperCheck);
      return { ...outcome, status: 'Accepted', alreadyStapled: true };
    }
    outcome.app = resolveApp(config.app, dmg, deps.cwd);
    if (outcome.app) await verifyApp(run, outcome.app);
    if (config.identity) {
      const sleep = deps.sleep;
      await signDmg(run, logger, dmg, {
        identity: config.identity,
        ...(config.keychain ? { keychain: config.keychain } : {}),
        attempts: NETWORK_ATTEMPTS,
        retryDelayMs: config.retryDelayMs,
        timeoutMs: deps.signTimeoutMs ?? SIGN_TIMEOUT_MS,
        ...(sleep ? { sleep } : {}),
      });
    }
    await verifySignature(run, dmg);

    let credentials: notarytool.Credentials;
    if (config.auth.kind === 'api-key') {
      let keyPath: string;
      if ('pem' in config.auth.key) {
        tempDir = await makePrivateDir(deps.tempRoot, TEMP_PREFIX);
        deps.saveState(STATE.tempDir, tempDir);
        keyPath = join(tempDir, `AuthKey_${config.auth.keyId}.p8`);
        await writePrivateFile(keyPath, config.auth.key.pem.reveal());
      } else {
        keyPath = config.auth.key.path;
        if (!existsSync(keyPath)) {
          throw new Error(
            `The API key file ${keyPath} (APPLE_API_KEY_PATH / api-key-path) does not exist. sign-apple writes it in the ` +
              'same job and its post step deletes it, so run notarize-dmg in that job; or pass api-key.',
          );
        }
      }
      credentials = { kind: 'api-key', keyPath, keyId: config.auth.keyId, issuer: config.auth.issuer };
    } else {
      credentials = { ...config.auth };
    }

    const networkRetry = {
      attempts: NETWORK_ATTEMPTS,
      delayMs: exponentialBackoff(config.retryDelayMs),
      retryIf: (error: unknown) => error instanceof notarytool.NotarytoolError && error.network,
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
    };
    outcome.submissionId = await retry(() => notarytool.submit(run, dmg, credentials), {
      ...networkRetry,
      onRetry: (_, attempt, delay) => logger.warning(`Upload to Apple failed on the network (attempt ${attempt}); uploading again in ${delay / 1000} s.`),
    }).catch(outOfReach('upload', 'no submission ID came back; re-run the job.'));
    logger.info(
      `Submission ID: ${outcome.submissionId}. If this job stops before the result, look it up with ` +
        `\`xcrun notarytool info ${outcome.submissionId}\` and the same credentials; no new upload is needed.`,
    );

    const waited = await retry(() => notarytool.wait(run, outcome.submissionId!, credentials, config.waitTimeout), {
      ...networkRetry,
      onRetry: (_, attempt, delay) => logger.warning(`Waiting failed on the network (attempt ${attempt}); waiting again in ${delay / 1000} s (no new upload).`),
    }).catch(
      outOfReach(
        `wait for submission ${outcome.submissionId}`,
        `it was uploaded, so look it up later with \`xcrun notarytool info ${outcome.submissionId}\` and the same credentials (no new upload needed), or re-run the job.`,
      ),
    );
    // Without a final status from `wait` (its timeout ran out, or it printed none), ask once more: it may have
    // finished in between, and this is the status the outputs report.
    outcome.status = waited.unfinished ? await notarytool.info(run, outcome.submissionId, credentials) : waited.status!;
    if (!notarytool.FINAL_STATUSES.includes(outcome.status)) {
      throw new NotarizeFailure(
        `Notarization of submission ${outcome.submissionId} did not finish within ${config.waitTimeout.text} (status: ` +
          `${outcome.status}). Apple keeps processing it: look it up later with \`xcrun notarytool info ` +
          `${outcome.submissionId}\`, or raise wait-timeout. Re-running the job uploads a new build, which is safe.`,
        outcome,
      );
    }
    logger.info(`Notarization status: ${outcome.status}`);
    if (outcome.status !== 'Accepted') {
      const log = await notarytool.developerLog(run, outcome.submissionId, credentials);
      outcome.statusSummary = log?.statusSummary;
      outcome.issues = log?.issues ?? [];
      for (const issue of outcome.issues) {
        logger.error(`${issue.path ?? dmg}: ${issue.message ?? 'no message'}${issue.architecture ? ` (${issue.architecture})` : ''}`, {
          title: `Notarization ${outcome.status}`,
        });
      }
      throw new NotarizeFailure(invalidMessage(outcome), outcome);
    }

    await staple(run, logger, dmg, { attempts: config.stapleAttempts, retryDelayMs: config.retryDelayMs, ...(deps.sleep ? { sleep: deps.sleep } : {}) });
    if (!(await hasStapledTicket(run, dmg))) throw new NotarizeFailure(`stapler validate finds no ticket on ${dmg} after stapling.`, outcome);
    outcome.gatekeeper = await checkGatekeeper(run, logger, dmg, config.gatekeeperCheck);
    return outcome;
  } catch (error) {
    if (error instanceof NotarizeFailure || !outcome.submissionId) throw error;
    throw new NotarizeFailure(error instanceof Error ? error.message : String(error), outcome);
  } finally {
    // The post step would also remove it; doing it here keeps the key on disk no longer than needed.
    if (tempDir) {
      await removePrivateDir(tempDir, TEMP_PREFIX).catch((error: unknown) => logger.warning(`Could not delete ${tempDir}: ${String(error)}`));
    }
  }
}

function invalidMessage(outcome: NotarizeOutcome): string {
  const issues = outcome.issues ?? [];
  const lines = issues.slice(0, 10).map((issue) => `- ${issue.path ?? outcome.dmg}: ${issue.message ?? 'no message'}`);
  if (issues.length > 10) lines.push(`- … and ${issues.length - 10} more (see the log above)`);
  return [
    `Notarization ${outcome.status} for submission ${outcome.submissionId}${outcome.statusSummary ? `: ${outcome.statusSummary}` : ''}.`,
    ...(issues.length > 0 ? [`${issues.length} issue${issues.length === 1 ? '' : 's'}:`, ...lines] : ['Apple\'s log lists no issues; see it above.']),
    'Submitting the same DMG again gives the same result. Fix the signing (every nested binary signed inside-out with ' +
      '--options runtime --timestamp, nothing modified after signing), rebuild, and run again.',
  ].join('\n');
}

/** `dmg` as an absolute path: a path, or a glob that must match exactly one .dmg. */
export function resolveDmg(pattern: string, cwd: string): string {
  const matches = /[*?[{]/.test(pattern) ? globSync(pattern, { cwd }).map((path) => resolve(cwd, path)) : [resolve(cwd, pattern)];
  const found = matches.filter((path) => existsSync(path) && statSync(path).isFile());
  if (found.length !== 1) {
    throw new Error(
      found.length === 0
        ? `dmg ${JSON.stringify(pattern)} matches no file (relative paths start at ${cwd}).`
        : `dmg ${JSON.stringify(pattern)} matches ${found.length} files; make it match one:\n${found.map((f) => `  ${f}`).join('\n')}`,
    );
  }
  if (!/\.dmg$/i.test(found[0]!)) throw new Error(`${found[0]} is not a .dmg; notarize-dmg notarizes disk images.`);
  return found[0]!;
}

/**
 * The .app inside the DMG, to verify first: the `app` input (a path, or a glob matching one .app), else Tauri's
 * layout (bundle/dmg/X.dmg beside bundle/macos/X.app) when it holds exactly one; undefined when there is none.
 */
export function resolveApp(pattern: string | undefined, dmg: string, cwd: string): string | undefined {
  const found = pattern
    ? (/[*?[{]/.test(pattern) ? globSync(pattern, { cwd }) : [pattern]).map((path) => resolve(cwd, path)).filter((path) => existsSync(path))
    : globSync('*.app', { cwd: join(dirname(dmg), '..', 'macos') }).map((name) => resolve(dirname(dmg), '..', 'macos', name));
  if (pattern && found.length !== 1) {
    throw new Error(`app ${JSON.stringify(pattern)} matches ${found.length} bundles (relative paths start at ${cwd}); make it match the one .app in the DMG.`);
  }
  return found.length === 1 ? found[0] : undefined;
}

/** The step summary: submission, status, and Apple's issues when there are any. */
export function summaryMarkdown(outcome: NotarizeOutcome, failure?: string): string {
  const rows = [
    ['DMG', outcome.dmg],
    ['Submission', outcome.submissionId ?? (outcome.alreadyStapled ? 'none (ticket already stapled)' : '—')],
    ['Status', outcome.status ?? '—'],
    ['App verified (codesign --deep --strict)', outcome.app ?? '—'],
    ['Stapled and verified', failure ? 'no' : 'yes'],
    ['Gatekeeper', outcome.gatekeeper ?? '—'],
  ];
  const out = ['### notarize-dmg', '', '| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${String(v).replace(/\|/g, '\\|')} |`), ''];
  if (outcome.issues?.length) {
    out.push(`**${outcome.statusSummary ?? 'Issues'}**`, '');
    for (const issue of outcome.issues) {
      out.push(`- \`${issue.path ?? outcome.dmg}\`: ${issue.message ?? ''}${issue.docUrl ? ` ([docs](${issue.docUrl}))` : ''}`);
    }
    out.push('');
  }
  if (failure) out.push('```', failure, '```', '');
  return out.join('\n');
}
