// The DNS panel's state as a pure function of the cached DNS entry and the panel's own
// publish step; no vscode import, so it is unit-tested.
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
  const rows: DnsRowView[] = entry?.report
    ? reportRows(entry.report, entry.expected)
    : entry?.expected
      ? uncheckedRows(entry.expected)
      : [];
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
    error: publish?.error ?? entry?.checkError ?? entry?.expectedError,
    publish: publish?.changes ? { changes: publish.changes, notes: publish.notes ?? [] } : undefined,
    message: publish?.message,
  };
}

/** Changes that write something (a "keep" is shown but changes nothing). */
export function writesOf(changes: readonly PublishChangeView[]): PublishChangeView[] {
  return changes.filter((c) => c.op !== 'keep');
}
