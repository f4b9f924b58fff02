// From the DNS core's vocabulary (expected records, findings) to what the tree and the panel
// show: rows, a one-line summary, an icon per status. Pure, no vscode import: unit-tested, and the
// DNS panel's webview uses it too (hence the L10n parameter instead of vscode.l10n).
import type { DnsReport, ExpectedRecord, Finding } from '../../core/dns/model';
import type { L10n } from '../l10n';
import type { DnsRowView, RowStatus } from './messages';

/** Expected records before any check: every row "unchecked". */
export function uncheckedRows(expected: readonly ExpectedRecord[]): DnsRowView[] {
  return expected.map((r) => ({
    id: r.id,
    kind: r.kind,
    type: r.type,
    name: r.name,
    status: 'unchecked',
    severity: r.required ? 'error' : 'warning',
    expected: r.value,
    found: [],
    notes: [r.purpose, ...(r.details ?? [])],
    publishedAt: r.publishedAt,
  }));
}

/** The report's findings, with each expected record's purpose and where it is set added. */
export function reportRows(report: DnsReport, expected: readonly ExpectedRecord[] = []): DnsRowView[] {
  const byId = new Map(expected.map((r) => [r.id, r]));
  return report.findings.map((f: Finding) => {
    const e = byId.get(f.id);
    return {
      id: f.id,
      kind: f.kind,
      type: f.type,
      name: f.name,
      status: f.status,
      severity: f.severity,
      expected: f.expected,
      found: [...f.found],
      fix: f.fix,
      notes: e && !f.notes.includes(e.purpose) ? [e.purpose, ...f.notes] : [...f.notes],
      publishedAt: e?.publishedAt,
    };
  });
}

/** Is this row something the user must (error) or may (warning) act on? */
export function needsFix(row: Pick<DnsRowView, 'status' | 'severity'>): 'error' | 'warning' | undefined {
  if (row.status === 'ok' || row.status === 'unchecked' || row.status === 'not-checkable') return undefined;
  return row.severity === 'error' ? 'error' : 'warning';
}

/** "7 ok, 2 to fix, 1 warning, 3 not checkable"; before a check: "6 records, not checked". */
export function summarize(rows: readonly Pick<DnsRowView, 'status' | 'severity'>[], l10n: L10n): string {
  if (rows.length === 0) return l10n.t('no records');
  if (rows.every((r) => r.status === 'unchecked'))
    return rows.length === 1
      ? l10n.t('{0} record, not checked', rows.length)
      : l10n.t('{0} records, not checked', rows.length);
  const ok = rows.filter((r) => r.status === 'ok').length;
  const errors = rows.filter((r) => needsFix(r) === 'error').length;
  const warnings = rows.filter((r) => needsFix(r) === 'warning').length;
  const unknown = rows.filter((r) => r.status === 'not-checkable').length;
  const parts = [l10n.t('{0} ok', ok)];
  if (errors) parts.push(l10n.t('{0} to fix', errors));
  if (warnings)
    parts.push(warnings === 1 ? l10n.t('{0} warning', warnings) : l10n.t('{0} warnings', warnings));
  if (unknown) parts.push(l10n.t('{0} not checkable', unknown));
  // The list separator is the translation's too.
  return parts.reduce((list, part) => l10n.t('{0}, {1}', list, part));
}

export interface RowIcon {
  /** A codicon id. */
  icon: string;
  /** A theme color id, when the icon is coloured. */
  color?: string;
}

/** ok → pass, a required record missing/wrong → error, recommended or extra → warning, unknown → question. */
export function iconFor(row: Pick<DnsRowView, 'status' | 'severity'>): RowIcon {
  if (row.status === 'unchecked') return { icon: 'circle-large-outline' };
  if (row.status === 'ok') return { icon: 'pass', color: 'testing.iconPassed' };
  if (row.status === 'not-checkable') return { icon: 'question', color: 'charts.blue' };
  return needsFix(row) === 'error'
    ? { icon: 'error', color: 'testing.iconFailed' }
    : { icon: 'warning', color: 'charts.yellow' };
}

export function statusLabel(status: RowStatus, l10n: L10n): string {
  switch (status) {
    case 'ok':
      return l10n.t('ok');
    case 'missing':
      return l10n.t('missing');
    case 'wrong':
      return l10n.t('wrong');
    case 'extra':
      return l10n.t('extra');
    case 'not-checkable':
      return l10n.t('not checkable');
    case 'self-signed':
      return l10n.t('self-signed');
    case 'unchecked':
      return l10n.t('not checked');
  }
}

/**
 * The label of a row in the tree: "MX", "SPF (TXT)", "DKIM mw2025 (TXT)", "Reverse DNS 198.51.100.2".
 * Record types and protocol names stay as they are in every language.
 */
export function rowLabel(row: Pick<DnsRowView, 'id' | 'kind' | 'type' | 'name'>, l10n: L10n): string {
  const kind = row.kind;
  const type = row.type ?? '';
  const suffix = row.id.includes(':') ? row.id.slice(row.id.indexOf(':') + 1) : '';
  switch (kind) {
    case 'a':
    case 'aaaa':
      return suffix ? `${type} ${suffix}` : type;
    case 'mx':
      return 'MX';
    case 'spf':
      return 'SPF (TXT)';
    case 'spf-include':
      return l10n.t('SPF include (TXT)');
    case 'dkim':
      return suffix ? `DKIM ${suffix} (TXT)` : 'DKIM (TXT)';
    case 'dmarc':
      return 'DMARC (TXT)';
    case 'ptr':
      return suffix ? l10n.t('Reverse DNS {0}', suffix) : l10n.t('Reverse DNS (PTR)');
    case 'mta-sts':
      return 'MTA-STS (TXT)';
    case 'tls-rpt':
      return 'TLS-RPT (TXT)';
    case 'caa':
      return 'CAA';
    case 'tlsa':
      // A key rollover's second record: the next key (before the switch) or the previous one.
      return suffix === 'next'
        ? l10n.t('DANE (TLSA), next key')
        : suffix === 'previous'
          ? l10n.t('DANE (TLSA), previous key')
          : 'DANE (TLSA)';
    case 'reachability':
      return l10n.t('Reachability {0}', suffix || row.name).trim();
    case 'dnsbl':
      return l10n.t('Blocklist {0}', suffix || row.name).trim();
    default:
      return type ? `${type} ${row.name}` : row.name;
  }
}

/** Plain-text tooltip lines: found, expected, fix, explanations. */
export function tooltipLines(row: DnsRowView, l10n: L10n): string[] {
  const lines = [l10n.t('{0} — {1}: {2}', rowLabel(row, l10n), row.name, statusLabel(row.status, l10n))];
  if (row.status !== 'unchecked')
    lines.push(l10n.t('Found: {0}', row.found.length ? row.found.join(' | ') : l10n.t('nothing')));
  if (row.expected !== undefined) lines.push(l10n.t('Expected: {0}', row.expected));
  if (row.fix) lines.push(l10n.t('Fix: {0}', row.fix));
  if (row.publishedAt === 'reverse')
    lines.push(l10n.t("Set at the VPS provider's reverse-DNS page, not in the domain's zone."));
  lines.push(...row.notes);
  return lines;
}
