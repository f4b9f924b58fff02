// Judges a message that arrived somewhere: its SPF, each DKIM signature, DMARC, ARC and each
// hand-off of its path, as checks (src/core/checks) with the evidence seen and the fix.
import { isIP } from 'node:net';
import { type Check } from '../checks';
import { normalizeEmailAddress } from '../names';
import type { DnsLookup } from '../dns/model';
import { addressOf, decodeWords, firstHeader, headerValues, parseHeaders, type HeaderField } from './headers';
import { authenticateMessage, type AuthenticateResult } from './mailauth';
import { isInternalAddress, isOutdatedTls, parseReceivedChain, type ReceivedHop } from './received';

export interface SmtpEnvelope {
  /** The connecting client's address, as the receiving server saw it. */
  ip?: string;
  /** The name the client gave in EHLO/HELO. */
  helo?: string;
  /** MAIL FROM ("" for a bounce). */
  mailFrom?: string;
}

export interface AnalyzeOptions {
  /** Where DNS answers come from (default: the operating system's resolvers). */
  resolver?: DnsLookup;
  /** What the receiving server saw in SMTP, when known; otherwise it is read from the message. */
  smtp?: SmtpEnvelope;
  signal?: AbortSignal;
}

export interface MessageAnalysis {
  from?: string;
  subject?: string;
  messageId?: string;
  date?: string;
  checks: Check[];
  /** The path, first hand-off first. */
  hops: ReceivedHop[];
}

/** The parts of mailauth's DKIM result read here (its typings leave some out). */
interface DkimRow {
  signingDomain?: string;
  selector?: string;
  algo?: string;
  bodyHash?: string;
  bodyHashExpecting?: string;
  rr?: string;
  modulusLength?: number;
  status?: {
    result?: string;
    comment?: string | false;
    aligned?: string | false;
    policy?: Record<string, string | undefined>;
  };
}

interface SpfInput {
  ip?: string;
  helo?: string;
  sender?: string;
  /** How each was learnt, for the evidence. */
  notes: string[];
}

const domainOf = (address: string | undefined): string | undefined => {
  if (address === undefined) return undefined;
  const at = address.lastIndexOf('@');
  return at >= 0 ? address.slice(at + 1).toLowerCase() : undefined;
};

/** An address as the rest of Mailwright writes it (domain normalised), or as written when it is not one. */
function normalAddress(text: string): string {
  const check = normalizeEmailAddress(text);
  return check.ok ? check.value : text;
}

/** The SMTP facts SPF needs: given by the caller, or read from the final receiver's Received header. */
function spfInput(fields: HeaderField[], hops: ReceivedHop[], smtp: SmtpEnvelope | undefined): SpfInput {
  const notes: string[] = [];
  const input: SpfInput = { notes };
  if (smtp?.ip) {
    input.ip = smtp.ip;
    input.helo = smtp.helo;
    notes.push(`connecting IP ${smtp.ip}${smtp.helo ? ` and HELO ${smtp.helo}` : ''}: given`);
  } else {
    // The receiver's own header is the topmost one that names a client from outside: hops
    // between private addresses above it are the receiver's own relays.
    const outside = [...hops].reverse().filter((h) => h.ip !== undefined && !h.local);
    const hop = outside.find((h) => !isInternalAddress(h.ip!)) ?? outside[0];
    if (hop) {
      input.ip = hop.ip;
      input.helo = smtp?.helo ?? hop.from;
      notes.push(
        `connecting IP ${hop.ip}${input.helo ? ` and HELO ${input.helo}` : ''}: from the Received header of ${hop.by ?? 'the receiver'} (hop ${hop.index})`,
      );
    }
  }
  const returnPath = firstHeader(fields, 'return-path');
  if (smtp?.mailFrom !== undefined) {
    input.sender = smtp.mailFrom;
    notes.push(`envelope sender ${smtp.mailFrom === '' ? '<> (a bounce)' : smtp.mailFrom}: given`);
  } else if (returnPath !== undefined) {
    input.sender = addressOf(returnPath) ?? '';
    notes.push(`envelope sender ${input.sender || '<> (a bounce)'}: from Return-Path`);
  } else {
    const hop = [...hops].reverse().find((h) => h.envelopeFrom !== undefined);
    if (hop) {
      input.sender = hop.envelopeFrom;
      notes.push(`envelope sender ${hop.envelopeFrom || '<>'}: from the Received header of ${hop.by ?? '?'}`);
    }
  }
  if (input.sender) input.sender = normalAddress(input.sender);
  return input;
}

