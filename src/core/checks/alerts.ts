// Alerts from the server's own checks: ONE alert when a check starts failing (or gets worse),
// ONE "resolved" when it passes again, never the same alert every run. What was told is kept in
// the state file on the server (CHECK_STATE_PATH); an alert that could not be delivered is not
// recorded, so the next run tries it again. Pure: the runner reads, sends and writes.
import type { Check, CheckStatus } from './index';
import type { ServerCheckReport } from './server';

/** A problem an alert went out for, until a "resolved" goes out. */
export interface OpenProblem {
  status: 'warn' | 'fail';
  title: string;
  fix?: string;
  /** When the alert went out. */
  since: string;
}

export interface CheckState {
  version: 1;
  /** The last run's results: the editor shows them. */
  lastRun?: ServerCheckReport;
  open: Record<string, OpenProblem>;
  /** When each alert was last delivered, newest first (at most ALERT_HISTORY). */
  sent?: SentAlert[];
}

export interface SentAlert {
  kind: Alert['kind'];
  checkId: string;
  title: string;
  status: CheckStatus;
  at: string;
}

export const ALERT_HISTORY = 20;

export interface Alert {
  kind: 'problem' | 'resolved';
  host: string;
  mailHost: string;
  check: Check;
  /** For "resolved": when the problem's alert went out. */
  since?: string;
  at: string;
}

export function emptyCheckState(): CheckState {
  return { version: 1, open: {} };
}

/** The state file's text, read tolerantly: anything unreadable is an empty state (every problem alerts once more). */
export function parseCheckState(text: string | undefined): CheckState {
  if (!text) return emptyCheckState();
  try {
    const value = JSON.parse(text) as Partial<CheckState>;
    if (value?.version !== 1 || typeof value.open !== 'object' || value.open === null)
      return emptyCheckState();
    return {
      version: 1,
      open: value.open,
      ...(value.lastRun && { lastRun: value.lastRun }),
      ...(value.sent && { sent: value.sent }),
    };
  } catch {
    return emptyCheckState();
  }
}

const RANK: Record<CheckStatus, number> = { skip: 0, pass: 1, warn: 2, fail: 3 };

/** The alerts a run owes: new or worse problems, and open problems that now pass (or are no longer checked). */
export function alertsFor(state: CheckState, report: ServerCheckReport): Alert[] {
  const alerts: Alert[] = [];
  const base = { host: report.host, mailHost: report.mailHost, at: report.checkedAt };
  const seen = new Set<string>();
  for (const check of report.checks) {
    seen.add(check.id);
    const open = state.open[check.id];
    if (check.status === 'warn' || check.status === 'fail') {
      if (!open || RANK[check.status] > RANK[open.status]) alerts.push({ ...base, kind: 'problem', check });
    } else if (check.status === 'pass' && open) {
      alerts.push({ ...base, kind: 'resolved', check, since: open.since });
    }
  }
  for (const [id, open] of Object.entries(state.open)) {
    if (seen.has(id)) continue;
    alerts.push({
      ...base,
      kind: 'resolved',
      since: open.since,
      check: { id, title: open.title, status: 'skip', evidence: ['This check no longer runs.'] },
    });
  }
  return alerts;
}

/** The state after a run: its results, and the alerts that were delivered (the others are owed still). */
export function nextCheckState(
  state: CheckState,
  report: ServerCheckReport,
  delivered: readonly Alert[],
): CheckState {
  const open: Record<string, OpenProblem> = { ...state.open };
  for (const alert of delivered) {
    const { check } = alert;
    if (alert.kind === 'resolved') delete open[check.id];
    else if (check.status === 'warn' || check.status === 'fail')
      open[check.id] = {
        status: check.status,
        title: check.title,
        ...(check.fix && { fix: check.fix }),
        since: alert.at,
      };
  }
  // A problem that got better but is not gone stays open without a new alert.
  for (const check of report.checks) {
    const entry = open[check.id];
    if (entry && check.status === 'warn' && entry.status === 'fail')
      open[check.id] = { ...entry, status: 'warn' };
  }
  const sent = [
    ...delivered.map((a): SentAlert => ({
      kind: a.kind,
      checkId: a.check.id,
      title: a.check.title,
      status: a.check.status,
      at: a.at,
    })),
    ...(state.sent ?? []),
  ].slice(0, ALERT_HISTORY);
  return { version: 1, lastRun: report, open, ...(sent.length > 0 && { sent }) };
}
