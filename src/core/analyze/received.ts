// The path a message took, read from its Received headers (RFC 5321 section 4.4): who handed it
// to whom, from which address, and whether the hand-off was encrypted. Servers write these
// headers in their own words; the forms read here are those of chasquid ("tls <cipher>",
// "(over SMTP, TLS-1.3, …)" or "plain text!"), Gmail ("(version=TLS1_3 cipher=… bits=…)"),
// Postfix ("(using TLSv1.3 with cipher …)"), Exim ("with esmtps (TLS1.3) tls <cipher>") and
// Microsoft ("(version=TLS1_2, cipher=…)"), plus the RFC 3848 protocol names (ESMTPS, ESMTPSA).
import { isIP } from 'node:net';
import { inCidr, isPublishableAddress } from '../dns/address';

export interface ReceivedHop {
  /** 1 is the first hand-off (the bottom Received header); the highest is the final receiver's (the topmost). */
  index: number;
  /** The name the client gave (HELO/EHLO), as written after "from". */
  from?: string;
  /** The client's name as the receiver resolved it (the comment after "from"), when different. */
  fromName?: string;
  /** The receiving host, as written after "by". */
  by?: string;
  /** The client's address. */
  ip?: string;
  family?: 'IPv4' | 'IPv6';
  /** The protocol after "with": ESMTPS, ESMTP, LMTP, … */
  protocol?: string;
  /** true: the header says TLS was used; false: it says it was not; undefined: it does not say. */
  tls?: boolean;
  /** "TLS 1.3", when written. */
  tlsVersion?: string;
  cipher?: string;
  /** A hand-off inside one host or one provider (no client, or a loopback client): TLS is not expected. */
  local: boolean;
  envelopeFrom?: string;
  /** The date after ";", as written. */
  date?: string;
  /** The header's value, unfolded. */
  raw: string;
}

/** "TLS1_3", "TLSv1.3", "TLS-1.3", "TLS1.3" → "TLS 1.3"; "SSLv3" → "SSL 3"; anything else as written. */
export function tlsVersionName(text: string): string {
  const m = /^(TLS|SSL)[-_ v]*(\d)(?:[._](\d))?$/i.exec(text.trim());
  if (!m) return text.trim();
  return `${m[1]!.toUpperCase()} ${m[2]}${m[3] !== undefined ? `.${m[3]}` : ''}`;
}

/** TLS 1.0, 1.1 and every SSL: broken or withdrawn (RFC 8996). */
export function isOutdatedTls(version: string): boolean {
  return /^SSL/i.test(version) || /^TLS 1\.[01]$/.test(version) || /^TLS 1$/.test(version);
}

const TLS_PROTOCOL = /^(UTF8)?(E?SMTP|LMTP)SA?$/i;
const PLAIN_PROTOCOL = /^(UTF8)?(E?SMTP|LMTP)A?$/i;

function address(text: string): { ip: string; family: 'IPv4' | 'IPv6' } | undefined {
  const ip = text.replace(/^IPv6:/i, '').replace(/%.*$/, '');
  const v = isIP(ip);
  if (v === 4) return { ip, family: 'IPv4' };
  if (v === 6) {
    // An IPv4-mapped IPv6 address is an IPv4 client on a dual-stack socket.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    return mapped ? { ip: mapped[1]!, family: 'IPv4' } : { ip, family: 'IPv6' };
  }
  return undefined;
}

const INTERNAL: Array<[string, number]> = [
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['fc00::', 7], // unique local
];

/** A private network's address: a hand-off inside one provider, not a client from the Internet. */
export function isInternalAddress(ip: string): boolean {
  return INTERNAL.some(([network, prefix]) => inCidr(ip, network, prefix));
}

/** The text of the first parenthesised comment (nesting kept) starting at `start`, and where it ends. */
function commentAt(text: string, start: number): { body: string; end: number } | undefined {
  if (text[start] !== '(') return undefined;
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return { body: text.slice(start + 1, i), end: i + 1 };
  }
  return { body: text.slice(start + 1), end: text.length };
}

function withoutComments(text: string): string {
  let out = '';
  let depth = 0;
  for (const c of text) {
    if (c === '(') depth++;
    else if (c === ')' && depth > 0) depth--;
    else if (depth === 0) out += c;
  }
  return out;
}

