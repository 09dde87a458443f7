/**
 * @module s3-direct
 * The optional mode: upload straight to the S3-compatible bucket the server serves from (R2), with S3 credentials,
 * to a key named by the file's SHA-256 (`{app}/releases/{version}/uploads/{sha256}/{file}`,
 * api/_src/protocol/storage-keys.ts `directUploadKey`), where the server looks first; register-release then registers
 * them in one call, and the server verifies them there. Other bytes (a re-run of a build that is not reproducible)
 * go to another key, so they never overwrite an artifact already registered, nor one already published.
 *
 * `@aws-sdk/lib-storage` `Upload` streams the file in `partSize` parts, `queueSize` at a time, so memory is about
 * partSize × queueSize (16 MiB × 4 by default; docs/reference/platform.md §5) whatever the file size; parts are equal but the
 * last, as R2 requires. Checksums are `WHEN_REQUIRED`, as on the server (the SDK's default CRC32 sends stream bodies
 * aws-chunked, which S3 look-alikes mishandle). Each request is retried by the SDK (with backoff), and a file whose
 * upload still failed on the network or a 5xx is sent again from the start (the key is the same, so that is safe).
 * An object already at the key with the same size and sha256 (kept as its `sha256` metadata) is not sent again: a
 * re-run with the same bytes sends nothing.
 */
import { createReadStream } from 'node:fs';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { directUploadKey } from '../../../api/_src/protocol/storage-keys.ts';
import { retry, exponentialBackoff, sleep as wait } from '../../shared/src/retry.ts';
import type { Secret } from '../../shared/src/secret.ts';
import type { LocalArtifact } from './discover.ts';
import type { UploadReport } from './summary.ts';
import { formatBytes, Progress, type TransferSettings } from './transfer.ts';

export interface S3Settings {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: Secret;
  secretAccessKey: Secret;
  forcePathStyle: boolean;
  partSizeBytes: number;
}

interface SdkError {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const NETWORK = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)\b|socket hang up/;
/** Network errors that mean the endpoint is wrong or out of reach, not that it had a bad moment. */
const UNREACHABLE = /\b(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH)\b/;

function statusOf(error: unknown): number | undefined {
  return (error as SdkError | null)?.$metadata?.httpStatusCode;
}

function isTransient(error: unknown): boolean {
  const status = statusOf(error);
  if (status !== undefined) return status >= 500 || status === 429 || status === 408;
  const { name, message } = (error ?? {}) as SdkError;
  return name === 'TimeoutError' || (typeof message === 'string' && NETWORK.test(message)) || NETWORK.test(String((error as { code?: unknown })?.code ?? ''));
}

/** What the bucket said, and what to do about it. */
export function explainS3Error(error: unknown, s3: Pick<S3Settings, 'bucket' | 'endpoint'>, what: string): Error {
  const { name, Code, message } = (error ?? {}) as SdkError;
  // A HEAD answer has no body, so the SDK cannot name the error: the status says it all.
  const known = (text: string | undefined) => (text && !/^(Unknown(Error)?|Error)$/.test(text) ? text : undefined);
  const code = known(Code) ?? known(name) ?? '';
  const status = statusOf(error);
  let hint = '';
  if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'Forbidden'].includes(code) || status === 403) {
    hint = ` Check s3-access-key-id and s3-secret-access-key, and that they may write to bucket ${s3.bucket}.`;
  } else if (code === 'NoSuchBucket' || (status === 404 && what.startsWith('upload'))) {
    hint = ` Bucket ${s3.bucket} does not exist at ${s3.endpoint}: check s3-bucket and s3-endpoint.`;
  } else if (UNREACHABLE.test(`${(error as { code?: unknown } | null)?.code ?? ''} ${message ?? ''}`)) {
    hint = ` Nothing answered at ${s3.endpoint}: check s3-endpoint (the host and port, and that the runner can reach it).`;
  } else if (isTransient(error)) {
    hint = ' The storage kept failing; re-run the job.';
  }
  const detail = [status ? `HTTP ${status}` : '', code, known(message) && message !== code ? message : ''].filter(Boolean).join(': ').replace(/^(HTTP \d+): /, '$1 ');
  return new Error(`${what}: ${detail || 'failed'}.${hint}`, { cause: error });
}

export function createS3Client(s3: S3Settings, maxAttempts = 5): S3Client {
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: s3.forcePathStyle,
    credentials: { accessKeyId: s3.accessKeyId.reveal(), secretAccessKey: s3.secretAccessKey.reveal() },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts,
  });
}

/** The object at `key` when it already holds these bytes (same size and recorded sha256). */
async function sameObject(client: S3Client, s3: S3Settings, key: string, artifact: LocalArtifact): Promise<boolean> {
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
    return head.ContentLength === artifact.size && head.Metadata?.sha256 === artifact.sha256;
  } catch (error) {
    if (statusOf(error) === 404 || (error as SdkError).name === 'NotFound') return false;
    throw explainS3Error(error, s3, `checking s3://${s3.bucket}/${key}`);
  }
}

export async function uploadDirect(
  s3: S3Settings,
  app: string,
  version: string,
  artifacts: readonly LocalArtifact[],
  settings: TransferSettings,
): Promise<UploadReport[]> {
  const client = createS3Client(s3, settings.attempts ?? 5);
  const reports: UploadReport[] = [];
  try {
    for (const artifact of artifacts) {
      const key = directUploadKey(app, version, artifact.sha256, artifact.fileName);
      const label = `${artifact.fileName} (${artifact.platform})`;
      if (await sameObject(client, s3, key, artifact)) {
        settings.logger.info(`${label}: s3://${s3.bucket}/${key} already holds these bytes (same size and sha256); not sent again.`);
        reports.push({ artifact, how: 'already in the bucket (same sha256)', seconds: null });
        continue;
      }
      const multipart = artifact.size > s3.partSizeBytes;
      settings.logger.info(
        `${label}: ${formatBytes(artifact.size)} to s3://${s3.bucket}/${key}${multipart ? ` in parts of ${formatBytes(s3.partSizeBytes)}, ${settings.concurrency ?? 4} at a time` : ''}`,
      );
      const seconds = await retry(
        async () => {
          const progress = new Progress(label, artifact.size, settings);
          let reported = 0;
          const upload = new Upload({
            client,
            params: {
              Bucket: s3.bucket,
              Key: key,
              Body: createReadStream(artifact.path),
              ContentType: 'application/octet-stream',
              Metadata: { sha256: artifact.sha256 },
            },
            partSize: s3.partSizeBytes,
            queueSize: settings.concurrency ?? 4,
            leavePartsOnError: false,
          });
          upload.on('httpUploadProgress', ({ loaded }) => {
            if (loaded === undefined || loaded <= reported) return;
            progress.add(loaded - reported);
            reported = loaded;
          });
          try {
            await upload.done();
          } catch (error) {
            progress.add(-reported);
            throw error;
          }
          return progress.finish();
        },
        {
          attempts: 2,
          delayMs: settings.backoff ?? exponentialBackoff(2_000),
          retryIf: isTransient,
          onRetry: (error) => settings.logger.info(`${label}: ${explainS3Error(error, s3, 'upload').message} Sending the file again.`),
          sleep: settings.sleep ?? wait,
        },
      ).catch((error: unknown) => {
        throw explainS3Error(error, s3, `upload of ${label} to s3://${s3.bucket}/${key}`);
      });
      reports.push({ artifact, how: multipart ? `S3 multipart (${Math.ceil(artifact.size / s3.partSizeBytes)} parts)` : 'S3 PUT', seconds });
    }
  } finally {
    client.destroy();
  }
  return reports;
}