/** What the final receiver wrote about one method ("spf", "dkim", "dmarc") in its topmost Authentication-Results. */
function receiverClaims(fields: HeaderField[], method: string): string[] {
  const ar = firstHeader(fields, 'authentication-results');
  if (ar === undefined) return [];
  const [authserv, ...results] = ar.split(';').map((s) => s.trim());
  return results
    .filter((r) => new RegExp(`^${method}\\s*=`, 'i').test(r))
    .map((r) => `the receiver ${authserv ?? ''} wrote: ${r}`);
}

/** The receiver's SPF verdicts: Authentication-Results and Received-SPF. */
function receiverSpfClaims(fields: HeaderField[]): string[] {
  const receivedSpf = firstHeader(fields, 'received-spf');
  return [
    ...receiverClaims(fields, 'spf'),
    ...(receivedSpf !== undefined ? [`Received-SPF: ${receivedSpf}`] : []),
  ];
}

/** A receiver's dkim= result about this signature (header.d or header.i, and header.s when given). */
function aboutSignature(claim: string, row: DkimRow): boolean {
  const domain = /\bheader\.(?:d|i)=@?(?:[^\s@;]*@)?([^\s;]+)/i.exec(claim)?.[1]?.toLowerCase();
  const selector = /\bheader\.s=([^\s;]+)/i.exec(claim)?.[1];
  return (
    domain !== undefined &&
    domain === row.signingDomain?.toLowerCase() &&
    (selector === undefined || selector === row.selector)
  );
}

function spfCheck(result: AuthenticateResult, input: SpfInput, claims: string[]): Check {
  const title = 'SPF';
  if (!input.ip || input.sender === undefined) {
    const missing = [
      !input.ip && 'the connecting IP (no Received header from outside names one)',
      input.sender === undefined && 'the envelope sender (no Return-Path)',
    ].filter(Boolean);
    return {
      id: 'spf',
      title,
      status: 'skip',
      evidence: [
        `not judged: ${missing.join(' and ')} cannot be known from this message`,
        ...input.notes,
        ...claims,
        'give them to judge SPF: --ip, --helo, --mail-from',
      ],
    };
  }
  const spf = result.spf && typeof result.spf === 'object' ? result.spf : undefined;
  const outcome = spf?.status?.result ?? 'none';
  const domain = spf?.domain ?? domainOf(input.sender) ?? input.helo ?? '?';
  const evidence = [
    `spf=${outcome} smtp.mailfrom=${input.sender || `postmaster@${input.helo ?? '?'}`} client-ip=${input.ip}`,
    ...(spf?.rr ? [`record of ${domain}: ${spf.rr}`] : []),
    // mailauth's comment starts with the verifier's name (ours is no server): left out.
    ...(spf?.status?.comment ? [spf.status.comment.replace(/^[^\s:]+: /, '')] : []),
    ...input.notes,
    ...claims,
  ];
  const family = isIP(input.ip) === 6 ? 'ip6' : 'ip4';
  switch (outcome) {
    case 'pass':
      return { id: 'spf', title, status: 'pass', evidence };
    case 'fail':
    case 'softfail':
      return {
        id: 'spf',
        title,
        status: outcome === 'fail' ? 'fail' : 'warn',
        evidence,
        fix: `${input.ip} is not allowed to send for ${domain}: add ${family}:${input.ip} (or the sending server's a/mx) to the SPF record of ${domain}, or send through a server it lists. A forwarder's address fails here by design: the forwarder should rewrite the envelope (SRS).`,
      };
    case 'none':
      return {
        id: 'spf',
        title,
        status: 'warn',
        evidence,
        fix: `Publish an SPF record at ${domain} that lists the sending server (e.g. v=spf1 mx -all).`,
      };
    case 'neutral':
      return {
        id: 'spf',
        title,
        status: 'warn',
        evidence,
        fix: `The SPF record of ${domain} neither allows nor refuses ${input.ip}: list the sending server and end the record with -all or ~all.`,
      };
    case 'permerror':
      return {
        id: 'spf',
        title,
        status: 'fail',
        evidence,
        fix: `The SPF record of ${domain} is broken (syntax, several records, or more than 10 DNS lookups): fix it (Mailwright: Check DNS lints it).`,
      };
    default:
      return {
        id: 'spf',
        title,
        status: 'warn',
        evidence,
        fix: `DNS did not answer while judging SPF of ${domain}: check the resolver, then analyze again.`,
      };
  }
}

function keyRecordName(row: DkimRow): string {
  return `${row.selector ?? '?'}._domainkey.${row.signingDomain ?? '?'}`;
}

