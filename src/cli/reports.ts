// mailwright reports: the DMARC and TLS reports kept on a server (reports: keep), read in one
// round trip and summarised per domain — failing sources first.
import { domainKey } from '../core/names';
import { printable, paint, type TextLine } from '../core/printable';
import { resolverLookup, systemLookup } from '../core/dns/lookup';
import { rate, type DomainSummary } from '../core/reports';
import { addReverseNames, readReportStore, summariseStore } from '../core/reports/stored';
import { REVERSE_LIMITS } from '../core/reports/stored';
import { REPORT_STORE_DIR } from '../core/reports/store';
import { ENGLISH } from '../panels/l10n';
import { reportNotices, summaryLine } from '../panels/reports/view';
import type { CommandFn } from './command-types';
import type { ConnectFlags } from './connect';
import { withContext } from './context';
import { checkServer } from './dns';
import { info, out, printJson, UsageError } from './output';

interface ReportsFlags extends ConnectFlags {
  domain?: string;
  json?: boolean;
  resolver?: string[];
  'no-reverse'?: boolean;
}

const pct = (passing: number, total: number) => {
  const r = rate(passing, total);
  return r === undefined ? '-' : `${r}%`;
};

function domainLines(s: DomainSummary): TextLine[] {
  const lines: TextLine[] = [`${s.domain}: ${summaryLine(s, ENGLISH)}`];
  if (s.dmarcReports > 0) {
    lines.push(
      `  ${s.messages} message(s): DMARC pass ${pct(s.dmarcPass, s.messages)}, DKIM aligned ${pct(s.dkimAligned, s.messages)}, SPF aligned ${pct(s.spfAligned, s.messages)}`,
      '  Sources (failing first):',
    );
    for (const src of s.sources) {
      const failing = src.messages - src.dmarcPass;
      const status = failing > 0 ? paint('red', `${failing} failing`) : paint('green', 'passing');
      lines.push([
        `    ${src.ip}${src.reverse ? ` (${src.reverse})` : ''}: ${src.messages} message(s), `,
        status,
        `, DKIM ${pct(src.dkimAligned, src.messages)}, SPF ${pct(src.spfAligned, src.messages)}; From ${src.headerFroms.join(', ')}; reported by ${src.reporters.join(', ')}`,
      ]);
    }
  }
  if (s.tlsReports > 0) {
    lines.push(`  TLS sessions: ${s.tls.successful} successful, ${s.tls.failed} failed`);
    for (const f of s.tls.failures) {
      lines.push([
        '    ',
        paint('red', f.resultType),
        `: ${f.sessions} session(s)${f.mxHosts.length ? ` to ${f.mxHosts.join(', ')}` : ''}${f.sendingIps.length ? ` from ${f.sendingIps.join(', ')}` : ''}`,
      ]);
    }
  }
  return lines;
}

export const reportsCommand: CommandFn = async ({ flags }, signal) => {
  const values = flags as ReportsFlags;
  for (const server of values.resolver ?? []) checkServer(server, '--resolver');
  return withContext(values, async (context) => {
    const t = await context.target();
    const domains = t.host.domains.map((d) => d.name);
    const only = values.domain === undefined ? undefined : domainKey(values.domain);
    if (only !== undefined && !domains.includes(only))
      throw new UsageError(
        `--domain ${values.domain} is not a domain of ${t.host.name} (its domains: ${domains.join(', ')}).`,
      );
    const keeping = t.host.domains.filter((d) => d.reports?.keep);
    if (keeping.length === 0)
      info(
        `No domain of ${t.host.name} keeps its reports: add reports: { keep: true } to a domain in mailwright.yaml and apply. Reports stored before are still shown.`,
      );
    info(`Reading the reports stored in ${REPORT_STORE_DIR} on ${t.host.name}…`);
    const result = summariseStore(await readReportStore(t.conn, signal), domains, only);
    if (!values['no-reverse'] && result.summaries.some((s) => s.sources.length > 0)) {
      const lookup = values.resolver?.length
        ? resolverLookup(values.resolver, { timeoutMs: REVERSE_LIMITS.timeoutMs, tries: 1 })
        : systemLookup({ timeoutMs: REVERSE_LIMITS.timeoutMs, tries: 1 });
      await addReverseNames(result.summaries, lookup, signal);
    }
    if (values.json) {
      printJson(result);
      return 0;
    }
    for (const line of reportNotices(result, ENGLISH)) info(printable(line));
    if (result.summaries.length === 0) {
      out(
        `No reports${only ? ` about ${only}` : ''} in the store of ${t.host.name} (${result.messages} message(s) read).`,
      );
      return 0;
    }
    for (const s of result.summaries) out(...domainLines(s), '');
    return 0;
  });
};
