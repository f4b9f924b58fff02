// The one protocol between the dashboard panel (extension host) and its webview. Both sides
// import this file, and both validate what they receive: a webview is another process, and a
// restored panel hands back whatever state an older version saved. No vscode or node imports.
// The summary's Copy buttons copy DNS names and values, as the DNS Records table does.
import { MAX_COPY_LENGTH } from '../dns/messages';
import {
  isCopyMessage,
  isInt,
  isObj,
  isOptStr,
  isStr,
  isStrArray,
  type CopyMessage,
} from '../message-guards';

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

/** Webview → extension. Commands carry a requestId; the extension answers with a reply. */
export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'apply'; requestId: number; decisions: Record<string, DriftDecision> }
  | { type: 'cancel'; requestId: number }
  | { type: 'rerun'; requestId: number; from: string; decisions: Record<string, DriftDecision> }
  | { type: 'replan'; requestId: number }
  | CopyMessage;

/** Extension → webview: the whole state (an event stream folded on the host side), or a reply. */
export type HostMessage =
  | { type: 'state'; state: DashboardState }
  | { type: 'reply'; requestId: number; ok: boolean; error?: string };

export const VIEW_TYPE = 'mailwright.dashboard';

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

export function isWebviewMessage(v: unknown): v is WebviewMessage {
  if (!isObj(v)) return false;
  switch (v.type) {
    case 'ready':
      return true;
    case 'cancel':
    case 'replan':
      return isInt(v.requestId);
    case 'apply':
      return isInt(v.requestId) && isDecisions(v.decisions);
    case 'rerun':
      return isInt(v.requestId) && isStr(v.from) && isDecisions(v.decisions);
    case 'copy':
      return isCopyMessage(v, MAX_COPY_LENGTH);
    default:
      return false;
  }
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

export function isHostMessage(v: unknown): v is HostMessage {
  if (!isObj(v)) return false;
  if (v.type === 'state') return isDashboardState(v.state);
  if (v.type === 'reply') return isInt(v.requestId) && typeof v.ok === 'boolean' && isOptStr(v.error);
  return false;
}

/** What the webview keeps with setState (and VS Code hands back to the serializer after a reload). */
export interface SavedWebviewState {
  state: DashboardState;
  decisions: Record<string, DriftDecision>;
}

export function isSavedWebviewState(v: unknown): v is SavedWebviewState {
  return isObj(v) && isDashboardState(v.state) && isDecisions(v.decisions);
}
