// The Mail Report's texts and the report of a message analysis. Pure: the extension and the
// webview both run it, with vscode.l10n or the page's translator.
import type { MessageAnalysis } from '../../core/analyze/analyze';
import { countStatuses, type Check } from '../../core/checks';
import type { L10n } from '../l10n';
import type { MailReportView, StageStatus } from './messages';

/** "5 passed, 1 warning(s), 1 failed, 2 not judged". */
export function checksSummary(checks: readonly Pick<Check, 'status'>[], l10n: L10n): string {
  const c = countStatuses(checks);
  return l10n.t('{0} passed, {1} warning(s), {2} failed, {3} not judged', c.pass, c.warn, c.fail, c.skip);
}

export function statusLabel(status: StageStatus, l10n: L10n): string {
  switch (status) {
    case 'pass':
      return l10n.t('pass');
    case 'warn':
      return l10n.t('warning');
    case 'fail':
      return l10n.t('fail');
    case 'skip':
      return l10n.t('not judged');
    case 'pending':
      return l10n.t('waiting');
    case 'running':
      return l10n.t('running');
  }
}

/** The report of "Analyze Message Source": `source` names where the message came from. */
export function analysisView(
  analysis: MessageAnalysis,
  source: string,
  l10n: L10n,
  now: Date = new Date(),
): MailReportView {
  const facts = [
    { label: l10n.t('Source'), value: source },
    ...(analysis.from ? [{ label: l10n.t('From'), value: analysis.from }] : []),
    ...(analysis.subject !== undefined ? [{ label: l10n.t('Subject'), value: analysis.subject }] : []),
    ...(analysis.date ? [{ label: l10n.t('Date'), value: analysis.date }] : []),
    ...(analysis.messageId ? [{ label: l10n.t('Message-ID'), value: analysis.messageId }] : []),
  ];
  return {
    version: 1,
    kind: 'analysis',
    title: l10n.t('Message analysis'),
    summary: checksSummary(analysis.checks, l10n),
    facts,
    checks: analysis.checks,
    hops: analysis.hops,
    createdAt: now.toISOString(),
    actions: [{ id: 'analyze-again', label: l10n.t('Analyze again') }],
  };
}
