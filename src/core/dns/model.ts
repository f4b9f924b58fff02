// The shared vocabulary of the DNS checks: what a mail domain's DNS should say (expected
// records), what a lookup answered, and what the check concluded (findings). The generator,
// the linters, the checker, the publisher, the CLI and the VS Code views all speak it.
import type { RecordType } from './providers/types';

export type { RecordType } from './providers/types';

/** What a record is for; decides how it is compared, explained and published. */
export type RecordKind =
  'a' | 'aaaa' | 'mx' | 'spf' | 'spf-include' | 'dkim' | 'dmarc' | 'ptr' | 'mta-sts' | 'tls-rpt' | 'caa';

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

export type QueryType = RecordType | 'SOA';

/** Anything that answers DNS questions: one resolver, the zone's authoritative servers, a test stand-in. */
export interface DnsLookup {
  query(name: string, type: QueryType, signal?: AbortSignal): Promise<LookupAnswer>;
}
