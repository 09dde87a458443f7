/**
 * Random operations for test/robustness/ci-concurrent-operations.test.ts: CI release jobs (trusted publishing: OIDC
 * token exchange, draft, upload request, the bytes PUT where the server says, complete, sometimes publish), re-runs
 * of the same job with other bytes, updater key rotations, rollout changes, and admin publish, yank and delete of
 * the same releases. Each is fired through the HTTP API and answers with every status it got.
 */
import type { LocalIssuer } from '../support/oidc-issuer.ts';
import type { Random } from '../support/prng.ts';
import type { RunningServer } from '../support/server.ts';
import type { KeyPair } from '../support/tauri.ts';
import { type ReleaseView, type SignedBlob, type SlotSpec, SLOTS } from './release-operations.ts';

/** Bytes signed by one of the app's two updater keys (`key` 0 or 1); `good` is false for a crossed signature. */
export interface KeyedBlob extends SignedBlob { key: 0 | 1 }

/** When an admin operation fires: at once, or once some job of the batch has its upload URL, or has completed. */
export type Moment = 'start' | 'uploading' | 'completed';

export type CiOperation =
  | { kind: 'ci-job'; version: string; slot: SlotSpec; blob: KeyedBlob; publish: boolean }
  | { kind: 'rotate'; key: 0 | 1; after: Moment }
  | { kind: 'rollout'; version: string; percent: number; after: Moment }
  | { kind: 'publish' | 'yank' | 'unyank' | 'delete-release'; version: string; after: Moment };

/**
 * Events of one batch that admin operations wait for, so they land between a job's upload request, its PUT and its
 * complete rather than before every job has begun. Each also resolves once every job of the batch has ended.
 */
export interface BatchSignals { uploading: Promise<void>; completed: Promise<void>; markUploading(): void; markCompleted(): void }

export function batchSignals(): BatchSignals {
  let markUploading!: () => void;
  let markCompleted!: () => void;
  const uploading = new Promise<void>((resolve) => { markUploading = resolve; });
  const completed = new Promise<void>((resolve) => { markCompleted = resolve; });
  return { uploading, completed, markUploading, markCompleted };
}

const WEIGHTED: readonly CiOperation['kind'][] = [
  ...Array<'ci-job'>(9).fill('ci-job'), 'rotate', 'rollout', 'rollout', 'publish', 'publish', 'yank', 'unyank', 'delete-release',
];

/** Mostly jobs signed with the key the app had when the batch was drawn; a rotation in the batch races them. */
export function drawCiOperation(random: Random, versions: readonly string[], known: readonly ReleaseView[], blobs: readonly KeyedBlob[], currentKey: 0 | 1): CiOperation {
  const version = random.pick(versions);
  const kind = random.pick(WEIGHTED);
  const after = random.pick<Moment>(['start', 'uploading', 'uploading', 'completed']);
  switch (kind) {
    case 'ci-job': {
      const key = random.chance(0.85) ? currentKey : ((1 - currentKey) as 0 | 1);
      const good = random.chance(0.9);
      const slot = random.pick(SLOTS.filter((s) => s !== SLOTS[2])); // one file name per platform: re-runs replace, never collide
      return { kind, version, slot, blob: random.pick(blobs.filter((b) => b.key === key && b.good === good)), publish: random.chance(0.4) };
    }
    case 'rotate': return { kind, key: (1 - currentKey) as 0 | 1, after };
    case 'rollout': {
      const published = known.filter((r) => r.status === 'published').map((r) => r.version);
      return { kind, version: published.length > 0 && random.chance(0.8) ? random.pick(published) : version, percent: random.pick([0, 10, 50, 90, 100]), after };
    }
    default: return { kind, version, after };
  }
}

export const describeCiOperation = (op: CiOperation): string => {
  switch (op.kind) {
    case 'ci-job': return `ci job ${op.version} ${op.slot.platform}/${op.slot.bundle} ${op.blob.sha256.slice(0, 8)} key ${op.blob.key}${op.blob.good ? '' : ' (bad signature)'}${op.publish ? ' + publish' : ''}`;
    case 'rotate': return `rotate to key ${op.key} (after ${op.after})`;
    case 'rollout': return `rollout ${op.version} ${op.percent}% (after ${op.after})`;
    default: return `${op.kind} ${op.version} (after ${op.after})`;
  }
};

