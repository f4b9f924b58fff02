// IP address arithmetic the DNS records need: bytes of an address, CIDR matching (SPF ip4/ip6,
// a/24), canonical text, which addresses belong in DNS, and reverse (PTR) names.
import { isIPv4, isIPv6 } from 'node:net';
import { normalizeName } from '../names';

export type IpFamily = 4 | 6;

/** The 4 bytes of a dotted IPv4 address, or undefined when it is not one. */
export function ipv4Bytes(ip: string): number[] | undefined {
  if (!isIPv4(ip)) return undefined;
  return ip.split('.').map(Number);
}

/** The 16 bytes of an IPv6 address in any text form (`::`, embedded IPv4, `%zone`), or undefined. */
export function ipv6Bytes(ip: string): number[] | undefined {
  const address = ip.replace(/%.*$/, '');
  if (!isIPv6(address)) return undefined;
  let text = address.toLowerCase();
  const lastColon = text.lastIndexOf(':');
  const embedded = ipv4Bytes(text.slice(lastColon + 1));
  if (embedded) {
    // "::ffff:198.51.100.1": the dotted part is the last two groups, written in decimal.
    const [a = 0, b = 0, c = 0, d = 0] = embedded;
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::') as [string, string | undefined];
  const groupsOf = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((g) => parseInt(g, 16));
  const headGroups = groupsOf(head);
  const restGroups = rest === undefined ? [] : groupsOf(rest);
  const zeros = 8 - headGroups.length - restGroups.length;
  const groups = [...headGroups, ...new Array<number>(zeros).fill(0), ...restGroups];
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

export function ipFamily(ip: string): IpFamily | undefined {
  if (isIPv4(ip)) return 4;
  if (isIPv6(ip.replace(/%.*$/, ''))) return 6;
  return undefined;
}

export function ipBytes(ip: string): number[] | undefined {
  return ipv4Bytes(ip) ?? ipv6Bytes(ip);
}

/** One spelling per address (IPv6 lowercase and compressed, RFC 5952), so values compare as text. */
export function canonicalIp(ip: string): string {
  const family = ipFamily(ip);
  if (family === 4) return ip;
  if (family === 6) return new URL(`http://[${ip.replace(/%.*$/, '')}]`).hostname.slice(1, -1);
  return ip;
}

/** True when `ip` lies in `network`/`prefix` (both of the same family; prefix in bits). */
export function inCidr(ip: string, network: string, prefix: number): boolean {
  const a = ipBytes(ip);
  const b = ipBytes(network);
  if (!a || !b || a.length !== b.length || prefix < 0 || prefix > a.length * 8) return false;
  for (let bit = 0; bit < prefix; bit += 8) {
    const index = bit / 8;
    const width = Math.min(8, prefix - bit);
    const mask = (0xff << (8 - width)) & 0xff;
    if (((a[index] ?? 0) & mask) !== ((b[index] ?? 0) & mask)) return false;
  }
  return true;
}

const NOT_IN_DNS: Array<[string, number]> = [
  ['0.0.0.0', 8], // "this network", unspecified
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['fe80::', 10], // link-local
];

/**
 * Whether an address of the server belongs in DNS: loopback, link-local and unspecified
 * addresses never reach anyone else; everything else is kept (test networks use documentation
 * and ULA ranges on purpose).
 */
export function isPublishableAddress(ip: string): boolean {
  if (ipFamily(ip) === undefined) return false;
  return !NOT_IN_DNS.some(([network, prefix]) => inCidr(ip, network, prefix));
}

/** `198.51.100.7` -> `7.100.51.198.in-addr.arpa`; IPv6 in full nibble form under ip6.arpa. */
export function reverseName(ip: string): string {
  const v4 = ipv4Bytes(ip);
  if (v4) return `${[...v4].reverse().join('.')}.in-addr.arpa`;
  const v6 = ipv6Bytes(ip);
  if (!v6) throw new Error(`"${ip}" is not an IPv4 or IPv6 address, so it has no reverse name.`);
  const nibbles = v6.flatMap((byte) => [byte >> 4, byte & 0xf].map((n) => n.toString(16)));
  return `${nibbles.reverse().join('.')}.ip6.arpa`;
}

/** The address a full reverse name stands for (canonical text), or undefined when it is not one. */
export function fromReverseName(name: string): string | undefined {
  const lower = normalizeName(name);
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/.exec(lower);
  if (v4) {
    const ip = v4.slice(1, 5).reverse().map(Number).join('.');
    return isIPv4(ip) ? ip : undefined;
  }
  const v6 = /^((?:[0-9a-f]\.){32})ip6\.arpa$/.exec(lower);
  if (!v6?.[1]) return undefined;
  const hex = v6[1].split('.').filter(Boolean).reverse().join('');
  const groups = hex.match(/.{4}/g) ?? [];
  return canonicalIp(groups.join(':'));
}
