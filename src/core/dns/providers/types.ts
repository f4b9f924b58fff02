// One interface for every place Mailwright can write DNS records: RFC 2136 servers
// (BIND, Knot, PowerDNS), Cloudflare, Alibaba Cloud DNS, and a person (manual).
// Providers change one value at a time and never replace a whole set they did not create.

import { ExpectedError } from '../../errors';
export type RecordType = 'A' | 'AAAA' | 'MX' | 'TXT' | 'CAA' | 'CNAME' | 'NS' | 'PTR' | 'TLSA';

export interface DnsRecord {
  /** Fully qualified, lowercase, without the trailing dot: "_dmarc.example.com". */
  name: string;
  type: RecordType;
  /**
   * The value as one string: TXT joined (providers split it into <=255-byte strings),
   * MX as "10 smtp.example.com", CAA as '0 issue "letsencrypt.org"', TLSA as "3 1 1 <hex>".
   */
  value: string;
  ttl?: number;
}

/** 'auth': the provider refused the credentials; 'no-credentials': none (or an unusable one) was given. */
export type DnsProviderErrorKind =
  'auth' | 'no-credentials' | 'zone-not-found' | 'rate-limit' | 'network' | 'refused' | 'other';

export class DnsProviderError extends ExpectedError {
  override name = 'DnsProviderError';
  constructor(
    readonly provider: string,
    readonly kind: DnsProviderErrorKind,
    message: string,
    /** What the user can do about it. */
    readonly hint?: string,
  ) {
    const what =
      kind === 'auth'
        ? `the credentials for ${provider} were refused: ${message}`
        : `${provider}: ${message}`;
    super(hint ? `${what}\n${hint}` : what);
  }
}

export interface DnsProvider {
  /** "rfc2136", "cloudflare", "alidns", "manual". */
  readonly kind: string;
  /** The record types the provider can hold; absent: every type Mailwright publishes. */
  readonly types?: readonly RecordType[];
  /** Records of one name (optionally one type), as the provider holds them. */
  list(name: string, type?: RecordType, signal?: AbortSignal): Promise<DnsRecord[]>;
  /** Adds one value; other values of the same name and type stay. */
  create(record: DnsRecord, signal?: AbortSignal): Promise<void>;
  /** Replaces exactly one value with another. */
  update(previous: DnsRecord, next: DnsRecord, signal?: AbortSignal): Promise<void>;
  /** Removes exactly this value; other values of the same name and type stay. */
  delete(record: DnsRecord, signal?: AbortSignal): Promise<void>;
}
