// DKIM (plus SPF/DMARC when the client IP and sender are known) of a delivered message,
// checked with mailauth against a resolver we choose: a test DNS server, a fixed map, or
// the real DNS. Never hand-rolled.
import { Resolver } from 'node:dns/promises';
import { authenticate, type DNSResolver } from 'mailauth';

export interface DkimSignatureResult {
  domain: string;
  selector?: string;
  algorithm?: string;
  result: string;
  pass: boolean;
  /** Why it did not pass (mailauth's comment), when it did not. */
  reason?: string;
  /** d= aligned with the From domain (what DMARC needs). */
  aligned?: boolean;
}

export interface VerifyMailOptions {
  /** A resolver function, TXT records by name, or DNS servers ("127.0.0.1:5353"). */
  resolver: DNSResolver | Record<string, string | string[]> | { servers: string[] };
  /** Client IP and MAIL FROM: given, SPF and DMARC are checked too. */
  ip?: string;
  sender?: string;
  helo?: string;
  mta?: string;
}

export interface VerifyMailResult {
  signatures: DkimSignatureResult[];
  spf?: string;
  dmarc?: string;
  /** The Authentication-Results header mailauth would add. */
  headers: string;
}

export async function verifyDkim(raw: string | Buffer, opts: VerifyMailOptions): Promise<VerifyMailResult> {
  const result = await authenticate(raw, {
    resolver: toResolver(opts.resolver),
    ip: opts.ip,
    sender: opts.sender,
    helo: opts.helo,
    mta: opts.mta ?? 'mailwright.invalid',
    disableArc: true,
    disableBimi: true,
    disableDmarc: !opts.ip,
  });
  const signatures = (result.dkim?.results ?? []).map((r): DkimSignatureResult => {
    const status = r.status ?? { result: 'none' };
    return {
      domain: r.signingDomain,
      selector: r.selector,
      algorithm: r.algorithm,
      result: status.result,
      pass: status.result === 'pass',
      reason: status.result === 'pass' ? undefined : (status.comment ?? status.result),
      aligned: r.status?.aligned,
    };
  });
  const spf = result.spf && typeof result.spf === 'object' ? result.spf.status?.result : undefined;
  const dmarc = result.dmarc && typeof result.dmarc === 'object' ? result.dmarc.status?.result : undefined;
  return { signatures, spf, dmarc, headers: result.headers ?? '' };
}

function notFound(name: string): Error {
  return Object.assign(new Error(`${name}: no such record`), { code: 'ENOTFOUND' });
}

function toResolver(r: VerifyMailOptions['resolver']): DNSResolver {
  if (typeof r === 'function') return r;
  if ('servers' in r && Array.isArray(r.servers)) {
    const dns = new Resolver({ timeout: 3000, tries: 2 });
    dns.setServers(r.servers);
    return (name, type) => dns.resolve(name, type) as Promise<string[][] | string[]>;
  }
  const records = r as Record<string, string | string[]>;
  return async (name, type) => {
    const value = records[name.toLowerCase().replace(/\.$/, '')];
    if (type !== 'TXT' || value === undefined) throw notFound(name);
    // A TXT record is a list of <=255-byte strings; mailauth joins them like DNS answers.
    return [Array.isArray(value) ? value : [value]];
  };
}
