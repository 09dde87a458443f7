/**
 * @module rate-limit/client-ip
 * Who is asking: the address of the TCP peer, unless that peer is a proxy named in `TRUSTED_PROXIES`,
 * and then the address that proxy says it forwarded. A header from any other peer is ignored, so a client
 * cannot choose its own rate-limit bucket by sending `X-Forwarded-For`.
 *
 * `TRUSTED_PROXIES` is a comma-separated list of:
 * - `vercel`: every request comes through Vercel's edge (a Vercel function cannot be reached otherwise), so
 *   `x-vercel-forwarded-for` (first address), then `x-real-ip`, are Vercel's, whatever the peer;
 * - `cloudflare`: peers in Cloudflare's published ranges are trusted for `cf-connecting-ip`;
 * - `loopback`, or IP addresses and CIDR ranges (`10.0.0.0/8`, `fd00::/8`): your own reverse proxy; the client
 *   is the right-most `X-Forwarded-For` address that is not itself a trusted proxy (each proxy appends the peer
 *   it saw, so everything left of that may be forged).
 */
import { BlockList, isIP } from 'node:net';

/** https://www.cloudflare.com/ips/ (IPv4 and IPv6), as published when this was written. */
export const CLOUDFLARE_RANGES = [
  '173.245.48.0/20', '103.21.244.0/22', '103.22.200.0/22', '103.31.4.0/22', '141.101.64.0/18', '108.162.192.0/18',
  '190.93.240.0/20', '188.114.96.0/20', '197.234.240.0/22', '198.41.128.0/17', '162.158.0.0/15', '104.16.0.0/13',
  '104.24.0.0/14', '172.64.0.0/13', '131.0.72.0/22',
  '2400:cb00::/32', '2606:4700::/32', '2803:f800::/32', '2405:b500::/32', '2405:8100::/32', '2a06:98c0::/29', '2c0f:f248::/32',
] as const;

const LOOPBACK_RANGES = ['127.0.0.0/8', '::1/128'] as const;

export interface TrustedProxies {
  /** Trust Vercel's headers on every request. */
  readonly vercel: boolean;
  /** Cloudflare's ranges, trusted for `cf-connecting-ip`; null when not configured. */
  readonly cloudflare: BlockList | null;
  /** Your own proxies, trusted for `X-Forwarded-For`; null when none. */
  readonly forwarders: BlockList | null;
}

export const NO_TRUSTED_PROXIES: TrustedProxies = Object.freeze({ vercel: false, cloudflare: null, forwarders: null });

/** `::ffff:1.2.3.4` (an IPv4 peer on a dual-stack socket) is 1.2.3.4. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

function addRange(list: BlockList, range: string): void {
  const slash = range.indexOf('/');
  const address = slash < 0 ? range : range.slice(0, slash);
  const family = isIP(address);
  if (family === 0) throw new Error(`${JSON.stringify(range)} is not an IP address or CIDR range`);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const prefix = slash < 0 ? (family === 4 ? 32 : 128) : Number(range.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128) || (slash >= 0 && !/^[0-9]+$/.test(range.slice(slash + 1)))) {
    throw new Error(`${JSON.stringify(range)} has an invalid prefix length`);
  }
  list.addSubnet(address, prefix, type);
}

function rangeList(ranges: readonly string[]): BlockList {
  const list = new BlockList();
  for (const range of ranges) addRange(list, range);
  return list;
}

/** Parses `TRUSTED_PROXIES`; throws an Error naming the bad entry. */
export function parseTrustedProxies(text: string | undefined): TrustedProxies {
  const entries = (text ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (entries.length === 0) return NO_TRUSTED_PROXIES;
  let vercel = false;
  let cloudflare = false;
  const forwarders: string[] = [];
  for (const entry of entries) {
    const name = entry.toLowerCase();
    if (name === 'vercel') vercel = true;
    else if (name === 'cloudflare') cloudflare = true;
    else if (name === 'loopback') forwarders.push(...LOOPBACK_RANGES);
    else forwarders.push(entry);
  }
  return Object.freeze({
    vercel,
    cloudflare: cloudflare ? rangeList(CLOUDFLARE_RANGES) : null,
    forwarders: forwarders.length > 0 ? rangeList(forwarders) : null,
  });
}

function inList(list: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** A header's value as one IP address, or null when it is absent or not an address. */
function addressHeader(value: string | null | undefined): string | null {
  if (!value) return null;
  const address = unmapped(value.trim());
  return isIP(address) ? address : null;
}

/** Request headers by lower-case name: a `Headers`, or node-listener.ts's reader over node:http's. */
export type HeaderLookup = { get(name: string): string | null };

/**
 * The client's address for rate limiting. `peer` is the socket's remote address ('' when unknown, e.g. a
 * request made in-process).
 */
export function clientAddress(peer: string, headers: HeaderLookup, trusted: TrustedProxies): string {
  const socket = unmapped(peer);
  if (trusted === NO_TRUSTED_PROXIES) return socket;
  if (trusted.vercel) {
    const forwarded = addressHeader(headers.get('x-vercel-forwarded-for')?.split(',')[0]) ?? addressHeader(headers.get('x-real-ip'));
    if (forwarded) return forwarded;
  }
  if (trusted.cloudflare && inList(trusted.cloudflare, socket)) {
    return addressHeader(headers.get('cf-connecting-ip')) ?? socket;
  }
  if (trusted.forwarders && inList(trusted.forwarders, socket)) {
    const hops = headers.get('x-forwarded-for')?.split(',') ?? [];
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = addressHeader(hops[i]);
      if (hop === null) break; // a malformed entry: nothing left of it can be trusted either
      if (!inList(trusted.forwarders, hop)) return hop;
    }
  }
  return socket;
}

/**
 * The bucket an address counts in: IPv4 addresses alone, IPv6 addresses by their /64, since one host
 * is handed a whole /64 and could otherwise change bucket with every request.
 */
export function addressBucket(address: string): string {
  if (!address.includes(':')) return address;
  const [head = '', tail = ''] = address.split('::', 2);
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = address.includes('::') && tail !== '' ? tail.split(':') : [];
  const groups = [...headGroups, ...Array<string>(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill('0'), ...tailGroups];
  return groups.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, '')).join(':').toLowerCase();
}
