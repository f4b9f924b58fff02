// The shared vocabulary of the DNS checks: what a mail domain's DNS should say (expected
// records), what a lookup answered, and what the check concluded (findings). The generator,
// the linters, the checker, the publisher, the CLI and the VS Code views all speak it.
import { canonicalIp } from './address';
import { normalizeName } from '../names';
import { formatTlsa, parseTlsa } from './providers/record-value';
import type { RecordType } from './providers/types';

export type { RecordType } from './providers/types';

/** What a record is for; decides how it is compared, explained and published. */
export type RecordKind =
  | 'a'
  | 'aaaa'
  | 'mx'
  | 'spf'
  | 'spf-include'
  | 'dkim'
  | 'dmarc'
  | 'ptr'
  | 'mta-sts'
  | 'tls-rpt'
  | 'caa'
  | 'tlsa';

export interface ExpectedRecord {
  /** Stable within a domain: "mx", "spf", "spf-include", "dkim:<selector>", "ptr:<ip>", "a:<ip>", … */
  id: string;
  kind: RecordKind;
  /** Fully qualified, lowercase, no trailing dot. */
  name: string;
  type: RecordType;
  /** One string: TXT joined, MX "10 smtp.example.com", CAA '0 issue "letsencrypt.org"'. */
  value: string;
  /** TXT only: the value split into <=255-byte character-strings, as published. */
  strings?: string[];
  ttl?: number;
  /** False for recommended extras (MTA-STS, TLS-RPT, CAA): missing is a warning, not an error. */
  required: boolean;
  /** Where it is set: the domain's DNS zone, or the VPS provider's reverse-DNS page (PTR). */
  publishedAt: 'zone' | 'reverse';
  /** One line in plain words: what this record does for mail. */
  purpose: string;
  /** What else the record needs outside DNS records of its own, line by line (MTA-STS: the policy file to serve). */
  details?: string[];
}

/** `self-signed`: a mail port serves a certificate nobody trusts, but mail is still accepted. */
export type FindingStatus = 'ok' | 'missing' | 'wrong' | 'extra' | 'not-checkable' | 'self-signed';
export type FindingSeverity = 'error' | 'warning' | 'info';

/** One row of the expected-vs-found table. */
export interface Finding {
  /** The expected record's id, or a check's id ("reach:outbound-25", "dnsbl:zen", "extra:mx:…"). */
  id: string;
  kind: RecordKind | 'reachability' | 'dnsbl';
  /** DNS name (or, for reachability, what was probed). */
  name: string;
  type?: RecordType;
  status: FindingStatus;
  /** ok → info; a required record missing/wrong → error; recommended extras → warning. */
  severity: FindingSeverity;
  /** The expected value, when there is one. */
  expected?: string;
  /** The values found (TXT joined). */
  found: string[];
  /** One line: how to fix it. Absent when ok. */
  fix?: string;
  /** Plain-word details: linter messages, tag explanations, which server said what. */
  notes: string[];
}

export interface DnsReport {
  domain: string;
  /** The hosts[].name the domain belongs to. */
  host: string;
  mailHost: string;
  checkedAt: string;
  durationMs: number;
  findings: Finding[];
  /**
   * What holds for the whole domain, said once rather than on every row: the domain is not
   * delegated (no name servers answer for it), or DNS answered for none of its records.
   */
  notices?: string[];
}

/** How a lookup ended. "nodata": the name exists without records of this type. */
export type LookupStatus = 'ok' | 'nxdomain' | 'nodata' | 'timeout' | 'refused' | 'servfail' | 'error';

export interface LookupAnswer {
  status: LookupStatus;
  /** Normalized values: TXT joined, MX "10 host", CAA '0 issue "ca"', names lowercase without the dot. */
  values: string[];
  /** TXT only: each record's character-strings as served. */
  txtStrings?: string[][];
  /** Which server answered (ip or ip:port), for notes. */
  server?: string;
  /** The resolver's error text, when status is not ok/nxdomain/nodata. */
  error?: string;
  /** Set when several servers were asked and they disagree: each server's own answer. */
  byServer?: LookupAnswer[];
}

/** DNSKEY: asked at a zone's apex only, to tell whether the zone is signed (DANE needs it). */
export type QueryType = RecordType | 'SOA' | 'DNSKEY';

/** Anything that answers DNS questions: one resolver, the zone's authoritative servers, a test stand-in. */
export interface DnsLookup {
  query(name: string, type: QueryType, signal?: AbortSignal): Promise<LookupAnswer>;
}

// ---------------------------------------------------------------- identity and equality
// The one place that decides when two records are the same: the checker (is the record right?),
// the publisher (does the provider already serve it?), the zone export and the editor all ask
// here, so the check never says "ok" while publish plans a change, or the other way round.

/** A record's identity: its normalised name and its type. */
export function recordKey(name: string, type: string): string {
  return `${normalizeName(name)} ${type.toUpperCase()}`;
}

/** A TXT record's value: its character-strings joined with nothing between them (RFC 7208 3.3). */
export function joinTxt(strings: readonly string[]): string {
  return strings.join('');
}

const collapse = (text: string) => text.trim().replace(/\s+/g, ' ');

/** The TXT records of a protocol that shares its name with others: its version tag first. */
const PROTOCOL_OF: Partial<Record<RecordKind, RegExp>> = {
  spf: /^v=spf1( |$)/i,
  'spf-include': /^v=spf1( |$)/i,
  // RFC 7489 allows spaces around the version's "="; RFC 8460 and 8461 do not.
  dmarc: /^v\s*=\s*DMARC1\s*(;|$)/i,
  'mta-sts': /^v=STSv1\s*(;|$)/i,
  'tls-rpt': /^v=TLSRPTv1\s*(;|$)/i,
};

