// The "verified" stage of a test mail: what the delivered copy proves. Authentication (SPF, each
// DKIM signature, DMARC, ARC) and the path come from message analysis (analyzeMessage); what a
// test mail adds is the judgement of the last hand-off, the server's own to the recipient's MX
// (TLS, IPv6), and of a forward (the envelope sender rewritten, no ARC seal).
import { isIP } from 'node:net';
import { analyzeMessage, isOutdatedTls, tlsVersionName, type ReceivedHop } from '../analyze';
import type { Check } from '../checks';
import type { DnsLookup } from '../dns/model';

/** A delivered copy, as the recipient's side has it. */
export interface DeliveredMessage {
  /** The message as stored by the receiving server (its Received header on top). */
  raw: Buffer;
  /** What the receiving server saw in SMTP, when it is known (the test bed records it; IMAP does not). */
  envelopeFrom?: string;
  envelopeTo?: string[];
  /** The sending server's address as the receiver saw it. */
  remoteAddress?: string;
  helo?: string;
  /** The TLS of the hand-off to the receiver; null: it used none; absent: unknown. */
  tls?: { version: string; cipher: string } | null;
  receivedAt?: Date;
}

export interface VerifyOptions {
  /** Where DNS answers come from (default: the system's resolvers). */
  resolver?: DnsLookup;
  /**
   * The message went through a forward (an alias or catch-all to an outside address): the
   * envelope sender must have been rewritten into the forwarding domain, and the lack of an ARC
   * seal is pointed out. originalSender is the envelope sender the forwarding server received.
   */
  forward?: { originalSender: string; domain: string };
  signal?: AbortSignal;
}

export interface Verification {
  checks: Check[];
  hops: ReceivedHop[];
}

const ALGORITHM_NAMES: Record<string, string> = { rsa: 'RSA', ed25519: 'Ed25519' };

/**
 * Each DKIM check of the analysis, with its algorithm in the id and title ("DKIM Ed25519
 * signature (d=…, s=…)"), so a report shows RSA and Ed25519 apart.
 */
function withAlgorithm(check: Check): Check {
  if (!check.id.startsWith('dkim:')) return check;
  const algo = /\ba=([a-z0-9]+)-/i.exec(check.evidence[0] ?? '')?.[1]?.toLowerCase();
  if (!algo) return check;
  const name = ALGORITHM_NAMES[algo] ?? algo;
  const selector = /\bs=(\S+)/.exec(check.evidence[0] ?? '')?.[1] ?? check.id.slice(5);
  return { ...check, id: `dkim:${algo}:${selector}`, title: check.title.replace(/^DKIM /, `DKIM ${name} `) };
}

/** The hand-off into the final receiver: its metadata when known, else its Received header. */
function mxHopChecks(message: DeliveredMessage, hops: readonly ReceivedHop[]): Check[] {
  const top = [...hops].reverse().find((h) => !h.local);
  const ip = message.remoteAddress ?? top?.ip;
  const by = top?.by ?? 'the recipient';
  const from = message.helo ?? top?.from ?? 'the server';
  const source = message.remoteAddress !== undefined ? "the receiver's record" : 'its Received header';
  const checks: Check[] = [];

  const tls =
    message.tls === null
      ? false
      : message.tls
        ? { version: tlsVersionName(message.tls.version), cipher: message.tls.cipher }
        : top?.tls === true
          ? { version: top.tlsVersion ?? 'TLS', cipher: top.cipher ?? '' }
          : top?.tls;
  const title = `TLS from ${from} to ${by}`;
  if (tls === undefined)
    checks.push({
      id: 'mx:tls',
      title,
      status: 'skip',
      evidence: [`${source} does not say whether TLS was used`],
    });
  else if (tls === false)
    checks.push({
      id: 'mx:tls',
      title,
      status: 'fail',
      evidence: [`the message crossed the network to ${by} in plain text (${source})`],
      fix: `${by} did not offer STARTTLS or the handshake failed: look for a TLS error in the server's log (journalctl -u chasquid).`,
    });
  else
    checks.push({
      id: 'mx:tls',
      title,
      status: isOutdatedTls(tls.version) ? 'warn' : 'pass',
      evidence: [`${tls.version} ${tls.cipher}`.trim(), `from ${source}`],
      ...(isOutdatedTls(tls.version) && {
        fix: `${tls.version} is outdated: the servers should agree on TLS 1.2 or 1.3.`,
      }),
    });

  const family = ip ? (isIP(ip) === 6 ? 'IPv6' : isIP(ip) === 4 ? 'IPv4' : undefined) : undefined;
  const v6title = `IPv6 to ${by}`;
  if (!family)
    checks.push({
      id: 'mx:ipv6',
      title: v6title,
      status: 'skip',
      evidence: [`${source} names no client address`],
    });
  else if (family === 'IPv6')
    checks.push({
      id: 'mx:ipv6',
      title: v6title,
      status: 'pass',
      evidence: [`delivered from ${ip} (${source})`],
    });
  else
    checks.push({
      id: 'mx:ipv6',
      title: v6title,
      status: 'warn',
      evidence: [`delivered over IPv4 from ${ip} (${source})`],
      fix: `Give the server an IPv6 address with an AAAA record and reverse DNS: large receivers prefer IPv6, and then it is used whenever the recipient's MX has one.`,
    });
  return checks;
}

