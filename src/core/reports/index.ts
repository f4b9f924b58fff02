// Reports that receivers send about our domains: read (bounded), parsed, kept only when they
// are about a domain of ours, and summarised.
import { domainOfName } from '../config';
import { decodeReport } from './decode';
import { parseDmarcAggregate, type DmarcAggregateReport } from './dmarc';
import { ReportError } from './errors';
import type { AnyReport } from './summary';
import { parseTlsReport, type TlsReport } from './tlsrpt';

export { decodeReport, encodingOf, MAX_INFLATED_BYTES, MAX_REPORT_BYTES } from './decode';
export { parseDmarcAggregate, type DmarcAggregateReport, type DmarcRecord } from './dmarc';
export { ReportError, type ReportProblem } from './errors';
export { rate, summariseReports, type AnyReport, type DomainSummary, type SourceSummary } from './summary';
export { parseTlsReport, type TlsReport } from './tlsrpt';

/** Parses a report's text: XML is a DMARC aggregate report, JSON a TLS report. */
export function parseReport(text: string): DmarcAggregateReport | TlsReport {
  const start = text.replace(/^\uFEFF/, '').trimStart()[0];
  if (start === '<') return parseDmarcAggregate(text);
  if (start === '{') return parseTlsReport(text);
  throw new ReportError(
    'invalid',
    'The file is neither a DMARC aggregate report (XML) nor a TLS report (JSON).',
  );
}

/**
 * A received report's bytes (plain, gzip or zip) → the report, when it is about one of
 * `domains`. A report about any other domain is refused: reports are addressed by the sender,
 * and one about a stranger's domain is either a mistake or an attempt to fill the store.
 */
export function readReport(bytes: Uint8Array, domains: readonly string[]): AnyReport {
  const report = parseReport(decodeReport(bytes));
  const named = report.kind === 'dmarc' ? [report.domain] : report.policies.map((p) => p.policyDomain);
  const ours = domains.map((name) => ({ name }));
  const foreign = named.filter((name) => !domainOfName(name, ours));
  if (named.length === 0 || foreign.length > 0) {
    throw new ReportError(
      'foreign',
      `The report from ${report.org} is about ${foreign[0] ?? 'no domain'}, which is not a domain of this server (${domains.join(', ')}); it was set aside.`,
    );
  }
  return report;
}

/** The configured domain a report's domain counts for (itself or the parent it belongs to). */
export function ownerDomain(domains: readonly string[]): (name: string) => string | undefined {
  const ours = domains.map((name) => ({ name }));
  return (name) => domainOfName(name, ours)?.name;
}

export interface SetAside {
  name: string;
  problem: ReportError['problem'];
  message: string;
}

/**
 * Reads many received reports: each bad one (too large, damaged, hostile, about another
 * domain) is set aside with its reason, and never stops the others from being read.
 */
export function collectReports(
  items: Iterable<{ name: string; bytes: Uint8Array }>,
  domains: readonly string[],
): { reports: AnyReport[]; setAside: SetAside[] } {
  const reports: AnyReport[] = [];
  const setAside: SetAside[] = [];
  for (const item of items) {
    try {
      reports.push(readReport(item.bytes, domains));
    } catch (e) {
      if (!(e instanceof ReportError)) throw e;
      setAside.push({ name: item.name, problem: e.problem, message: e.message });
    }
  }
  return { reports, setAside };
}
