// DMARC aggregate reports (RFC 7489, appendix C): what each receiver saw of the mail that
// claimed to be from one of our domains, grouped by sending IP. Parsed with fast-xml-parser
// into a checked shape; anything a report cannot hold is refused with the field it is about.
import { isIP } from 'node:net';
import { XMLParser } from 'fast-xml-parser';
import { ReportError } from './errors';

/** More rows than any receiver sends for one domain and day: a bound, not a expectation. */
export const MAX_DMARC_RECORDS = 100_000;

export type Alignment = 'r' | 's';

export interface DmarcAuthResult {
  domain: string;
  /** DKIM only. */
  selector?: string;
  /** SPF only: `mfrom` or `helo`. */
  scope?: string;
  result: string;
}

export interface DmarcRecord {
  sourceIp: string;
  count: number;
  disposition: string;
  /** The receiver's DMARC verdict per mechanism: `pass` means it passed AND aligned. */
  dkim: string;
  spf: string;
  headerFrom: string;
  envelopeFrom?: string;
  reasons: string[];
  dkimResults: DmarcAuthResult[];
  spfResults: DmarcAuthResult[];
}

export interface DmarcAggregateReport {
  kind: 'dmarc';
  org: string;
  email?: string;
  reportId: string;
  begin: Date;
  end: Date;
  /** policy_published's domain, lower case. */
  domain: string;
  policy: { p: string; sp?: string; pct?: number; adkim: Alignment; aspf: Alignment };
  records: DmarcRecord[];
}

const ARRAYS = new Set([
  'feedback.record',
  'feedback.record.auth_results.dkim',
  'feedback.record.auth_results.spf',
]);
const ARRAY_TAILS = new Set(['reason', 'error']);

const parser = new XMLParser({
  ignoreAttributes: true,
  // Values stay strings: a report_id of digits must not lose its leading zeros.
  parseTagValue: false,
  trimValues: true,
  // Only the five XML entities; a DOCTYPE is refused before the parser sees the text.
  processEntities: true,
  htmlEntities: false,
  removeNSPrefix: true,
  isArray: (name, jpath) => ARRAYS.has(String(jpath)) || ARRAY_TAILS.has(name),
});

type Node = Record<string, unknown>;

function invalid(field: string, problem: string): ReportError {
  return new ReportError('invalid', `The DMARC report's ${field} ${problem}.`);
}

function node(value: unknown, field: string): Node {
  if (value === undefined || value === null || value === '') throw invalid(field, 'is missing');
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(field, 'is not an element');
  return value as Node;
}

function text(value: unknown, field: string): string {
  if (value === undefined || value === null || value === '') throw invalid(field, 'is missing');
  if (typeof value !== 'string') throw invalid(field, 'is not text');
  return value;
}

