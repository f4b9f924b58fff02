// The dashboard panel's part of the webview protocol (src/panels/protocol.ts): its state, its
// commands and their checks. Both sides import this file. No vscode or node imports.
// The summary's Copy buttons copy DNS names and values, as the DNS Records table does.
import { MAX_COPY_LENGTH } from '../dns/messages';
import {
  isCopyMessage,
  isInt,
  isObj,
  isOptStr,
  isStr,
  isStrArray,
  panelProtocol,
  type CopyCommand,
  type HostMessage as PanelHostMessage,
  type WebviewMessage as PanelWebviewMessage,
} from '../protocol';

export type DriftDecision = 'keep' | 'overwrite';

export type ActionStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export type Phase =
  | 'gathering' // connecting and reading facts
  | 'planned' // plan shown, waiting for Apply
  | 'applying'
  | 'done'
  | 'failed' // an action failed: rerun from it
  | 'cancelled'
  | 'error' // planning itself failed
  | 'interrupted'; // restored after VS Code reloaded: nothing is running any more

export interface ActionView {
  id: string;
  title: string;
  reason: string;
  drift?: { path: string; diff: string };
  status: ActionStatus;
  /** The last output lines (bounded); `dropped` counts the older ones let go. */
  output: string[];
  dropped: number;
  skippedReason?: string;
  error?: { message: string; hint?: string; restored: string[] };
}

export interface DnsRecordView {
  /** A, AAAA, MX, TXT, CAA. */
  type: string;
  name: string;
  /** Absent when it could not be worked out (the note says why). */
  value?: string;
  /** "recommended" for the optional extras, or why there is no value. */
  note?: string;
}

export interface SummaryView {
  applied: number;
  changedFiles: string[];
  commit?: string;
  commitNote?: string;
  dns: DnsRecordView[];
  reverseDns: { address: string; name: string }[];
}

export interface DashboardState {
  version: 1;
  hostName: string;
  target: string;
  os?: string;
  phase: Phase;
  /** Short line under the title: "Connecting…", "Step 3 of 9: …". */
  progress?: string;
  /** 0..1 while applying. */
  fraction?: number;
  actions: ActionView[];
  notes: string[];
  error?: string;
  summary?: SummaryView;
}

/** Webview → extension: the commands; the extension answers each with a reply. */
export type DashboardCommand =
  | { type: 'apply'; requestId: number; decisions: Record<string, DriftDecision> }
  | { type: 'cancel'; requestId: number }
  | { type: 'rerun'; requestId: number; from: string; decisions: Record<string, DriftDecision> }
  | { type: 'replan'; requestId: number }
  | CopyCommand;

export type WebviewMessage = PanelWebviewMessage<DashboardCommand>;

/** Extension → webview: the whole state (an event stream folded on the host side), or a reply. */
export type HostMessage = PanelHostMessage<DashboardState>;

// ---------------------------------------------------------------- validation

const PHASES: readonly Phase[] = [
  'gathering',
  'planned',
  'applying',
  'done',
  'failed',
  'cancelled',
  'error',
  'interrupted',
];
const STATUSES: readonly ActionStatus[] = ['pending', 'running', 'done', 'failed', 'skipped'];

export function isDecisions(v: unknown): v is Record<string, DriftDecision> {
  return isObj(v) && Object.values(v).every((d) => d === 'keep' || d === 'overwrite');
}

function isActionView(v: unknown): v is ActionView {
  if (!isObj(v)) return false;
  const driftOk = v.drift === undefined || (isObj(v.drift) && isStr(v.drift.path) && isStr(v.drift.diff));
  const errorOk =
    v.error === undefined ||
    (isObj(v.error) && isStr(v.error.message) && isOptStr(v.error.hint) && isStrArray(v.error.restored));
  return (
    isStr(v.id) &&
    isStr(v.title) &&
    isStr(v.reason) &&
    STATUSES.includes(v.status as ActionStatus) &&
    isStrArray(v.output) &&
    isInt(v.dropped) &&
    isOptStr(v.skippedReason) &&
    driftOk &&
    errorOk
  );
}

function isSummary(v: unknown): v is SummaryView {
  return (
    isObj(v) &&
    isInt(v.applied) &&
    isStrArray(v.changedFiles) &&
    isOptStr(v.commit) &&
    isOptStr(v.commitNote) &&
    Array.isArray(v.dns) &&
    v.dns.every((r) => isObj(r) && isStr(r.type) && isStr(r.name) && isOptStr(r.value) && isOptStr(r.note)) &&
    Array.isArray(v.reverseDns) &&
    v.reverseDns.every((r) => isObj(r) && isStr(r.address) && isStr(r.name))
  );
}

export function isDashboardState(v: unknown): v is DashboardState {
  return (
    isObj(v) &&
    v.version === 1 &&
    isStr(v.hostName) &&
    isStr(v.target) &&
    isOptStr(v.os) &&
    PHASES.includes(v.phase as Phase) &&
    isOptStr(v.progress) &&
    (v.fraction === undefined || typeof v.fraction === 'number') &&
    Array.isArray(v.actions) &&
    v.actions.every(isActionView) &&
    isStrArray(v.notes) &&
    isOptStr(v.error) &&
    (v.summary === undefined || isSummary(v.summary))
  );
}

/** What the webview keeps with setState (and VS Code hands back to the serializer after a reload). */
export interface SavedWebviewState {
  state: DashboardState;
  decisions: Record<string, DriftDecision>;
}

export function isSavedWebviewState(v: unknown): v is SavedWebviewState {
  return isObj(v) && isDashboardState(v.state) && isDecisions(v.decisions);
}

export const dashboardProtocol = panelProtocol<DashboardState, DashboardCommand>({
  viewType: 'mailwright.dashboard',
  isState: isDashboardState,
  commands: {
    apply: (m) => isDecisions(m.decisions),
    cancel: () => true,
    rerun: (m) => isStr(m.from) && isDecisions(m.decisions),
    replan: () => true,
    copy: (m) => isCopyMessage(m, MAX_COPY_LENGTH),
  },
});

export const VIEW_TYPE = dashboardProtocol.viewType;
export const { isWebviewMessage, isHostMessage } = dashboardProtocol;
