import { beforeAll, describe, expect, it } from '@jest/globals';
import { generateTauriPublicKey } from '../admin/testing.ts';
import { parseTauriPublicKey, tauriPublicKeyId, tauriPublicKeySchema } from './minisign-key.ts';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

function reason(input: string): string {
  const result = parseTauriPublicKey(input);
  if (result.ok) throw new Error(`expected ${JSON.stringify(input.slice(0, 40))} to be refused`);
  return result.reason;
}

describe('parseTauriPublicKey', () => {
  let pub: string;
  let text: string;
  let rawLine: string;
  beforeAll(async () => {
    pub = await generateTauriPublicKey();
    text = Buffer.from(pub, 'base64').toString('utf8');
    rawLine = text.split('\n')[1]!;
  });

  it('accepts a key written by `tauri signer generate` and reads the key id minisign shows', () => {
    const result = parseTauriPublicKey(pub);
    if (!result.ok) throw new Error(result.reason);
    // rsign prints the id in the comment without zero padding; minisign pads it to 16 digits.
    const commentId = /minisign public key: ([0-9A-F]+)/.exec(text)![1]!;
    expect(result.key.keyId).toBe(commentId.padStart(16, '0'));
    expect(result.key.keyId).toMatch(/^[0-9A-F]{16}$/);
    expect(result.key.publicKey).toHaveLength(32);
    expect(Buffer.from(result.key.publicKey).equals(Buffer.from(rawLine, 'base64').subarray(10))).toBe(true);
    expect(tauriPublicKeyId(`  ${pub}\n`)).toBe(result.key.keyId);
  });

  it('reads the documented example key id (little-endian u64)', () => {
    // docs/reference/tauri-updater.md §3.1: this key line displays as 1000DB183B078E81.
    const key = b64('untrusted comment: minisign public key: 1000DB183B078E81\nRWSBjgc7GNsAEF1GlyVCxpwYcSU4XVkUIEmLJt2VUsIGDr9xV+Yl9YRp\n');
    expect(tauriPublicKeyId(key)).toBe('1000DB183B078E81');
  });

  it('refuses the raw RW… line and says to paste the base64 of the whole .pub file', () => {
    expect(reason(rawLine)).toMatch(/raw "RW…" key line.*base64 of the whole \.pub/);
    expect(reason(rawLine.slice(0, 30))).toMatch(/raw "RW…" key line/);
  });

  it('refuses the decoded .pub text', () => {
    expect(reason(text)).toMatch(/base64-encoded once more/);
  });

  it.each([
    ['empty', '', /empty/],
    ['garbage', 'not a key at all!', /not standard \(padded\) base64/],
    ['truncated base64', 'dW50cnVzdGVkIGNvbW1lbnQ6A', /not standard \(padded\) base64/],
    ['binary', Buffer.from([0xff, 0xfe, 0xfd, 0x00]).toString('base64'), /does not decode to text/],
    ['no comment line', b64('hello\nworld\n'), /untrusted comment/],
    ['no key line', b64('untrusted comment: minisign public key\n'), /no key line/],
    ['wrong length', b64(`untrusted comment: k\n${Buffer.alloc(41, 0x45).toString('base64')}\n`), /41 bytes; a minisign public key has 42/],
    ['wrong algorithm', b64(`untrusted comment: k\n${Buffer.concat([Buffer.from('XX'), Buffer.alloc(40)]).toString('base64')}\n`), /"Ed"/],
    ['a .sig instead of a key', b64('untrusted comment: signature\nRUSB\ntrusted comment: x\nAAAA\n'), /not a minisign public key/],
    ['too long', 'A'.repeat(5000), /longer than 1024/],
  ])('refuses %s', (_name, input, pattern) => {
    expect(reason(input)).toMatch(pattern);
  });

  it('refuses base64 that Buffer would decode but Tauri\'s strict decoder would not (url-safe alphabet, spaces, no padding)', () => {
    // A key whose base64 holds "+" and "/" (the comment is chosen so it does), written in the url-safe alphabet.
    const key = b64('untrusted comment: minisign public key: 1000DB183B078E81 ~~~ ???\nRWSBjgc7GNsAEF1GlyVCxpwYcSU4XVkUIEmLJt2VUsIGDr9xV+Yl9YRp\n');
    expect(key).toMatch(/[+/]/);
    expect(parseTauriPublicKey(key).ok).toBe(true);
    const urlSafe = key.replace(/\+/g, '-').replace(/\//g, '_');
    expect(Buffer.from(urlSafe, 'base64').toString('utf8')).toContain('minisign public key');
    expect(reason(urlSafe)).toMatch(/not standard \(padded\) base64/);
    expect(reason(`${key.slice(0, 20)} ${key.slice(20)}`)).toMatch(/not standard \(padded\) base64/);
    expect(reason(key.replace(/=+$/, ''))).toMatch(/not standard \(padded\) base64/);
  });

  it('runs without Buffer, as in the dashboard\'s browser bundle, with the same result', () => {
    const withBuffer = parseTauriPublicKey(pub);
    const saved = globalThis.Buffer;
    let withoutBuffer: ReturnType<typeof parseTauriPublicKey>;
    let refused: string;
    try {
      (globalThis as { Buffer?: unknown }).Buffer = undefined;
      withoutBuffer = parseTauriPublicKey(pub);
      const refusedResult = parseTauriPublicKey(rawLine);
      refused = refusedResult.ok ? '' : refusedResult.reason;
    } finally {
      globalThis.Buffer = saved;
    }
    expect(withoutBuffer).toEqual(withBuffer);
    expect(refused).toBe(reason(rawLine));
  });

  it('is what the request schema uses, with the same message', () => {
    const result = tauriPublicKeySchema.safeParse(rawLine);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe(reason(rawLine));
    expect(tauriPublicKeySchema.parse(` ${pub} `)).toBe(pub);
  });
});
