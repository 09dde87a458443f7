import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './config.ts';
import { SERVER_LIMITS } from './server-limits.ts';

describe('loadConfig', () => {
  it('runs with no settings at all: PGlite and files under ./.data, port 8787', () => {
    const config = loadConfig({});
    expect(config.port).toBe(8787);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.dataDir).toMatch(/\/\.data$/);
    expect(config.storage).toEqual({ driver: 'fs' });
    expect(config.publicUrl).toBe('http://localhost:8787');
  });

  it('treats empty strings as unset, the way CI secrets arrive when missing', () => {
    const config = loadConfig({ DATABASE_URL: '', ADMIN_TOKEN: ' ', PUBLIC_URL: '' });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.adminToken).toBeUndefined();
  });

  it('drops a trailing slash from PUBLIC_URL and the S3 public base URL', () => {
    const config = loadConfig({
      PUBLIC_URL: 'https://updates.example.com/',
      STORAGE_DRIVER: 's3',
      S3_ENDPOINT: 'https://acct.r2.cloudflarestorage.com',
      S3_BUCKET: 'releases',
      S3_ACCESS_KEY_ID: 'id',
      S3_SECRET_ACCESS_KEY: 'secret',
      S3_PUBLIC_BASE_URL: 'https://dl.example.com//',
    });
    expect(config.publicUrl).toBe('https://updates.example.com');
    expect(config.storage).toMatchObject({ driver: 's3', region: 'auto', bucket: 'releases', publicBaseUrl: 'https://dl.example.com' });
  });

  it('lists every problem at once, naming the variable', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', STORAGE_DRIVER: 's3', ADMIN_TOKEN: 'short', DATABASE_URL: 'not a url' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of ['PORT', 'ADMIN_TOKEN', 'DATABASE_URL', 'S3_ENDPOINT', 'S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY']) {
      expect(message).toContain(name);
    }
  });

  it.each([
    ['PUBLIC_URL', 'updates.example.com:443', /^PUBLIC_URL must be an http:\/\/ or https:\/\/ URL/],
    ['PUBLIC_URL', 'javascript:alert(1)', /^PUBLIC_URL must be an http:\/\/ or https:\/\/ URL/],
    ['PUBLIC_URL', 'https://updates.example.com/?utm=1', /^PUBLIC_URL must have no user, password, query or fragment/],
    ['S3_PUBLIC_BASE_URL', 'https://user:hunter2-in-url@dl.example.com', /^S3_PUBLIC_BASE_URL must have no user, password/],
    ['S3_ENDPOINT', 'acct.r2.cloudflarestorage.com:443', /^S3_ENDPOINT must be an http:\/\/ or https:\/\/ URL/],
    ['GITHUB_API_URL', 'ftp://github.example.com', /^GITHUB_API_URL must be an http:\/\/ or https:\/\/ URL/],
    ['DATABASE_URL', 'https://u:hunter2-in-url@ep-x.neon.tech/db', /^DATABASE_URL must be a postgresql:\/\/ connection string/],
    ['DATABASE_URL', 'postgres://', /^DATABASE_URL must be a postgresql:\/\/ connection string/],
    ['ADMIN_TOKEN', 'changemechangemechangeme', /^ADMIN_TOKEN is guessable .+ openssl rand -base64 32$/],
    ['ADMIN_TOKEN', 'a'.repeat(40), /^ADMIN_TOKEN is guessable/],
  ])('refuses %s=%s in one line that does not echo it', (name, value, problem) => {
    let message = '';
    try {
      loadConfig({ [name]: value });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(problem);
    expect(message).not.toContain(value);
    expect(message).not.toContain('\n');
  });

  it('takes postgres:// and postgresql:// database URLs and http(s) URLs with a path', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db', PUBLIC_URL: 'http://127.0.0.1:8787/updates/', GITHUB_API_URL: 'https://ghes.example.com/api/v3' });
    expect(config).toMatchObject({ databaseUrl: 'postgres://u:p@127.0.0.1:5432/db', publicUrl: 'http://127.0.0.1:8787/updates', github: { apiUrl: 'https://ghes.example.com/api/v3' } });
    expect(loadConfig({ DATABASE_URL: 'postgresql://u:p@ep-x-pooler.neon.tech/db?sslmode=require' }).databaseUrl).toContain('postgresql://');
  });

  it('refuses an unknown storage driver', () => {
    expect(() => loadConfig({ STORAGE_DRIVER: 'gcs' })).toThrow(/STORAGE_DRIVER/);
  });

  it('says every problem on one line', () => {
    expect(() => loadConfig({ PORT: 'eighty', ADMIN_TOKEN: 'short' })).toThrow(/^PORT: .+; ADMIN_TOKEN must be at least 24 characters$/);
  });

  describe('on Vercel', () => {
    const vercel = {
      DATABASE_URL: 'postgresql://u:p@ep-x-pooler.eu-central-1.aws.neon.tech/db',
      STORAGE_DRIVER: 's3',
      S3_ENDPOINT: 'https://acct.r2.cloudflarestorage.com',
      S3_BUCKET: 'releases',
      S3_ACCESS_KEY_ID: 'id',
      S3_SECRET_ACCESS_KEY: 'secret',
      VERCEL_URL: 'tauri-release-git-abc123-team.vercel.app',
    };

    it('takes PUBLIC_URL when set', () => {
      const config = loadConfig({ ...vercel, PUBLIC_URL: 'https://updates.example.com', VERCEL_PROJECT_PRODUCTION_URL: 'other.example.com' }, { vercel: true });
      expect(config.publicUrl).toBe('https://updates.example.com');
    });

    it('derives it from the production domain, never from the deployment URL', () => {
      const config = loadConfig({ ...vercel, VERCEL_PROJECT_PRODUCTION_URL: 'updates.example.com' }, { vercel: true });
      expect(config.publicUrl).toBe('https://updates.example.com');
    });

    it('refuses to start without either, or without a database and S3, saying all at once', () => {
      expect(() => loadConfig(vercel, { vercel: true })).toThrow(/^PUBLIC_URL is required on Vercel/);
      let message = '';
      try {
        loadConfig({ VERCEL_URL: vercel.VERCEL_URL }, { vercel: true });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).not.toContain('\n');
      for (const name of ['PUBLIC_URL', 'DATABASE_URL', 'STORAGE_DRIVER=s3']) expect(message).toContain(name);
    });

    it('leaves npm start as it was: localhost by default', () => {
      expect(loadConfig({ VERCEL_PROJECT_PRODUCTION_URL: 'updates.example.com' }).publicUrl).toBe('http://localhost:8787');
    });
  });

  describe("npm start's server limits", () => {
    it('default to SERVER_LIMITS', () => {
      expect(loadConfig({}).serverLimits).toEqual(SERVER_LIMITS);
    });

    it('are set in seconds by SERVER_* variables, the check interval staying', () => {
      const config = loadConfig({
        SERVER_HEADERS_TIMEOUT_SECONDS: '30',
        SERVER_IDLE_TIMEOUT_SECONDS: '600',
        SERVER_KEEP_ALIVE_TIMEOUT_SECONDS: ' 65 ',
        SERVER_MAX_CONNECTIONS: '4000',
      });
      expect(config.serverLimits).toEqual({ headersTimeoutMs: 30_000, idleTimeoutMs: 600_000, keepAliveTimeoutMs: 65_000, maxConnections: 4000, checkIntervalMs: SERVER_LIMITS.checkIntervalMs });
    });

    it.each([
      ['SERVER_HEADERS_TIMEOUT_SECONDS', '0'],
      ['SERVER_HEADERS_TIMEOUT_SECONDS', '20s'],
      ['SERVER_IDLE_TIMEOUT_SECONDS', '-1'],
      ['SERVER_KEEP_ALIVE_TIMEOUT_SECONDS', '1.5'],
      ['SERVER_KEEP_ALIVE_TIMEOUT_SECONDS', '86400'],
      ['SERVER_MAX_CONNECTIONS', 'lots'],
      ['SERVER_MAX_CONNECTIONS', '0'],
    ])('refuses %s=%s in one line naming it', (name, value) => {
      expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^${name}: [^\\n]+$`));
    });
  });

  it('returns a frozen object', () => {
    expect(Object.isFrozen(loadConfig({}))).toBe(true);
  });
});

describe('the action reference shown in the dashboard', () => {
  it('is ACTION_REPOSITORY with the major tag unless it names its own ref', () => {
    expect(loadConfig({ ACTION_REPOSITORY: 'my-company/tauri-release' }).actionReference).toBe('my-company/tauri-release@v1');
    const sha = '0123456789abcdef0123456789abcdef01234567';
    expect(loadConfig({ ACTION_REPOSITORY: `my-company/tauri-release@${sha}` }).actionReference).toBe(`my-company/tauri-release@${sha}`);
  });

  it('on Vercel without it, is the Git repository the deployment was built from; otherwise unknown', () => {
    expect(loadConfig({ VERCEL_GIT_REPO_OWNER: 'acme', VERCEL_GIT_REPO_SLUG: 'updates' }).actionReference).toBe('acme/updates@v1');
    expect(loadConfig({ ACTION_REPOSITORY: 'acme/fork', VERCEL_GIT_REPO_OWNER: 'acme', VERCEL_GIT_REPO_SLUG: 'updates' }).actionReference).toBe('acme/fork@v1');
    expect(loadConfig({}).actionReference).toBeNull();
    expect(loadConfig({ VERCEL_GIT_REPO_OWNER: 'acme' }).actionReference).toBeNull();
  });

  it('refuses what is not owner/name[@ref], naming the variable', () => {
    for (const bad of ['tauri-release', 'org/tauri-release/actions/x', 'https://github.com/org/repo', 'a/b@ref with space']) {
      expect(() => loadConfig({ ACTION_REPOSITORY: bad })).toThrow(/ACTION_REPOSITORY must be owner\/name/);
    }
  });
});