/** True for a TXT value that is an SPF record (RFC 7208 4.5: "v=spf1" then a space or the end). */
export function isSpfRecord(text: string): boolean {
  return PROTOCOL_OF.spf!.test(text.trim());
}

/** `tag=value; …` (DMARC, MTA-STS, TLS-RPT, DKIM): keys lowercase, values trimmed, in order. */
export function parseTags(text: string): Array<[string, string]> {
  return text
    .split(';')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const eq = part.indexOf('=');
      return eq < 0
        ? [part.toLowerCase(), '']
        : [part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim()];
    });
}

/** The version tag where it is, then the other tags in name order; lists without spaces after commas. */
function canonicalTags(text: string, lowerValues: ReadonlySet<string> = new Set()): string {
  const tags = parseTags(text).map(([k, v]): [string, string] => {
    const value = collapse(v).replace(/\s*,\s*/g, ',');
    return [k, lowerValues.has(k) ? value.toLowerCase() : value];
  });
  const [first, ...rest] = tags;
  const ordered =
    first?.[0] === 'v' ? [first, ...rest.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))] : tags;
  return ordered.map(([k, v]) => `${k}=${v}`).join(';');
}

/** DMARC tags whose values are keywords (RFC 7489 6.3): compared without case. */
const DMARC_KEYWORDS = new Set(['p', 'sp', 'adkim', 'aspf', 'fo', 'rf']);

/** A record's value in the one form two equal values share. */
export function comparableValue(record: Pick<ExpectedRecord, 'kind' | 'type'>, value: string): string {
  switch (record.type) {
    case 'A':
    case 'AAAA':
      return canonicalIp(value.trim());
    case 'MX': {
      const [priority = '', host = ''] = collapse(value).split(' ');
      return `${Number(priority)} ${normalizeName(host)}`;
    }
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return normalizeName(value);
    case 'CAA': {
      const caa = caaParts(value);
      return caa ? `${caa.flags} ${caa.tag} ${caa.value}` : collapse(value).toLowerCase();
    }
    case 'TLSA':
      // Usage, selector and matching type as numbers; the data as hex in one piece, any case.
      try {
        return formatTlsa(parseTlsa(value));
      } catch {
        return collapse(value).toLowerCase();
      }
    case 'TXT':
      switch (record.kind) {
        case 'spf':
        case 'spf-include':
          // Mechanisms, domains and the version are case-insensitive; the order of terms matters;
          // terms are separated by spaces only (a tab breaks the record, RFC 7208 4.5).
          return value.trim().replace(/ +/g, ' ').toLowerCase();
        case 'dmarc':
          return canonicalTags(value, DMARC_KEYWORDS);
        case 'mta-sts':
        case 'tls-rpt':
          return canonicalTags(value);
        case 'dkim': {
          // What a verifier uses: the key type (rsa by default) and the key, whatever its spacing.
          const tags = new Map(parseTags(value));
          return `k=${(tags.get('k') ?? 'rsa').toLowerCase()};p=${(tags.get('p') ?? '').replace(/\s+/g, '')}`;
        }
        default:
          return collapse(value);
      }
  }
}

/** Whether `found` (a value served or listed at the record's name and type) is the record. */
export function sameRecordValue(
  record: Pick<ExpectedRecord, 'kind' | 'type' | 'value'>,
  found: string,
): boolean {
  return comparableValue(record, found) === comparableValue(record, record.value);
}

/**
 * Whether `found` occupies the record's place at its name and type — the value that a different
 * value of the record replaces, rather than joins: the SPF TXT among the apex's TXT records, the
 * MX naming the same host, the CAA issuing to the same CA, the one DKIM key of a selector.
 */
export function inRecordSlot(
  record: Pick<ExpectedRecord, 'kind' | 'type' | 'value'>,
  found: string,
): boolean {
  const protocol = PROTOCOL_OF[record.kind];
  if (protocol) return protocol.test(found.trim());
  switch (record.kind) {
    case 'mx':
      return (
        comparableValue(record, found).split(' ')[1] === comparableValue(record, record.value).split(' ')[1]
      );
    case 'caa': {
      const want = caaParts(record.value);
      const have = caaParts(found);
      return !!want && !!have && want.tag === have.tag && want.value === have.value;
    }
    default:
      // A, AAAA and a selector's DKIM key: every value there is the record's.
      return true;
  }
}

/** Kinds of which a name holds one value: two of them break the record for receivers. */
export function isSingleValued(kind: RecordKind): boolean {
  return kind in PROTOCOL_OF || kind === 'dkim';
}

/**
 * `0 issue "letsencrypt.org; validationmethods=dns-01"` → flags 0, tag issue, value
 * letsencrypt.org: for issue/issuewild the CA's domain (its parameters only narrow how it
 * issues, so they do not make another record).
 */
function caaParts(value: string): { flags: number; tag: string; value: string } | undefined {
  const match = /^(\d+)\s+([A-Za-z0-9]+)\s+"?(.*?)"?$/.exec(collapse(value));
  if (!match) return undefined;
  const tag = match[2]!.toLowerCase();
  const raw = match[3]!.trim();
  const caValue = tag === 'issue' || tag === 'issuewild' ? normalizeName(raw.split(';')[0] ?? '') : raw;
  return { flags: Number(match[1]), tag, value: caValue };
}