/** One Received header's value (unfolded) as a hop. */
export function parseReceived(value: string, index: number): ReceivedHop {
  const raw = value.replace(/\s+/g, ' ').trim();
  const semicolon = raw.lastIndexOf(';');
  const date = semicolon >= 0 ? raw.slice(semicolon + 1).trim() || undefined : undefined;
  const clauses = semicolon >= 0 ? raw.slice(0, semicolon) : raw;
  const hop: ReceivedHop = { index, local: false, raw, ...(date && { date }) };

  const from = /^\s*from\s+(\S+)\s*/i.exec(clauses);
  if (from) {
    hop.from = from[1]!.replace(/[()]/g, '');
    const comment = commentAt(clauses, from[0].length);
    const literal = /^\[([^\]]+)\]$/.exec(hop.from);
    const inComment = comment && /\[([^\]]+)\]/.exec(comment.body);
    // Microsoft writes the bare address: "from host (192.0.2.1) by …".
    const bare = comment && /^\s*(?:\S+\s+)?\(?([0-9a-f:.]+)\)?\s*$/i.exec(comment.body);
    const found =
      (literal && address(literal[1]!)) ??
      (inComment && address(inComment[1]!)) ??
      (bare && address(bare[1]!)) ??
      address(hop.from);
    if (found) Object.assign(hop, found);
    const name = comment && /^\s*([a-z0-9][a-z0-9.-]*[a-z0-9]\.?)(?=\s|$)/i.exec(comment.body);
    if (name && !address(name[1]!) && name[1]!.replace(/\.$/, '') !== hop.from.replace(/\.$/, ''))
      hop.fromName = name[1]!.replace(/\.$/, '');
  }
  // "by" and "with" outside comments: Postfix writes "(using TLSv1.3 with cipher …)".
  const bare = withoutComments(clauses);
  const by = /\bby\s+([^\s;()]+)/i.exec(bare);
  if (by) hop.by = by[1];
  const withClause = /\bwith\s+([^\s;()]+)/i.exec(bare);
  if (withClause) hop.protocol = withClause[1];

  // The TLS version, in each server's words.
  const version =
    /\bversion=((?:TLS|SSL)[\w.]*)/i.exec(clauses) ?? // Gmail, Microsoft
    /\busing\s+((?:TLS|SSL)v?[\d.]+)/i.exec(clauses) ?? // Postfix
    /\(((?:TLS|SSL)v?[\d.]+)\)/i.exec(clauses) ?? // Exim "(TLS1.3)"
    /\bover [^,()]+, ((?:TLS|SSL)-[\d.]+|TLS-0x[0-9a-f]+),/i.exec(clauses); // chasquid
  if (version) hop.tlsVersion = tlsVersionName(version[1]!.replace(/[,;]$/, ''));
  const cipher =
    /\bcipher[= ]+([A-Za-z0-9_-]+)/i.exec(clauses) ?? // Gmail, Microsoft, Postfix
    /\btls\s+([A-Z0-9][A-Za-z0-9_-]*_[A-Za-z0-9_-]+)/.exec(clauses); // chasquid, Exim
  if (cipher && !/^(OTHER)$/i.test(cipher[1]!)) hop.cipher = cipher[1];

  if (hop.tlsVersion || hop.cipher || /\bover [^,()]+, TLS/i.test(clauses)) hop.tls = true;
  else if (/plain text!/i.test(clauses)) hop.tls = false;
  else if (hop.protocol && TLS_PROTOCOL.test(hop.protocol)) hop.tls = true;
  else if (hop.protocol && /^HTTPS$/i.test(hop.protocol)) hop.tls = true;
  else if (hop.protocol && (PLAIN_PROTOCOL.test(hop.protocol) || /^HTTP$/i.test(hop.protocol)))
    hop.tls = false;

  const envelope = /\benvelope from "([^"]*)"/i.exec(clauses) ?? /\(envelope-from <([^>]*)>\)/i.exec(clauses);
  if (envelope) hop.envelopeFrom = envelope[1];

  hop.local =
    !hop.from ||
    // Loopback, link-local: never crossed a network.
    (hop.ip !== undefined && !isPublishableAddress(hop.ip)) ||
    (hop.protocol !== undefined && /^(LMTPS?A?|local)$/i.test(hop.protocol));
  return hop;
}

/** Received header values as they appear (topmost first) → hops in the order the message took them. */
export function parseReceivedChain(values: readonly string[]): ReceivedHop[] {
  return [...values].reverse().map((v, i) => parseReceived(v, i + 1));
}
