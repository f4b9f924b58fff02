// What the Reports panel shows of a domain's stored reports, and the notices about what was not
// counted (the command line prints the same notices in English). Pure: the texts come from an
// L10n (vscode.l10n in the extension, ENGLISH for the command line).
import { rate } from '../../core/reports/summary';
import type { DomainSummary } from '../../core/reports/summary';
import type { StoredReports } from '../../core/reports/stored';
import type { L10n } from '../l10n';
import type { ReportsView } from './messages';

const percent = (passing: number, total: number) => {
  const r = rate(passing, total);
  return r === undefined ? '-' : `${r}%`;
};

const day = (d: Date | undefined) => (d ? new Date(d).toISOString().slice(0, 10) : '?');

/** Each message or report not counted, each message not read, with the reason. */
export function reportNotices(result: StoredReports, l10n: L10n): string[] {
  const lines = result.setAside.map((a) => l10n.t('Not counted: {0}: {1}', a.name, a.message));
  for (const t of result.tooLarge)
    lines.push(l10n.t('Not read: {0} is {1} bytes, larger than a report can be.', t.name, t.size));
  if (result.skipped.length > 0)
    lines.push(
      l10n.t(
        'Not read: {0} older message(s), beyond what one read fetches; lower reports.retentionDays to keep fewer.',
        result.skipped.length,
      ),
    );
  for (const [domain, count] of Object.entries(result.dropped))
    lines.push(
      l10n.t('The store did not keep {0} message(s) for {1}: larger than a report can be.', count, domain),
    );
  return lines;
}

/** The one-line summary of a domain's reports. */
export function summaryLine(s: DomainSummary, l10n: L10n): string {
  return l10n.t(
    '{0} DMARC report(s), {1} TLS report(s), {2} to {3}, from {4}',
    s.dmarcReports,
    s.tlsReports,
    day(s.from),
    day(s.to),
    Object.keys(s.reporters).join(', ') || '-',
  );
}

export function loadingView(host: string, domain: string, l10n: L10n): ReportsView {
  return {
    version: 1,
    host,
    domain,
    title: l10n.t('Reports: {0}', domain),
    status: 'loading',
    totals: [],
    sources: [],
    tlsFailures: [],
    notices: [],
  };
}

export function errorView(host: string, domain: string, error: string, l10n: L10n): ReportsView {
  return { ...loadingView(host, domain, l10n), status: 'error', error };
}

/** The panel's view of one domain from what the store holds. */
export function reportsView(host: string, domain: string, result: StoredReports, l10n: L10n): ReportsView {
  const s = result.summaries.find((x) => x.domain === domain);
  const view: ReportsView = {
    ...loadingView(host, domain, l10n),
    status: 'ready',
    notices: reportNotices(result, l10n),
  };
  if (!s) return { ...view, summary: l10n.t('No reports about {0} in the store yet.', domain) };
  return {
    ...view,
    summary: summaryLine(s, l10n),
    totals:
      s.dmarcReports > 0
        ? [
            { label: l10n.t('Messages'), value: String(s.messages) },
            { label: l10n.t('DMARC pass'), value: percent(s.dmarcPass, s.messages) },
            { label: l10n.t('DKIM aligned'), value: percent(s.dkimAligned, s.messages) },
            { label: l10n.t('SPF aligned'), value: percent(s.spfAligned, s.messages) },
          ]
        : [],
    sources: s.sources.map((x) => ({
      ip: x.ip,
      ...(x.reverse && { reverse: x.reverse }),
      messages: x.messages,
      failing: x.messages - x.dmarcPass,
      dkim: percent(x.dkimAligned, x.messages),
      spf: percent(x.spfAligned, x.messages),
      headerFroms: x.headerFroms.join(', '),
      reporters: x.reporters.join(', '),
    })),
    ...(s.tlsReports > 0 && {
      tls: l10n.t('{0} successful, {1} failed', s.tls.successful, s.tls.failed),
    }),
    tlsFailures: s.tls.failures.map((f) => ({
      resultType: f.resultType,
      sessions: f.sessions,
      mxHosts: f.mxHosts.join(', '),
      sendingIps: f.sendingIps.join(', '),
    })),
  };
}