function dkimCheck(row: DkimRow, n: number, fromDomain: string | undefined): Check {
  const d = row.signingDomain ?? '?';
  const s = row.selector ?? '?';
  const name = keyRecordName(row);
  const id = `dkim:${n}`;
  const title = `DKIM signature (d=${d}, s=${s})`;
  const result = row.status?.result ?? 'none';
  const comment = row.status?.comment || '';
  const bodyOk = row.bodyHash !== undefined && row.bodyHash === row.bodyHashExpecting;
  const evidence = [`d=${d} s=${s} a=${row.algo ?? '?'}`];
  evidence.push(bodyOk ? 'body hash: matches' : 'body hash: does not match (the body changed after signing)');
  const revoked =
    /invalid public key/.test(comment) && row.rr !== undefined && /(^|;)\s*p=\s*(;|$)/.test(row.rr);
  if (!bodyOk) evidence.push(`key: not looked up (the body hash fails first)`);
  else if (comment === 'no key') evidence.push(`key: none at ${name}`);
  else if (revoked) evidence.push(`key: revoked at ${name} (empty p=)`);
  else if (row.rr !== undefined)
    evidence.push(
      `key: found at ${name}${row.modulusLength ? ` (RSA ${row.modulusLength} bits)` : /ed25519/i.test(row.algo ?? '') ? ' (Ed25519)' : ''}`,
    );
  if (bodyOk && row.rr !== undefined && !revoked)
    evidence.push(`signature: ${result === 'pass' ? 'verifies' : `does not verify (${comment || result})`}`);
  if (fromDomain)
    evidence.push(
      row.status?.aligned
        ? `aligned with the From domain ${fromDomain}`
        : `not aligned with the From domain ${fromDomain}`,
    );

  if (result === 'pass') return { id, title, status: 'pass', evidence };
  if (!bodyOk)
    return {
      id,
      title,
      status: 'fail',
      evidence,
      fix: 'The body changed after it was signed: find what rewrites messages after the signer (a footer added by a list or a filter, a re-encoding, changed line endings) and sign after it, or keep it off signed mail.',
    };
  if (comment === 'no key')
    return {
      id,
      title,
      status: 'fail',
      evidence,
      fix: `No key is published for selector ${s}: publish the signer's public key as TXT ${name}, or make the signer use the selector whose key is published (Mailwright: Check DNS compares them).`,
    };
  if (revoked)
    return {
      id,
      title,
      status: 'fail',
      evidence,
      fix: `The key of selector ${s} was revoked (empty p=): sign with the current selector, or publish the key again if it was revoked by mistake.`,
    };
  if (comment === 'bad signature')
    return {
      id,
      title,
      status: 'fail',
      evidence,
      fix: `The key published at ${name} is not the one that signed (a wrong selector for the signing key, or a key replaced without updating DNS), or a signed header changed: publish the signer's current public key under ${s}.`,
    };
  if (result === 'temperror')
    return {
      id,
      title,
      status: 'warn',
      evidence: [...evidence, comment],
      fix: `DNS did not answer for ${name}: check the resolver, then analyze again.`,
    };
  if (result === 'policy')
    return {
      id,
      title,
      status: 'fail',
      evidence: [...evidence, 'the key is shorter than 1024 bits'],
      fix: `Receivers refuse keys this short: make a 2048-bit RSA key for ${d} and publish it under a new selector.`,
    };
  return {
    id,
    title,
    status: 'fail',
    evidence: [...evidence, `${result}${comment ? `: ${comment}` : ''}`],
    fix: `The record at ${name} is not a usable DKIM key (${comment || result}): publish it as v=DKIM1; k=rsa|ed25519; p=<base64 public key>.`,
  };
}