/** Every step's answer; `upload` (its id and version) when the job got an upload URL. */
export interface CiOutcome { op: CiOperation; steps: { what: string; status: number; text: string }[]; published: ReleaseView | null; upload: { id: string; version: string } | null }

const json = (method: string, body?: unknown): RequestInit =>
  body === undefined ? { method } : { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };

export interface CiWorld { server: RunningServer; issuer: LocalIssuer; slug: string; keys: readonly [KeyPair, KeyPair] }

/** One CI job as the actions run it: its own OIDC token, then the release calls with the credential. */
async function ciJob(world: CiWorld, op: Extract<CiOperation, { kind: 'ci-job' }>, steps: CiOutcome['steps'], signals: BatchSignals): Promise<{ id: string; version: string } | null> {
  const { server, issuer, slug } = world;
  const step = async (what: string, url: string, init: RequestInit) => {
    const res = await fetch(url, init);
    const text = await res.text();
    steps.push({ what, status: res.status, text });
    return res.status >= 200 && res.status < 300 ? (text ? JSON.parse(text) : {}) : null;
  };
  const token = await step('token', `${server.url}/ci/token`, { ...json('POST', { app: slug }), headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${await issuer.mint()}` } });
  if (!token) return null;
  const auth = { Authorization: `Bearer ${token.token}`, 'Content-Type': 'application/json' };
  const base = `${server.url}/ci/apps/${slug}/releases`;
  if (!(await step('draft', base, { method: 'POST', headers: auth, body: JSON.stringify({ version: op.version }) }))) return null;
  const fileName = op.slot.fileName(slug, op.version);
  const declared = { platform: op.slot.platform, file_name: fileName, size: op.blob.bytes.length, sha256: op.blob.sha256, signature: op.blob.signature };
  const upload = await step('upload', `${base}/${op.version}/uploads`, { method: 'POST', headers: auth, body: JSON.stringify(declared) });
  if (!upload) return null;
  signals.markUploading();
  const started = { id: upload.upload_id as string, version: op.version };
  if (upload.target.method !== 'PUT') throw new Error(`expected a single PUT target, got ${upload.target.method}`);
  if (!(await step('put', upload.target.url, { method: 'PUT', headers: upload.target.headers, body: new Uint8Array(op.blob.bytes) }))) return started;
  if (!(await step('complete', `${base}/${op.version}/uploads/${upload.upload_id}/complete`, { method: 'POST', headers: auth, body: '{}' }))) return started;
  signals.markCompleted();
  if (op.publish) await step('publish', `${base}/${op.version}/publish`, { method: 'POST', headers: auth });
  return started;
}

export async function fireCi(world: CiWorld, op: CiOperation, signals: BatchSignals): Promise<CiOutcome> {
  const steps: CiOutcome['steps'] = [];
  if (op.kind !== 'ci-job' && op.after !== 'start') await signals[op.after];
  const { server, slug } = world;
  const release = `/admin/apps/${slug}/releases/${'version' in op ? op.version : ''}`;
  const admin = async (what: string, path: string, init: RequestInit) => {
    const res = await server.admin(path, init);
    const text = await res.text();
    steps.push({ what, status: res.status, text });
    return res.status >= 200 && res.status < 300 && text ? JSON.parse(text) : null;
  };
  let published: ReleaseView | null = null;
  let upload: CiOutcome['upload'] = null;
  switch (op.kind) {
    case 'ci-job': upload = await ciJob(world, op, steps, signals); break;
    case 'rotate': await admin('rotate', `/admin/apps/${slug}`, json('PATCH', { public_key: world.keys[op.key].publicKey })); break;
    case 'rollout': await admin('rollout', release, json('PATCH', { rollout_percent: op.percent })); break;
    case 'publish': published = await admin('publish', `${release}/publish`, json('POST')); break;
    case 'yank': await admin('yank', `${release}/yank`, json('POST', {})); break;
    case 'unyank': await admin('unyank', `${release}/yank`, json('DELETE')); break;
    case 'delete-release': await admin('delete', release, json('DELETE')); break;
  }
  return { op, steps, published: published?.status === 'published' ? published : null, upload };
}