function optionalText(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function count(value: unknown, field: string, max = 1_000_000_000): number {
  const raw = text(value, field);
  if (!/^\d{1,10}$/.test(raw) || Number(raw) > max)
    throw invalid(field, `is not a count (${JSON.stringify(raw.slice(0, 20))})`);
  return Number(raw);
}

function date(value: unknown, field: string): Date {
  // Seconds since the epoch, as the schema says; bounded to years a report can be about.
  const seconds = count(value, field, 4_102_444_800);
  return new Date(seconds * 1000);
}

function alignment(value: unknown): Alignment {
  return value === 's' ? 's' : 'r';
}

function list(value: unknown): Node[] {
  if (value === undefined || value === '') return [];
  return (Array.isArray(value) ? value : [value]).filter(
    (v): v is Node => typeof v === 'object' && v !== null,
  );
}

function authResults(items: Node[], kind: 'dkim' | 'spf', at: string): DmarcAuthResult[] {
  return items.map((item, i) => ({
    domain: text(item.domain, `${at}.auth_results.${kind}[${i}].domain`).toLowerCase(),
    ...(kind === 'dkim' ? { selector: optionalText(item.selector) } : { scope: optionalText(item.scope) }),
    result: text(item.result, `${at}.auth_results.${kind}[${i}].result`).toLowerCase(),
  }));
}

function record(raw: Node, i: number): DmarcRecord {
  const at = `record[${i}]`;
  const row = node(raw.row, `${at}.row`);
  const sourceIp = text(row.source_ip, `${at}.row.source_ip`);
  if (isIP(sourceIp) === 0)
    throw invalid(`${at}.row.source_ip`, `is not an IP address (${JSON.stringify(sourceIp.slice(0, 45))})`);
  const evaluated = node(row.policy_evaluated, `${at}.row.policy_evaluated`);
  const identifiers = node(raw.identifiers, `${at}.identifiers`);
  const auth =
    raw.auth_results === undefined || raw.auth_results === ''
      ? {}
      : node(raw.auth_results, `${at}.auth_results`);
  return {
    sourceIp,
    count: count(row.count, `${at}.row.count`),
    disposition: text(evaluated.disposition, `${at}.row.policy_evaluated.disposition`).toLowerCase(),
    dkim: text(evaluated.dkim, `${at}.row.policy_evaluated.dkim`).toLowerCase(),
    spf: text(evaluated.spf, `${at}.row.policy_evaluated.spf`).toLowerCase(),
    reasons: list(evaluated.reason).map((r) =>
      [optionalText(r.type), optionalText(r.comment)].filter(Boolean).join(': '),
    ),
    headerFrom: text(identifiers.header_from, `${at}.identifiers.header_from`).toLowerCase(),
    envelopeFrom: optionalText(identifiers.envelope_from)?.toLowerCase(),
    dkimResults: authResults(list(auth.dkim), 'dkim', at),
    spfResults: authResults(list(auth.spf), 'spf', at),
  };
}

/** Parses the XML of one aggregate report; throws ReportError naming the field that is wrong. */
export function parseDmarcAggregate(xml: string): DmarcAggregateReport {
  // No DMARC report declares a DOCTYPE; refusing it outright closes entity expansion and
  // external entities whatever the parser would do with them.
  if (/<!(DOCTYPE|ENTITY)/i.test(xml)) {
    throw new ReportError(
      'invalid',
      'The DMARC report declares a DOCTYPE or entities, which no real report does; it was not parsed.',
    );
  }
  let doc: Node;
  try {
    doc = parser.parse(xml, true) as Node;
  } catch (e) {
    throw new ReportError('invalid', `The DMARC report is not well-formed XML: ${(e as Error).message}`);
  }
  const feedback = node(doc.feedback, 'feedback element');
  const metadata = node(feedback.report_metadata, 'report_metadata');
  const range = node(metadata.date_range, 'report_metadata.date_range');
  const published = node(feedback.policy_published, 'policy_published');
  const records = list(feedback.record);
  if (records.length > MAX_DMARC_RECORDS)
    throw invalid('record list', `has ${records.length} rows, more than the ${MAX_DMARC_RECORDS} read`);
  const pct = optionalText(published.pct);
  return {
    kind: 'dmarc',
    org: text(metadata.org_name, 'report_metadata.org_name'),
    email: optionalText(metadata.email),
    reportId: text(metadata.report_id, 'report_metadata.report_id'),
    begin: date(range.begin, 'report_metadata.date_range.begin'),
    end: date(range.end, 'report_metadata.date_range.end'),
    domain: text(published.domain, 'policy_published.domain').toLowerCase().replace(/\.$/, ''),
    policy: {
      p: text(published.p, 'policy_published.p').toLowerCase(),
      sp: optionalText(published.sp)?.toLowerCase(),
      pct: pct === undefined ? undefined : count(pct, 'policy_published.pct', 100),
      adkim: alignment(published.adkim),
      aspf: alignment(published.aspf),
    },
    records: records.map(record),
  };
}
