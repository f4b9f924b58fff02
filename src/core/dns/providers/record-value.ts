// MX, CAA and TLSA values as one string ("10 smtp.example.com", '0 issue "letsencrypt.org"') and as
// the parts DNS wire format and the HTTP APIs want them: Cloudflare takes an MX's priority and
// a CAA's flags/tag/value as separate fields, Alibaba Cloud DNS an MX's priority.

export interface MxParts {
  preference: number;
  exchange: string;
}

export interface CaaParts {
  flags: number;
  tag: string;
  value: string;
}

export function parseMx(value: string): MxParts {
  const match = /^(\d+)\s+(\S+)$/.exec(value.trim());
  const preference = Number(match?.[1]);
  if (!match || preference > 65535)
    throw new RangeError(`MX value must be "PREFERENCE HOST" (0-65535), not "${value}"`);
  return { preference, exchange: match[2]!.replace(/\.$/, '') };
}

export function formatMx(parts: MxParts): string {
  return `${parts.preference} ${parts.exchange.replace(/\.$/, '')}`;
}

export function parseCaa(value: string): CaaParts {
  const match = /^(\d+)\s+([A-Za-z0-9]+)\s+"?(.*?)"?$/.exec(value.trim());
  const flags = Number(match?.[1]);
  if (!match || flags > 255) throw new RangeError(`CAA value must be 'FLAGS TAG "VALUE"', not "${value}"`);
  return { flags, tag: match[2]!, value: match[3]! };
}

export function formatCaa(parts: CaaParts): string {
  return `${parts.flags} ${parts.tag} "${parts.value}"`;
}

export interface TlsaParts {
  usage: number;
  selector: number;
  matchingType: number;
  certificate: Buffer;
}

/** "3 1 1 <hex>": the hex may be split by spaces, as zone files print long data. */
export function parseTlsa(value: string): TlsaParts {
  const match = /^(\d+)\s+(\d+)\s+(\d+)\s+([0-9A-Fa-f\s]+)$/.exec(value.trim());
  const hex = match?.[4]!.replace(/\s+/g, '') ?? '';
  const numbers = match ? [match[1], match[2], match[3]].map(Number) : [];
  if (!match || numbers.some((n) => n > 255) || hex.length % 2 !== 0)
    throw new RangeError(`TLSA value must be "USAGE SELECTOR MATCHING-TYPE HEX", not "${value}"`);
  const [usage = 0, selector = 0, matchingType = 0] = numbers;
  return { usage, selector, matchingType, certificate: Buffer.from(hex, 'hex') };
}

export function formatTlsa(parts: TlsaParts): string {
  return `${parts.usage} ${parts.selector} ${parts.matchingType} ${parts.certificate.toString('hex')}`;
}