function dmarcCheck(
  result: AuthenticateResult,
  fromDomain: string | undefined,
  spfJudged: boolean,
  dkimRows: DkimRow[],
): Check {
  const id = 'dmarc';
  if (!fromDomain)
    return {
      id,
      title: 'DMARC',
      status: 'fail',
      evidence: ['the message has no From address, or names several: DMARC cannot be judged'],
      fix: 'Send with exactly one address in From.',
    };
  const title = `DMARC (From domain ${fromDomain})`;
  const dmarc = result.dmarc && typeof result.dmarc === 'object' ? result.dmarc : undefined;
  const outcome = dmarc?.status?.result ?? 'none';
  const passedDkim = dkimRows.filter((r) => r.status?.result === 'pass').map((r) => r.signingDomain ?? '?');
  const evidence: string[] = [];
  if (dmarc?.rr) evidence.push(`record of _dmarc.${dmarc.domain}: ${dmarc.rr}`);
  if (dmarc?.policy)
    evidence.push(`policy: ${dmarc.policy}${dmarc.pct !== undefined ? ` (pct=${dmarc.pct})` : ''}`);
  const viaDkim = dmarc?.alignment?.dkim?.result;
  const viaSpf = dmarc?.alignment?.spf?.result;
  evidence.push(
    viaDkim
      ? `aligned via DKIM (d=${viaDkim})`
      : `DKIM: ${passedDkim.length ? `passed for ${passedDkim.join(', ')} only, not aligned with ${fromDomain}` : 'no passing signature'}`,
  );
  evidence.push(
    viaSpf
      ? `aligned via SPF (${viaSpf})`
      : spfJudged
        ? 'SPF: no aligned pass'
        : 'SPF: not judged (the SMTP facts are unknown), so DMARC is judged on DKIM alone',
  );
  if (outcome === 'pass') return { id, title, status: 'pass', evidence };
  if (outcome === 'fail')
    return {
      id,
      title,
      status: 'fail',
      evidence,
      fix: `Mail from ${fromDomain} needs a DKIM signature with d=${fromDomain} (or its parent domain) that verifies, or an SPF pass for an envelope sender at ${fromDomain}: sign with a key of ${fromDomain}${passedDkim.length ? ` rather than (or besides) ${passedDkim.join(', ')}` : ''}.`,
    };
  if (outcome === 'none')
    return {
      id,
      title,
      status: 'warn',
      evidence: ['no DMARC record', ...evidence],
      fix: `Publish a DMARC record at _dmarc.${fromDomain} (Mailwright: Show DNS Records lists the one to publish).`,
    };
  return {
    id,
    title,
    status: 'warn',
    evidence: [`dmarc=${outcome}`, ...evidence],
    fix: `DNS did not answer for _dmarc.${fromDomain}: check the resolver, then analyze again.`,
  };
}

/** Signs that the message was forwarded: an SRS envelope sender, Resent-* or X-Forwarded-* fields. */
function forwardSigns(fields: HeaderField[], sender: string | undefined): string[] {
  const signs: string[] = [];
  if (sender && /^SRS[01][=+-]/i.test(sender))
    signs.push(`the envelope sender ${sender} was rewritten by SRS`);
  for (const name of ['resent-from', 'resent-sender', 'x-forwarded-to', 'x-forwarded-for']) {
    const value = firstHeader(fields, name);
    if (value !== undefined) signs.push(`${name.replace(/(^|-)(\w)/g, (m) => m.toUpperCase())}: ${value}`);
  }
  return signs;
}

function arcCheck(result: AuthenticateResult, forwarded: string[]): Check {
  const id = 'arc';
  const title = 'ARC';
  const arc = result.arc && typeof result.arc === 'object' ? result.arc : undefined;
  const outcome = arc?.status?.result ?? 'none';
  if (outcome === 'none') {
    if (forwarded.length === 0)
      return {
        id,
        title,
        status: 'skip',
        evidence: ['no ARC seal; none is needed: nothing shows the message was forwarded'],
      };
    return {
      id,
      title,
      status: 'warn',
      evidence: ['no ARC seal, but the message was forwarded:', ...forwarded],
      fix: 'A forwarder sends from its own address, so SPF no longer speaks for the original sender, and any change it makes breaks DKIM; ARC carries its earlier verdict to the final receiver. Keep an aligned DKIM signature on every message (it survives unchanged forwarding); a forwarder that seals ARC helps further.',
    };
  }
  const signer =
    arc?.signature && typeof arc.signature === 'object' ? arc.signature.signingDomain : undefined;
  const evidence = [
    `arc=${outcome}${arc?.i ? ` (${arc.i} seal${arc.i === 1 ? '' : 's'})` : ''}${signer ? `, last sealed by ${signer}` : ''}`,
    ...(arc?.status?.comment ? [arc.status.comment] : []),
  ];
  if (outcome === 'pass') return { id, title, status: 'pass', evidence };
  return {
    id,
    title,
    status: 'fail',
    evidence,
    fix: "The ARC chain does not verify: a forwarder changed the message after sealing it, or its sealing key is not published; receivers then ignore the forwarder's verdict.",
  };
}

