/**
 * @module config
 * Every setting the control plane reads, validated once. Nothing else reads `process.env`.
 */
import { resolve } from 'node:path';
import { z } from 'zod';

const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const urlText = (name: string) =>
  optionalText.refine((value) => value === undefined || URL.canParse(value), { message: `${name} must be an absolute URL` });

const envSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(8787),
    DATA_DIR: z.string().trim().min(1).default('./.data'),
    DATABASE_URL: urlText('DATABASE_URL'),
    PUBLIC_URL: urlText('PUBLIC_URL'),
    ADMIN_TOKEN: optionalText.refine((value) => value === undefined || value.length >= 24, {
      message: 'ADMIN_TOKEN must be at least 24 characters',
    }),
    STORAGE_DRIVER: z.enum(['fs', 's3']).default('fs'),
    S3_ENDPOINT: urlText('S3_ENDPOINT'),
    S3_REGION: z.string().trim().min(1).default('auto'),
    S3_BUCKET: optionalText,
    S3_ACCESS_KEY_ID: optionalText,
    S3_SECRET_ACCESS_KEY: optionalText,
    S3_PUBLIC_BASE_URL: urlText('S3_PUBLIC_BASE_URL'),
    S3_FORCE_PATH_STYLE: z.stringbool().default(false),
    /** How long an instance serves an app's releases from memory before it looks again. */
    UPDATE_CACHE_TTL_SECONDS: z.coerce.number().int().min(0).max(3600).default(15),
    /** Test-only: route the Neon driver's WebSocket through a local proxy to a plain PostgreSQL. */
    NEON_WS_PROXY: optionalText,
  });

const S3_REQUIRED = ['S3_ENDPOINT', 'S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const;

export interface S3Config {
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  publicBaseUrl: string | undefined;
  forcePathStyle: boolean;
}

export interface Config {
  port: number;
  dataDir: string;
  /** Unset: the embedded PGlite database under `dataDir`. */
  databaseUrl: string | undefined;
  /** The URL clients reach this server at; download URLs in manifests are built from it. */
  publicUrl: string;
  adminToken: string | undefined;
  storage: { driver: 'fs' } | ({ driver: 's3' } & S3Config);
  updateCacheTtlMs: number;
  neonWsProxy: string | undefined;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and validates the configuration; throws a `ConfigError` listing every problem. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  const parsed = envSchema.safeParse(env);
  const problems = (parsed.error?.issues ?? []).map((issue) => {
    const name = issue.path.join('.') || 'configuration';
    return issue.message.startsWith(name) ? issue.message : `${name}: ${issue.message}`;
  });
  // Checked on the raw values so these are reported together with any other problem.
  if (env.STORAGE_DRIVER?.trim() === 's3') {
    for (const name of S3_REQUIRED) {
      if (!env[name]?.trim()) problems.push(`${name} is required when STORAGE_DRIVER=s3`);
    }
  }
  if (!parsed.success || problems.length > 0) {
    throw new ConfigError(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
  const e = parsed.data;
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  const storage: Config['storage'] =
    e.STORAGE_DRIVER === 's3'
      ? {
          driver: 's3',
          endpoint: e.S3_ENDPOINT!,
          region: e.S3_REGION,
          bucket: e.S3_BUCKET!,
          accessKeyId: e.S3_ACCESS_KEY_ID!,
          secretAccessKey: e.S3_SECRET_ACCESS_KEY!,
          publicBaseUrl: e.S3_PUBLIC_BASE_URL?.replace(/\/+$/, ''),
          forcePathStyle: e.S3_FORCE_PATH_STYLE,
        }
      : { driver: 'fs' };
  return Object.freeze({
    port: e.PORT,
    dataDir: resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    publicUrl,
    adminToken: e.ADMIN_TOKEN,
    storage,
    updateCacheTtlMs: e.UPDATE_CACHE_TTL_SECONDS * 1000,
    neonWsProxy: e.NEON_WS_PROXY,
  });
}
