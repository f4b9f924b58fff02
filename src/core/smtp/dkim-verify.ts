// DKIM (plus SPF/DMARC when the client IP and sender are known) of a delivered message,
// checked with mailauth (through src/core/analyze, its one caller) against a resolver we
// choose: a test DNS server, a fixed map, or the real DNS. Never hand-rolled.
import { authenticateMessage, type MailauthResolverInput } from '../analyze/mailauth';

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
  /** A resolver function, a DnsLookup, TXT records by name, or DNS servers ("127.0.0.1:5353"). */
  resolver: MailauthResolverInput;
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
  const result = await authenticateMessage(raw, {
    resolver: opts.resolver,
    ip: opts.ip,
    sender: opts.sender,
    helo: opts.helo,
    mta: opts.mta,
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
