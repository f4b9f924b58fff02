// The dashboard's state as pure functions: a plan becomes a view, apply events fold into it.
// The host keeps this state and sends it whole; no vscode import, so it is unit-tested. Its
// texts come translated (the panel passes vscode.l10n); plan titles, reasons and errors come
// from src/core, in English.
import type { ApplyEvent, Plan } from '../../core/plan/types';
import type { ExpectedRecord } from '../../core/dns/model';
import type { L10n } from '../l10n';
import type { ActionView, DashboardState, DnsRecordView, SummaryView } from './messages';

/** Output kept per action: a chatty apt run must not grow the panel (or its saved state) without end. */
export const MAX_OUTPUT_LINES = 200;
/** One line longer than this is cut: a minified blob in the output is not worth keeping. */
export const MAX_LINE_LENGTH = 500;

export function gatheringState(hostName: string, target: string, l10n: L10n): DashboardState {
  return {
    version: 1,
    hostName,
    target,
    phase: 'gathering',
    progress: l10n.t('Connecting…'),
    actions: [],
    notes: [],
  };
}

export function plannedState(base: DashboardState, plan: Plan, l10n: L10n): DashboardState {
  return {
    ...base,
    phase: 'planned',
    os: plan.facts.os.prettyName,
    progress: plan.actions.length
      ? l10n.t('{0} step(s) to apply', plan.actions.length)
      : l10n.t('Nothing to do'),
    fraction: undefined,
    error: undefined,
    summary: undefined,
    notes: [...plan.notes],
    actions: plan.actions.map((a): ActionView => ({
      id: a.id,
      title: a.title,
      reason: a.reason,
      drift: a.drift ? { path: a.drift.path, diff: a.drift.diff } : undefined,
      status: 'pending',
      output: [],
      dropped: 0,
    })),
  };
}

/** Before a (re)run from `from`: that action and the later ones are pending again. */
export function applyingState(state: DashboardState, l10n: L10n, from?: string): DashboardState {
  const start = from
    ? Math.max(
        0,
        state.actions.findIndex((a) => a.id === from),
      )
    : 0;
  return {
    ...state,
    phase: 'applying',
    progress: l10n.t('Starting…'),
    fraction: 0,
    error: undefined,
    summary: undefined,
    actions: state.actions.map((a, i) =>
      i < start
        ? a
        : { ...a, status: 'pending', output: [], dropped: 0, error: undefined, skippedReason: undefined },
    ),
  };
}

function appendLine(a: ActionView, line: string): ActionView {
  const cut = line.length > MAX_LINE_LENGTH ? line.slice(0, MAX_LINE_LENGTH) + '…' : line;
  const output = [...a.output, cut];
  const over = output.length - MAX_OUTPUT_LINES;
  return over > 0 ? { ...a, output: output.slice(over), dropped: a.dropped + over } : { ...a, output };
}

export function reduceEvent(state: DashboardState, e: ApplyEvent, l10n: L10n): DashboardState {
  const update = (id: string, f: (a: ActionView) => ActionView): DashboardState => ({
    ...state,
    actions: state.actions.map((a) => (a.id === id ? f(a) : a)),
  });
  switch (e.type) {
    case 'action-start':
      return {
        ...update(e.id, (a) => ({ ...a, status: 'running' })),
        progress: l10n.t('Step {0} of {1}: {2}', e.index + 1, e.total, e.title),
        fraction: e.index / e.total,
      };
    case 'output':
      return update(e.id, (a) => appendLine(a, e.line));
    case 'action-done':
      return update(e.id, (a) => ({ ...a, status: 'done' }));
    case 'action-skipped':
      return update(e.id, (a) => ({ ...a, status: 'skipped', skippedReason: e.reason }));
    case 'action-failed':
      return update(e.id, (a) => ({
        ...a,
        status: 'failed',
        error: { message: e.message, hint: e.hint, restored: e.restored },
      }));
    case 'run-done':
      return {
        ...state,
        phase: 'done',
        progress: l10n.t('Applied {0} step(s)', e.applied.length),
        fraction: 1,
      };
    case 'run-failed':
      return {
        ...state,
        phase: 'failed',
        progress: l10n.t('Stopped at a failed step'),
        fraction: undefined,
      };
    case 'run-cancelled':
      return {
        ...state,
        phase: 'cancelled',
        progress: l10n.t('Cancelled: the files of the interrupted step were put back'),
        fraction: undefined,
      };
  }
}

/**
 * A state saved before VS Code reloaded. A run lives in the extension host, which is gone:
 * whatever was running is marked as interrupted, and the user is offered a new plan.
 */
export function restoredState(saved: DashboardState, l10n: L10n): DashboardState {
  const busy = saved.phase === 'gathering' || saved.phase === 'applying' || saved.phase === 'planned';
  if (!busy) return saved;
  return {
    ...saved,
    phase: 'interrupted',
    progress:
      saved.phase === 'applying'
        ? l10n.t('VS Code reloaded during the run: it stopped there. Plan again to see what is left.')
        : l10n.t('VS Code reloaded: plan again before applying.'),
    fraction: undefined,
    actions: saved.actions.map((a) => (a.status === 'running' ? { ...a, status: 'pending' } : a)),
  };
}

/**
 * What to do after a run: the DNS records to publish (the zone's, with their values) and the
 * reverse DNS to ask the VPS provider for (one per address, whatever the number of domains).
 */
export function nextSteps(
  records: readonly ExpectedRecord[],
  l10n: L10n,
): Pick<SummaryView, 'dns' | 'reverseDns'> {
  const dns = records
    .filter((r) => r.publishedAt === 'zone')
    .map((r): DnsRecordView => ({
      type: r.type,
      name: r.name,
      value: r.value,
      ...(!r.required && { note: l10n.t('recommended') }),
    }));
  const reverseDns = new Map<string, string>();
  for (const r of records) if (r.kind === 'ptr') reverseDns.set(r.id.replace(/^ptr:/, ''), r.value);
  return { dns, reverseDns: [...reverseDns].map(([address, name]) => ({ address, name })) };
}

/** A run's length as people say it: "12 s", "1 min 12 s", "1 h 5 min". */
export function formatDuration(ms: number, l10n: L10n): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(seconds / 3600);
  const min = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return l10n.t('{0} h {1} min', h, min);
  if (min > 0) return l10n.t('{0} min {1} s', min, s);
  return l10n.t('{0} s', s);
}

/**
 * What the notification says when a run ends (the dashboard may be hidden by then): undefined
 * while it has not ended.
 */
export function runEndNotice(
  state: DashboardState,
  mailHost: string,
  ms: number,
  l10n: L10n,
): { severity: 'info' | 'warning' | 'error'; message: string } | undefined {
  switch (state.phase) {
    case 'done':
      return {
        severity: 'info',
        message: l10n.t('Provisioned {0} in {1}.', mailHost, formatDuration(ms, l10n)),
      };
    case 'failed': {
      const failed = state.actions.find((a) => a.status === 'failed');
      const why = failed?.error?.message ?? state.error ?? '';
      return {
        severity: 'error',
        message: failed
          ? l10n.t('Provisioning {0} failed at step "{1}": {2}', mailHost, failed.title, why)
          : l10n.t('Provisioning {0} failed: {1}', mailHost, why),
      };
    }
    case 'cancelled':
      return {
        severity: 'warning',
        message: l10n.t('Provisioning {0} was cancelled; the interrupted step was put back.', mailHost),
      };
    default:
      return undefined;
  }
}
