// Turning a provider's commented-out IPv6 lines back on in a netplan YAML file
// (Contabo, for one, ships `#- 2a02:…/64` and `#gateway6: fe80::1` in 01-netcfg.yaml).
// Comments are not YAML nodes, so the yaml package cannot "uncomment" them: we uncomment
// exactly those lines in the text (nothing else changes, so every other comment and the
// layout stay byte for byte), then parse the result with parseDocument to check that it is
// valid YAML and that an IPv6 address really landed in an `addresses` list.
import { isMap, isSeq, parseDocument, type Document } from 'yaml';

/** A commented line whose content is IPv6 configuration: an address item, gateway6, or a ::/0 route. */
const COMMENTED = /^(\s*)#(.*)$/;
const IPV6_ADDRESS_ITEM = /^-\s*["']?[0-9a-fA-F]*:[0-9a-fA-F:.]*\/\d{1,3}["']?\s*(#.*)?$/;
const GATEWAY6 = /^gateway6:\s*\S+/;
const IPV6_DEFAULT_ROUTE = /^-\s*to:\s*["']?(::\/0|default)["']?\s*$/;
const ROUTE_CONTINUATION = /^(via|on-link|metric|table):/;

export interface NetplanIpv6Edit {
  text: string;
  /** Line numbers (1-based) that were uncommented. */
  uncommented: number[];
  /** IPv6 addresses configured in the result. */
  ipv6Addresses: string[];
  /** YAML errors of the result: when present, the text must not be written. */
  errors: string[];
}

function isIpv6Route(content: string, nextCommented: string | undefined): boolean {
  if (!IPV6_DEFAULT_ROUTE.test(content)) return false;
  // "to: default" is IPv6 only when its gateway is.
  return (
    content.includes('::/0') ||
    (nextCommented !== undefined && /^via:\s*["']?[0-9a-fA-F:]+:/.test(nextCommented))
  );
}

export function enableIpv6InNetplan(original: string): NetplanIpv6Edit {
  const lines = original.split('\n');
  const uncommented: number[] = [];
  // Removes "#" and `eat` spaces after it (when there), so a block keeps its relative indentation.
  const uncomment = (i: number, eat: number) => {
    const line = lines[i]!;
    const at = line.indexOf('#');
    let end = at + 1;
    while (end - at - 1 < eat && line[end] === ' ') end++;
    lines[i] = line.slice(0, at) + line.slice(end);
    uncommented.push(i + 1);
  };
  for (let i = 0; i < lines.length; i++) {
    const m = COMMENTED.exec(lines[i]!);
    if (!m) continue;
    const content = m[2]!.trim();
    const eaten = /^\s*# /.test(lines[i]!) ? 1 : 0;
    const next = COMMENTED.exec(lines[i + 1] ?? '')?.[2]?.trim();
    if (IPV6_ADDRESS_ITEM.test(content) || GATEWAY6.test(content)) {
      uncomment(i, eaten);
    } else if (isIpv6Route(content, next)) {
      uncomment(i, eaten);
      // The route's own keys follow as commented lines too.
      for (let j = i + 1; j < lines.length; j++) {
        const c = COMMENTED.exec(lines[j]!);
        if (!c || !ROUTE_CONTINUATION.test(c[2]!.trim())) break;
        uncomment(j, eaten);
        i = j;
      }
    }
  }
  const text = lines.join('\n');
  const doc = parseDocument(text);
  return {
    text,
    uncommented,
    ipv6Addresses: ipv6AddressesOf(doc),
    errors: [...doc.errors, ...doc.warnings].map((e) => e.message),
  };
}

/** IPv6 addresses of every interface (ethernets, bonds, bridges, vlans…) in a netplan document. */
export function ipv6AddressesOf(doc: Document): string[] {
  const found: string[] = [];
  const network = doc.get('network');
  if (!isMap(network)) return found;
  for (const group of network.items) {
    if (!isMap(group.value)) continue;
    for (const iface of group.value.items) {
      if (!isMap(iface.value)) continue;
      const addresses = iface.value.get('addresses');
      if (!isSeq(addresses)) continue;
      for (const item of addresses.toJSON() as unknown[]) {
        const address = typeof item === 'string' ? item : undefined;
        if (address?.includes(':')) found.push(address);
      }
    }
  }
  return found;
}