function forwardChecks(
  message: DeliveredMessage,
  forward: NonNullable<VerifyOptions['forward']>,
  arc?: Check,
): Check[] {
  const checks: Check[] = [];
  const sender = message.envelopeFrom;
  const domain = forward.domain.toLowerCase();
  if (sender === undefined) {
    checks.push({
      id: 'forward:srs',
      title: 'Forwarded with the sender rewritten (SRS)',
      status: 'skip',
      evidence: ['the envelope sender the recipient saw is not known'],
    });
  } else if (
    sender.toLowerCase().endsWith(`@${domain}`) &&
    sender.toLowerCase() !== forward.originalSender.toLowerCase()
  ) {
    checks.push({
      id: 'forward:srs',
      title: 'Forwarded with the sender rewritten (SRS)',
      status: 'pass',
      evidence: [
        `envelope sender ${forward.originalSender} became ${sender}`,
        `SPF is judged for ${domain}, the forwarder`,
      ],
    });
  } else {
    checks.push({
      id: 'forward:srs',
      title: 'Forwarded with the sender rewritten (SRS)',
      status: 'fail',
      evidence: [`envelope sender ${sender}, not rewritten into ${domain}`],
      fix: `The forward keeps the original sender, so SPF of its domain fails at the recipient: the forwarding server must rewrite it into ${domain}.`,
    });
  }
  if (!arc || arc.status === 'skip')
    checks.push({
      id: 'arc',
      title: 'ARC',
      status: 'warn',
      evidence: [`no ARC seal on a message forwarded by ${domain}`, ...(arc ? arc.evidence.slice(1) : [])],
      fix: 'chasquid forwards without sealing ARC: the recipient cannot see that the message passed SPF and DMARC before the forward. Mail from domains with a strict DMARC policy and no DKIM of their own may be rejected after the forward; an aligned DKIM signature of the original sender survives it.',
    });
  else checks.push(arc);
  return checks;
}

/**
 * Judges a delivered test mail: SPF, each DKIM signature (algorithm in the title), DMARC with
 * its alignment and ARC (message analysis), the hand-off to the recipient's MX (TLS, IPv6) and,
 * for a forward, the rewritten sender and the missing ARC seal.
 */
export async function verifyDelivered(
  message: DeliveredMessage,
  opts: VerifyOptions = {},
): Promise<Verification> {
  const analysis = await analyzeMessage(message.raw, {
    resolver: opts.resolver,
    smtp:
      message.remoteAddress !== undefined || message.envelopeFrom !== undefined
        ? { ip: message.remoteAddress, helo: message.helo, mailFrom: message.envelopeFrom }
        : undefined,
    signal: opts.signal,
  });
  const arc = analysis.checks.find((c) => c.id === 'arc');
  const checks = analysis.checks.filter((c) => !(opts.forward && c.id === 'arc')).map(withAlgorithm);
  checks.push(...mxHopChecks(message, analysis.hops));
  if (opts.forward) checks.push(...forwardChecks(message, opts.forward, arc));
  return { checks, hops: analysis.hops };
}
