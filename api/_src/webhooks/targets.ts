/**
 * @module webhooks/targets
 * Which URLs a webhook may point at (server-side request forgery care). By default only `https://` to
 * public addresses: an admin of one app must not be able to make this server probe its own network
 * (cloud metadata at 169.254.169.254, databases on 10.x, services on localhost). The address is checked
 * when the socket connects (`guardedLookup`), not only when the URL is saved, so a DNS name that later
 * resolves to a private address (rebinding) is refused too. `WEBHOOK_ALLOW_PRIVATE_TARGETS=true` lifts
 * this, and additionally allows plain `http://` to a loopback host; the tests (and a private network
 * deployment that knows what it is doing) set it.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

const blocked = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  blocked.addSubnet(network, prefix, 'ipv4');
}
// IPv4-mapped addresses (::ffff:a.b.c.d) need no rule of their own: BlockList checks them against the IPv4
// rules above (a ::ffff:0:0/96 rule would match every IPv4 address). The tests pin this.
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b:1::', 48], // local-use NAT64
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const) {
  blocked.addSubnet(network, prefix, 'ipv6');
}

/** True for loopback, private, link-local, multicast and other non-public addresses. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true; // not an address at all: refuse rather than guess
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

const LOOPBACK_HOSTS = /^(localhost|.+\.localhost|127(\.[0-9]{1,3}){3}|\[::1\])$/i;

/**
 * Null when `url` may be a webhook target, else why not (one sentence, for a 400).
 * Public hosts by name pass here and are checked again at connect time.
 */
export function checkWebhookUrl(url: string, allowPrivate: boolean): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'url must be an absolute URL, e.g. https://example.com/hooks/tauri-release';
  }
  if (parsed.username || parsed.password) return 'url must not carry a user name or password; put credentials in the path or rely on the signature';
  // Port 0 is no port: a delivery to it could never connect.
  if (parsed.port === '0') return 'url must not name port 0; leave the port out for https (443) or name the one the receiver listens on';
  // `localhost.` (fully qualified, the trailing dot) names the same host as `localhost`.
  const loopback = LOOPBACK_HOSTS.test(parsed.hostname.replace(/\.$/, ''));
  if (parsed.protocol === 'http:') {
    if (!(allowPrivate && loopback)) return 'url must use https:// (plain http:// is allowed only to a loopback host with WEBHOOK_ALLOW_PRIVATE_TARGETS=true)';
  } else if (parsed.protocol !== 'https:') {
    return 'url must use https://';
  }
  if (allowPrivate) return null;
  if (loopback) return 'url points at this machine (loopback); set WEBHOOK_ALLOW_PRIVATE_TARGETS=true to allow private targets';
  const literal = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(literal) && isPrivateAddress(literal)) {
    return 'url points at a private or reserved address; set WEBHOOK_ALLOW_PRIVATE_TARGETS=true to allow private targets';
  }
  return null;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

export class PrivateTargetError extends Error {
  override name = 'PrivateTargetError';
  code = 'EPRIVATETARGET';
}

/**
 * A `lookup` for `http.request` that refuses names resolving to a private address, so the address that is
 * checked is the address that is connected to.
 */
export function guardedLookup(allowPrivate: boolean) {
  return function lookup(hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback): void {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const refused = allowPrivate ? undefined : addresses.find((entry) => isPrivateAddress(entry.address));
      if (refused) return callback(new PrivateTargetError(`${hostname} resolves to a private address (${refused.address}); refused`), []);
      if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      if ((options as LookupAllOptions).all) return callback(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}
