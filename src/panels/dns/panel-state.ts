// The DNS panel's state as a pure function of the cached DNS entry and the panel's own
// publish step; no vscode import, so it is unit-tested.
import type { DomainConfig, HostConfig } from '../../core/config';
import type { DnsReport, ExpectedRecord } from '../../core/dns/model';
import type { L10n } from '../l10n';
import type { DnsPanelState, DnsPhase, DnsRowView, PublishChangeView } from './messages';
import { reportRows, summarize, uncheckedRows } from './rows';

export interface DnsEntryView {
  expected?: ExpectedRecord[];
  expectedLoading?: boolean;
  expectedError?: string;
  report?: DnsReport;
  checking?: boolean;
  checkError?: string;
}

/**
 * The rows of a domain: the last check's findings (kept with their time until the next check),
 * and the expected records it has no finding for — added or changed in mailwright.yaml since —
 * not checked.
 */
export function entryRows(entry: DnsEntryView | undefined): DnsRowView[] {
  if (!entry) return [];
  if (!entry.report) return entry.expected ? uncheckedRows(entry.expected) : [];
  const checked = new Set(entry.report.findings.map((f) => f.id));
  const unchecked = (entry.expected ?? []).filter((r) => !checked.has(r.id));
  return [...reportRows(entry.report, entry.expected), ...uncheckedRows(unchecked)];
}

/**
 * What of mailwright.yaml a domain's DNS records are made from: the host (not its other domains),
 * the domain without its users and aliases, and the other hosts serving it. Equal text, same records.
 */
export function dnsInputs(host: HostConfig, domain: DomainConfig, fleet: readonly HostConfig[]): string {
  const peers = fleet
    .filter((h) => h.name !== host.name && h.domains.some((d) => d.name === domain.name))
    .map((h) => [h.name, h.mailHost]);
  return JSON.stringify({
    server: { ...host, domains: undefined },
    records: { ...domain, users: undefined, aliases: undefined },
    peers,
  });
}

/**
 * The last report after the expected records were read again (mailwright.yaml changed): the
 * findings of records that are still expected with the same name, type and value stay, with the
 * report's time; those of changed or dropped records go. Findings that are no expected record of
 * their own (reachability, blocklists, an extra MX) stay. Undefined when nothing is left.
 */
export function keptReport(
  report: DnsReport,
  before: readonly ExpectedRecord[] | undefined,
  after: readonly ExpectedRecord[],
): DnsReport | undefined {
  const was = new Map((before ?? []).map((r) => [r.id, r]));
  const now = new Map(after.map((r) => [r.id, r]));
  const findings = report.findings.filter((f) => {
    const old = was.get(f.id);
    // Not an expected record of its own (reachability, blocklists, an extra MX): it stays.
    if (!old) return !now.has(f.id);
    const next = now.get(f.id);
    return (
      next !== undefined &&
      next.type === old.type &&
      next.name === old.name &&
      next.value === old.value &&
      next.required === old.required
    );
  });
  return findings.length > 0 ? { ...report, findings } : undefined;
}

/** What only the panel knows: the publish dry run and its outcome. */
export interface PublishStep {
  phase: 'planning' | 'planned' | 'publishing' | 'published';
  changes?: PublishChangeView[];
  notes?: string[];
  error?: string;
  message?: string;
}

export interface PanelIdentity {
  hostName: string;
  domain: string;
  mailHost: string;
  provider?: string;
}

export function panelState(
  id: PanelIdentity,
  entry: DnsEntryView | undefined,
  l10n: L10n,
  publish?: PublishStep,
): DnsPanelState {
  const rows = entryRows(entry);
  let phase: DnsPhase;
  if (entry?.checking) phase = 'checking';
  else if (publish) phase = publish.phase;
  else if (entry?.report) phase = 'checked';
  else if (entry?.checkError || entry?.expectedError) phase = 'error';
  else if (entry?.expected) phase = 'unchecked';
  else phase = 'loading';
  return {
    version: 1,
    ...id,
    phase,
    summary: summarize(rows, l10n),
    checkedAt: entry?.report?.checkedAt,
    durationMs: entry?.report?.durationMs,
    rows,
    notices: entry?.report?.notices,
    error: publish?.error ?? entry?.checkError ?? entry?.expectedError,
    publish: publish?.changes ? { changes: publish.changes, notes: publish.notes ?? [] } : undefined,
    message: publish?.message,
  };
}

/** Changes that write something (a "keep" is shown but changes nothing). */
export function writesOf(changes: readonly PublishChangeView[]): PublishChangeView[] {
  return changes.filter((c) => c.op !== 'keep');
}
