// What a domain's owner wants from a pile of reports: who sends mail as the domain, how much of
// it passes DMARC (and through which mechanism), which sources fail — those first, since they
// are either a forgotten legitimate sender or someone forging the domain — and why TLS
// sessions to our MX failed.
import type { DmarcAggregateReport } from './dmarc';
import type { TlsReport } from './tlsrpt';

export interface SourceSummary {
  ip: string;
  /** Filled by the caller (a PTR lookup) when wanted. */
  reverse?: string;
  messages: number;
  dmarcPass: number;
  dkimAligned: number;
  spfAligned: number;
  /** Messages per disposition the receivers applied (none, quarantine, reject). */
  dispositions: Record<string, number>;
  headerFroms: string[];
  reporters: string[];
}

export interface TlsFailureSummary {
  resultType: string;
  sessions: number;
  mxHosts: string[];
  sendingIps: string[];
}

export interface DomainSummary {
  domain: string;
  from?: Date;
  to?: Date;
  /** Distinct reports read (a report sent twice is counted once). */
  dmarcReports: number;
  tlsReports: number;
  reporters: Record<string, number>;
  messages: number;
  dmarcPass: number;
  dkimAligned: number;
  spfAligned: number;
  /** Failing sources first (most failing messages first), then the rest by volume. */
  sources: SourceSummary[];
  tls: { successful: number; failed: number; failures: TlsFailureSummary[] };
}

export type AnyReport = DmarcAggregateReport | TlsReport;

function reportKey(report: AnyReport): string {
  return `${report.kind}\u0000${report.org.toLowerCase()}\u0000${report.reportId}`;
}

function reportDomains(report: AnyReport): string[] {
  return report.kind === 'dmarc' ? [report.domain] : [...new Set(report.policies.map((p) => p.policyDomain))];
}

function widen(summary: DomainSummary, begin: Date, end: Date) {
  if (!summary.from || begin < summary.from) summary.from = begin;
  if (!summary.to || end > summary.to) summary.to = end;
}

function empty(domain: string): DomainSummary {
  return {
    domain,
    dmarcReports: 0,
    tlsReports: 0,
    reporters: {},
    messages: 0,
    dmarcPass: 0,
    dkimAligned: 0,
    spfAligned: 0,
    sources: [],
    tls: { successful: 0, failed: 0, failures: [] },
  };
}

function pushUnique(list: string[], value: string | undefined) {
  if (value && !list.includes(value)) list.push(value);
}

/**
 * One summary per domain. `domainOf` maps a report's domain to the configured domain it
 * belongs to (a report about a subdomain counts for its parent); reports are assumed to be
 * ours already (see readReport), anything else is left out.
 */
export function summariseReports(
  reports: readonly AnyReport[],
  domainOf: (name: string) => string | undefined = (name) => name,
): DomainSummary[] {
  const byDomain = new Map<string, DomainSummary>();
  const sources = new Map<string, Map<string, SourceSummary>>();
  const tlsFailures = new Map<string, Map<string, TlsFailureSummary>>();
  const seen = new Set<string>();
  const summaryFor = (name: string) => {
    let s = byDomain.get(name);
    if (!s) byDomain.set(name, (s = empty(name)));
    return s;
  };
  for (const report of reports) {
    const key = reportKey(report);
    if (seen.has(key)) continue;
    seen.add(key);
    const domains = [
      ...new Set(
        reportDomains(report)
          .map(domainOf)
          .filter((d): d is string => !!d),
      ),
    ];
    for (const domain of domains) {
      const summary = summaryFor(domain);
      widen(summary, report.begin, report.end);
      summary.reporters[report.org] = (summary.reporters[report.org] ?? 0) + 1;
      if (report.kind === 'dmarc') {
        summary.dmarcReports += 1;
        let bySource = sources.get(domain);
        if (!bySource) sources.set(domain, (bySource = new Map()));
        for (const r of report.records) {
          let source = bySource.get(r.sourceIp);
          if (!source) {
            source = {
              ip: r.sourceIp,
              messages: 0,
              dmarcPass: 0,
              dkimAligned: 0,
              spfAligned: 0,
              dispositions: {},
              headerFroms: [],
              reporters: [],
            };
            bySource.set(r.sourceIp, source);
          }
          const dkim = r.dkim === 'pass' ? r.count : 0;
          const spf = r.spf === 'pass' ? r.count : 0;
          const pass = r.dkim === 'pass' || r.spf === 'pass' ? r.count : 0;
          source.messages += r.count;
          source.dkimAligned += dkim;
          source.spfAligned += spf;
          source.dmarcPass += pass;
          source.dispositions[r.disposition] = (source.dispositions[r.disposition] ?? 0) + r.count;
          pushUnique(source.headerFroms, r.headerFrom);
          pushUnique(source.reporters, report.org);
          summary.messages += r.count;
          summary.dkimAligned += dkim;
          summary.spfAligned += spf;
          summary.dmarcPass += pass;
        }
      } else {
        summary.tlsReports += 1;
        let byType = tlsFailures.get(domain);
        if (!byType) tlsFailures.set(domain, (byType = new Map()));
        for (const policy of report.policies) {
          if (domainOf(policy.policyDomain) !== domain) continue;
          summary.tls.successful += policy.successful;
          summary.tls.failed += policy.failed;
          for (const f of policy.failures) {
            let entry = byType.get(f.resultType);
            if (!entry)
              byType.set(
                f.resultType,
                (entry = { resultType: f.resultType, sessions: 0, mxHosts: [], sendingIps: [] }),
              );
            entry.sessions += f.failedSessions;
            pushUnique(entry.mxHosts, f.receivingMxHostname);
            pushUnique(entry.sendingIps, f.sendingMtaIp);
          }
        }
      }
    }
  }
  for (const [domain, summary] of byDomain) {
    const failing = (s: SourceSummary) => s.messages - s.dmarcPass;
    summary.sources = [...(sources.get(domain)?.values() ?? [])].sort(
      (a, b) => failing(b) - failing(a) || b.messages - a.messages || a.ip.localeCompare(b.ip),
    );
    summary.tls.failures = [...(tlsFailures.get(domain)?.values() ?? [])].sort(
      (a, b) => b.sessions - a.sessions,
    );
  }
  return [...byDomain.values()].sort((a, b) => a.domain.localeCompare(b.domain));
}

/** `passing / total` as a percentage with one decimal, or undefined when there is nothing. */
export function rate(passing: number, total: number): number | undefined {
  return total === 0 ? undefined : Math.round((passing / total) * 1000) / 10;
}
