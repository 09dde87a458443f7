/**
 * @module test-fixtures
 * Real inputs for the sign-windows tests, made on the spot with the machine's tools (imported only by
 * tests, never bundled):
 *  - a PE32+ built by mingw-w64 (`x86_64-w64-mingw32-gcc`, Debian gcc-mingw-w64-x86-64);
 *  - a test PKI by openssl: CA, code-signing leaf (EKU codeSigning), TSA (critical EKU timeStamping), PFX;
 *  - RFC 3161 servers on 127.0.0.1 that answer with `openssl ts -reply`, fail with 503, or never answer
 *    (public timestamp servers are unreachable from here, and a test should not depend on them anyway);
 *  - Tauri updater keys from the real `tauri signer generate`.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');
export const TAURI_CLI = join(REPO_ROOT, 'node_modules', '@tauri-apps', 'cli', 'tauri.js');

/** A minimal Windows console program, compiled to PE32+. */
export async function buildPe(dir: string, name = 'hello.exe'): Promise<string> {
  const source = join(dir, `${name}.c`);
  await writeFile(source, 'int main(void) { return 0; }\n');
  const out = join(dir, name);
  await exec('x86_64-w64-mingw32-gcc', ['-Os', '-s', '-o', out, source]);
  return out;
}

export interface TestPki {
  caCert: string;
  /** PFX of the code-signing leaf with its chain, protected by `pfxPassword`. */
  pfx: string;
  pfxBase64: string;
  pfxPassword: string;
  /** PFX without a password. */
  pfxNoPasswordBase64: string;
  tsaCert: string;
  tsaKey: string;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await exec('openssl', args, { cwd: dir });
}

