// The one place that calls mailauth (DKIM, SPF, DMARC and ARC verification), and the one way a
// resolver of ours becomes mailauth's: every DNS question it asks goes through a DnsLookup (a
// resolver we choose, a test DNS server, an in-memory zone), answered in node's dns form.
import { authenticate, type DNSResolver } from 'mailauth';
import { resolverLookup, systemLookup } from '../dns/lookup';
import type { DnsLookup, LookupStatus, QueryType } from '../dns/model';
import { normalizeName } from '../names';

/**
 * Where DNS answers come from: a DnsLookup, DNS servers ("127.0.0.1:5353"), a mailauth-style
 * resolver function, or TXT records by name (a fixed map, for a key known in advance).
 */
export type MailauthResolverInput =
  DnsLookup | DNSResolver | { servers: string[] } | Record<string, string | string[]>;

export interface AuthenticateOptions {
  /** Default: the operating system's resolvers. */
  resolver?: MailauthResolverInput;
  /** The SMTP client's IP, HELO and MAIL FROM: SPF is judged only when ip is given. */
  ip?: string;
  helo?: string;
  sender?: string;
  /** The name the verdict is written for (Authentication-Results). */
  mta?: string;
  /** Also judge DMARC (default: only when ip is given, as before). */
  dmarc?: boolean;
  arc?: boolean;
  /** Aborts the DNS questions still pending. */
  signal?: AbortSignal;
}

export type AuthenticateResult = Awaited<ReturnType<typeof authenticate>>;

const CODE_OF_STATUS: Record<Exclude<LookupStatus, 'ok'>, string> = {
  nxdomain: 'ENOTFOUND',
  nodata: 'ENODATA',
  timeout: 'ETIMEOUT',
  refused: 'EREFUSED',
  servfail: 'ESERVFAIL',
  error: 'EFAIL',
};

const MAILAUTH_TYPES: readonly string[] = ['A', 'AAAA', 'MX', 'TXT', 'PTR', 'CNAME', 'NS'];

function dnsError(name: string, type: string, status: Exclude<LookupStatus, 'ok'>, text?: string): Error {
  return Object.assign(new Error(text ?? `${type} ${name}: ${status}`), { code: CODE_OF_STATUS[status] });
}

/** A DnsLookup answering like node's dns.resolve: TXT as string lists, MX as {priority, exchange}. */
export function lookupAsMailauthResolver(lookup: DnsLookup, signal?: AbortSignal): DNSResolver {
  return async (name, type) => {
    const rrtype = type.toUpperCase();
    if (!MAILAUTH_TYPES.includes(rrtype)) throw dnsError(name, rrtype, 'nodata');
    const answer = await lookup.query(name, rrtype as QueryType, signal);
    if (answer.status !== 'ok') throw dnsError(name, rrtype, answer.status, answer.error);
    if (answer.values.length === 0) throw dnsError(name, rrtype, 'nodata');
    switch (rrtype) {
      case 'TXT':
        return answer.txtStrings ?? answer.values.map((v) => [v]);
      case 'MX':
        return answer.values.map((v) => {
          const [priority, exchange] = v.split(' ');
          return { priority: Number(priority), exchange: exchange ?? '' };
        }) as unknown as string[];
      default:
        return answer.values;
    }
  };
}

const isLookup = (r: object): r is DnsLookup => typeof (r as Partial<DnsLookup>).query === 'function';

/** Any accepted resolver as mailauth's function. */
export function mailauthResolver(
  input: MailauthResolverInput | undefined,
  signal?: AbortSignal,
): DNSResolver {
  if (input === undefined) return lookupAsMailauthResolver(systemLookup(), signal);
  if (typeof input === 'function') return input;
  if (isLookup(input)) return lookupAsMailauthResolver(input, signal);
  if ('servers' in input && Array.isArray(input.servers))
    return lookupAsMailauthResolver(resolverLookup(input.servers, { timeoutMs: 3000 }), signal);
  const records = input as Record<string, string | string[]>;
  return async (name, type) => {
    const value = records[normalizeName(name)];
    if (type !== 'TXT' || value === undefined) throw dnsError(name, type, 'nxdomain');
    // A TXT record is a list of <=255-byte strings; mailauth joins them like DNS answers.
    return [Array.isArray(value) ? value : [value]];
  };
}

/** mailauth's verdict on a raw message (BIMI never: it is about logos, not delivery). */
export async function authenticateMessage(
  raw: string | Buffer,
  opts: AuthenticateOptions,
): Promise<AuthenticateResult> {
  return authenticate(raw, {
    resolver: mailauthResolver(opts.resolver, opts.signal),
    ip: opts.ip,
    sender: opts.sender,
    helo: opts.helo,
    mta: opts.mta ?? 'mailwright.invalid',
    disableArc: !opts.arc,
    disableBimi: true,
    disableDmarc: !(opts.dmarc ?? opts.ip !== undefined),
  });
}