function hopCheck(hop: ReceivedHop): Check {
  const id = `hop:${hop.index}`;
  const title = `Hop ${hop.index}: ${hop.from ?? '(local)'} → ${hop.by ?? '?'}`;
  const evidence = [
    `from ${hop.from ?? '(no client named)'}${hop.fromName ? ` (${hop.fromName})` : ''}${hop.ip ? ` [${hop.ip}] ${hop.family}` : ''}`,
    `by ${hop.by ?? '?'}${hop.protocol ? ` with ${hop.protocol}` : ''}`,
  ];
  if (hop.tls === true) evidence.push([hop.tlsVersion ?? 'TLS', hop.cipher].filter(Boolean).join(' '));
  else if (hop.tls === false) evidence.push('no TLS: the message crossed this hop in plain text');
  else evidence.push('the header does not say whether TLS was used');
  if (hop.date) evidence.push(hop.date);
  if (hop.local)
    return {
      id,
      title,
      status: 'skip',
      evidence: [...evidence, 'a hand-off inside one host: no network to protect'],
    };
  if (hop.tls === true) {
    if (hop.tlsVersion && isOutdatedTls(hop.tlsVersion))
      return {
        id,
        title,
        status: 'warn',
        evidence,
        fix: `${hop.tlsVersion} is outdated: enable TLS 1.2 or 1.3 on ${hop.by ?? 'the receiving server'} and on the sender.`,
      };
    return { id, title, status: 'pass', evidence };
  }
  if (hop.tls === false)
    return {
      id,
      title,
      status: 'warn',
      evidence,
      fix: `The hand-off from ${hop.from ?? '?'} to ${hop.by ?? '?'} was not encrypted: the receiving server should offer STARTTLS (with a valid certificate) and the sender use it (chasquid always does when offered).`,
    };
  return { id, title, status: 'skip', evidence };
}

/** Judges a raw RFC 5322 message: SPF, each DKIM signature, DMARC, ARC and each Received hop. */
export async function analyzeMessage(
  raw: Buffer | string,
  opts: AnalyzeOptions = {},
): Promise<MessageAnalysis> {
  opts.signal?.throwIfAborted();
  const fields = parseHeaders(raw);
  const hops = parseReceivedChain(headerValues(fields, 'received'));
  const input = spfInput(fields, hops, opts.smtp);
  const fromValues = headerValues(fields, 'from');
  const fromAddress = fromValues.length === 1 ? addressOf(fromValues[0]!) : undefined;
  const from = fromAddress && normalAddress(fromAddress);
  const fromDomain = domainOf(from);

  const result = await authenticateMessage(raw, {
    resolver: opts.resolver,
    ip: input.ip && input.sender !== undefined ? input.ip : undefined,
    helo: input.helo,
    sender: input.sender || undefined,
    dmarc: true,
    arc: true,
    signal: opts.signal,
  });
  opts.signal?.throwIfAborted();

  // An unsigned message gets one row without a signing domain ("message not signed").
  const dkimRows = ((result.dkim?.results ?? []) as DkimRow[]).filter((r) => r.signingDomain !== undefined);
  const spfJudged = Boolean(input.ip && input.sender !== undefined);
  const checks: Check[] = [spfCheck(result, input, receiverSpfClaims(fields))];
  if (dkimRows.length === 0)
    checks.push({
      id: 'dkim',
      title: 'DKIM signature',
      status: 'fail',
      evidence: ['the message has no DKIM-Signature header'],
      fix: `Sign outgoing mail${fromDomain ? ` for ${fromDomain}` : ''} (chasquid signs with the domain's dkim key once its TXT record is published: Mailwright sets both up).`,
    });
  // What the final receiver wrote goes beside each verdict (it may have seen keys since changed).
  const dkimClaims = receiverClaims(fields, 'dkim');
  dkimRows.forEach((row, i) => {
    const check = dkimCheck(row, i + 1, fromDomain);
    checks.push({
      ...check,
      evidence: [...check.evidence, ...dkimClaims.filter((c) => aboutSignature(c, row))],
    });
  });
  const dmarc = dmarcCheck(result, fromDomain, spfJudged, dkimRows);
  checks.push({ ...dmarc, evidence: [...dmarc.evidence, ...receiverClaims(fields, 'dmarc')] });
  checks.push(arcCheck(result, forwardSigns(fields, input.sender)));
  for (const hop of hops) checks.push(hopCheck(hop));

  const subject = firstHeader(fields, 'subject');
  const messageId = firstHeader(fields, 'message-id');
  const date = firstHeader(fields, 'date');
  return {
    ...(from && { from }),
    ...(subject !== undefined && { subject: decodeWords(subject) }),
    ...(messageId !== undefined && { messageId }),
    ...(date !== undefined && { date }),
    checks,
    hops,
  };
}