export async function makePki(dir: string): Promise<TestPki> {
  await mkdir(dir, { recursive: true });
  await openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=sign-windows Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const issue = async (name: string, subject: string, extensions: string) => {
    await writeFile(join(dir, `${name}.ext`), extensions);
    await openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
    await openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', `0x${randomBytes(8).toString('hex')}`,
      '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`]);
  };
  await issue('leaf', '/CN=sign-windows Test Code Signer', 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n');
  await issue('tsa', '/CN=sign-windows Test TSA', 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n');
  const pfxPassword = 'pfx pass-word';
  await openssl(dir, ['pkcs12', '-export', '-inkey', 'leaf.key', '-in', 'leaf.crt', '-certfile', 'ca.crt', '-out', 'leaf.pfx', '-passout', `pass:${pfxPassword}`]);
  await openssl(dir, ['pkcs12', '-export', '-inkey', 'leaf.key', '-in', 'leaf.crt', '-certfile', 'ca.crt', '-out', 'nopass.pfx', '-passout', 'pass:']);
  await writeFile(join(dir, 'tsa.cnf'), [
    '[ tsa ]', 'default_tsa = tsa_config', '[ tsa_config ]', `serial = ${join(dir, 'tsa.serial')}`, 'crypto_device = builtin',
    'signer_digest = sha256', 'default_policy = 1.2.3.4.1', 'other_policies = 1.2.3.4.5', 'digests = sha1, sha256, sha384, sha512',
    'accuracy = secs:1', 'ordering = no', 'tsa_name = no', 'ess_cert_id_chain = no', 'ess_cert_id_alg = sha256', '',
  ].join('\n'));
  await writeFile(join(dir, 'tsa.serial'), '01\n');
  return {
    caCert: join(dir, 'ca.crt'),
    pfx: join(dir, 'leaf.pfx'),
    pfxBase64: (await readFile(join(dir, 'leaf.pfx'))).toString('base64'),
    pfxPassword,
    pfxNoPasswordBase64: (await readFile(join(dir, 'nopass.pfx'))).toString('base64'),
    tsaCert: join(dir, 'tsa.crt'),
    tsaKey: join(dir, 'tsa.key'),
  };
}

export type TsaBehaviour = 'answer' | 'fail' | 'hang';

export interface LocalTsa {
  url: string;
  /** Requests received so far. */
  requests: number;
  close(): Promise<void>;
}

/**
 * An HTTP timestamp server on 127.0.0.1. `answer` is a real RFC 3161 TSA: the request body (a DER
 * TimeStampReq) goes to `openssl ts -reply`, signed by the test TSA certificate with the CA in the chain.
 */
export async function startTsa(pki: TestPki, dir: string, behaviour: TsaBehaviour): Promise<LocalTsa> {
  const sockets = new Set<Socket>();
  const state = { requests: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      state.requests++;
      if (behaviour === 'hang') return;
      if (behaviour === 'fail') {
        res.writeHead(503, { 'content-type': 'text/plain' }).end('timestamp service unavailable');
        return;
      }
      const id = randomBytes(6).toString('hex');
      const query = join(dir, `${id}.tsq`);
      const reply = join(dir, `${id}.tsr`);
      try {
        await writeFile(query, Buffer.concat(chunks));
        await exec('openssl', ['ts', '-reply', '-config', join(dir, 'tsa.cnf'), '-queryfile', query, '-signer', pki.tsaCert,
          '-inkey', pki.tsaKey, '-chain', pki.caCert, '-out', reply]);
        res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(await readFile(reply));
      } catch (error) {
        res.writeHead(500).end(String(error));
      } finally {
        await rm(query, { force: true });
        await rm(reply, { force: true });
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('TSA did not get a port');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
}

export interface TauriKey {
  privateKey: string;
  publicKeyFile: string;
  password: string;
}

/** A Tauri updater key pair from the real CLI; `password` '' makes an unprotected (`--ci`) key. */
export async function makeTauriKey(dir: string, password: string): Promise<TauriKey> {
  await mkdir(dir, { recursive: true });
  const keyFile = join(dir, password ? 'updater-pw.key' : 'updater.key');
  const args = [TAURI_CLI, 'signer', 'generate', '-w', keyFile, '-f', ...(password ? ['-p', password] : ['--ci'])];
  await exec(process.execPath, args, { env: { ...process.env, CI: 'true' } });
  return { privateKey: await readFile(keyFile, 'utf8'), publicKeyFile: `${keyFile}.pub`, password };
}

/** Signs `file` for the updater the way `tauri build` does, writing `file.sig`. */
export async function tauriSign(file: string, key: TauriKey): Promise<void> {
  await exec(process.execPath, [TAURI_CLI, 'signer', 'sign', file], {
    env: { ...process.env, CI: 'true', TAURI_SIGNING_PRIVATE_KEY: key.privateKey, TAURI_SIGNING_PRIVATE_KEY_PASSWORD: key.password },
  });
}

/**
 * Debian's minisign, independent of our code and of Tauri's: verifies a Tauri `.sig` against `file`.
 * Tauri's key and signature files are base64 of minisign's text files (docs/reference/tauri-updater.md §3.2).
 */
export async function minisignVerifies(file: string, sigFile: string, publicKeyFile: string, scratch: string): Promise<{ ok: boolean; output: string }> {
  const pub = join(scratch, `${randomBytes(4).toString('hex')}.pub`);
  const sig = join(scratch, `${randomBytes(4).toString('hex')}.minisig`);
  await writeFile(pub, Buffer.from(await readFile(publicKeyFile, 'utf8'), 'base64'));
  await writeFile(sig, Buffer.from(await readFile(sigFile, 'utf8'), 'base64'));
  try {
    const { stdout, stderr } = await exec('minisign', ['-V', '-p', pub, '-m', file, '-x', sig]);
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? e.message}` };
  }
}

/** `osslsigncode verify` against the test CA, for the test to check what the action produced on its own. */
export async function osslVerify(file: string, caCert: string): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await exec('osslsigncode', ['verify', '-CAfile', caCert, '-TSA-CAfile', caCert, '-ignore-crl', '-in', file]);
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? e.message}` };
  }
}
