/**
 * @module cli/commands/upload
 * `upload <dir-or-files...> --app A --version V [--publish]`: find (upload.ts `findArtifacts`), verify against the
 * app's key (`verifyArtifacts`), then send through the CI API with the upload action's own code
 * (`uploadPresigned`), then publish through the admin API.
 */
import { CredentialSource } from '../../../../actions/shared/src/ci-credentials.ts';
import { ControlPlane } from '../../../../actions/shared/src/control-plane.ts';
import { exponentialBackoff } from '../../../../actions/shared/src/retry.ts';
import { Secret } from '../../../../actions/shared/src/secret.ts';
import { uploadPresigned } from '../../../../actions/upload-r2/src/presigned.ts';
import { toCiArtifact } from '../../../../actions/upload-r2/src/summary.ts';
import { normalizeVersion } from '../../protocol/semver.ts';
import { parsePlatformKey, type PlatformKey } from '../../protocol/platforms.ts';
import { appSchema, releaseSchema } from '../../protocol/schemas.ts';
import { type Command, list, must, text } from '../args.ts';
import { usageError } from '../errors.ts';
import { path, printPlanned } from '../http.ts';
import { formatSize, table } from '../output.ts';
import { findArtifacts, progressLogger, transferFailure, verifyArtifacts } from '../upload.ts';
import { APP_OPTION } from './releases.ts';

export const upload: Command = {
  words: ['upload'],
  summary: 'Upload a tauri build\'s signed updater bundles to a (new or draft) release, and optionally publish it.',
  positionals: ['<dir-or-file>...'],
  mutating: true,
  options: {
    app: APP_OPTION,
    version: { type: 'string', help: 'the release\'s version (the one the bundles were built and signed for)', required: true },
    platform: { type: 'string', value: 'os-arch', multiple: true, help: 'for bundles whose name has no architecture (macOS .app.tar.gz), and to upload only these platforms' },
    notes: { type: 'string', help: 'release notes for a new draft' },
    channel: { type: 'string', help: 'release channel for a new draft (default stable)' },
    publish: { type: 'boolean', help: 'publish the release once every artifact is verified by the server' },
    concurrency: { type: 'string', value: 'n', help: 'multipart parts in flight at once (default 4)' },
  },
  details: [
    'Each bundle needs its .sig beside it. Every signature is verified against the app\'s public key (fetched from the',
    'server) before anything is sent: one that does not verify stops the whole upload (exit 1, nothing uploaded).',
    'Large files on S3/R2 go up in parts; a failed part is retried on its own. Progress goes to stderr.',
  ].join('\n'),
  async run(ctx, values, inputs) {
    const app = must(values, 'app');
    const version = normalizeVersion(must(values, 'version'));
    if (!version) throw usageError(`--version ${JSON.stringify(text(values, 'version'))} is not a semantic version (e.g. 1.2.3)`);
    const platforms = list(values, 'platform').map((key) => {
      if (!parsePlatformKey(key)) throw usageError(`--platform ${JSON.stringify(key)} is not {os}-{arch}, e.g. darwin-aarch64, windows-x86_64, linux-x86_64`);
      return key as PlatformKey;
    });
    const concurrency = Number(text(values, 'concurrency') ?? 4);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) throw usageError('--concurrency must be a whole number from 1 to 16');

    const { artifacts, skipped } = await findArtifacts(inputs, platforms);
    for (const file of skipped) ctx.out.note(`not uploaded: ${file.path}: ${file.reason}`);
    const client = await ctx.client();
    const appBody = await client.get(path('/admin/apps', app), appSchema);
    await verifyArtifacts(artifacts, appBody.public_key, appBody.slug, version);
    ctx.out.note(`verified ${artifacts.length} signature(s) against key ${appBody.public_key_id}: ${artifacts.map((a) => `${a.fileName} (${a.platform})`).join(', ')}`);

    const ci = (...rest: string[]) => path('/ci/apps', appBody.slug, 'releases', ...rest);
    const notes = text(values, 'notes');
    const channel = text(values, 'channel');
    if (ctx.dryRun) {
      printPlanned(ctx.out, [
        client.plan('POST', ci(), { version, ...(notes !== undefined ? { notes } : {}), ...(channel ? { channel } : {}) }),
        ...artifacts.flatMap((a) => [
          client.plan('POST', ci(version, 'uploads'), { ...toCiArtifact(a), content_type: 'application/octet-stream' }),
          { method: 'PUT', url: '(the upload URL the server answers with)', headers: { 'content-length': String(a.size) }, body: `${a.path} (${a.size} bytes)` },
          client.plan('POST', ci(version, 'uploads', '{upload_id}', 'complete'), {}),
        ]),
        ...(values.publish ? [client.plan('POST', path('/admin/apps', appBody.slug, 'releases', version, 'publish'))] : []),
      ]);
      return;
    }

    const logger = progressLogger(ctx.out);
    const settings = { logger, concurrency, progressIntervalMs: ctx.out.stderr.isTTY ? 200 : 2_000, attempts: 4, backoff: exponentialBackoff(500, 8_000) };
    const plane = new ControlPlane({
      serverUrl: client.url,
      app: appBody.slug,
      credentials: new CredentialSource({ apiKey: new Secret('API key', client.key), logger }),
      ...settings,
    });
    let reports;
    try {
      // Notes and channel go with the create-or-reuse; uploadPresigned's own call then finds the draft.
      if (notes !== undefined || channel) await plane.createRelease({ version, ...(notes !== undefined ? { notes } : {}), ...(channel ? { channel } : {}) });
      reports = await uploadPresigned(plane, version, artifacts, settings);
    } catch (error) {
      throw transferFailure(error);
    }
    let release = await client.get(path('/admin/apps', appBody.slug, 'releases', version), releaseSchema);
    if (values.publish && release.status !== 'published') {
      release = (await client.send('POST', path('/admin/apps', appBody.slug, 'releases', version, 'publish'), undefined, releaseSchema))!;
    }
    const result = {
      app: appBody.slug,
      version: release.version,
      status: release.status,
      artifacts: reports.map((r) => ({ ...toCiArtifact(r.artifact), how: r.how, seconds: r.seconds })),
      skipped,
    };
    ctx.out.result(result, (r) =>
      [
        table(['FILE', 'PLATFORM', 'BUNDLE', 'SIZE', 'SENT AS'], r.artifacts.map((a) => [a.file_name, a.platform, a.bundle, formatSize(a.size), a.how])),
        `release ${r.version} of ${r.app} is ${r.status === 'published' ? 'published' : `a ${r.status}${values.publish ? '' : ' (publish it with --publish, or tauri-release releases publish)'}`}`,
      ].join('\n'),
    );
  },
};
