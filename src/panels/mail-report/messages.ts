// The Mail Report panel's part of the webview protocol (src/panels/protocol.ts), and the report
// it shows: a message analysis ("Analyze Message Source") or a test mail's run (sent → delivered
// → verified, with the SMTP transcript). Both sides import this file. No vscode or node imports.
import type { Check, CheckStatus } from '../../core/checks';
import type { ReceivedHop } from '../../core/analyze/received';
import {
  isCopyMessage,
  isInt,
  isObj,
  isOptStr,
  isStr,
  isStrArray,
  panelProtocol,
  type CopyCommand,
  type HostMessage,
  type WebviewMessage,
} from '../protocol';

/** A stage of a run: waiting, under way, or done with a check status. */
export type StageStatus = 'pending' | 'running' | CheckStatus;

export interface MailReportStage {
  /** "sent", "delivered", "verified", … */
  id: string;
  label: string;
  status: StageStatus;
  durationMs?: number;
  /** One line: "250 2.0.0 queued as 4Xyz", "not delivered after 60 s". */
  detail?: string;
}

/** A labelled fact about the message or the run: From, Subject, server, recipient… */
export interface MailReportFact {
  label: string;
  value: string;
}

/** A button under the report; clicking it calls the opener's onAction with its id. */
export interface MailReportAction {
  id: string;
  label: string;
}

export interface MailReportView {
  version: 1;
  /** What made it: decides nothing but the panel's icon and tests' expectations. */
  kind: 'analysis' | 'test-mail';
  title: string;
  /** "3 passed, 1 warning, 1 failed". */
  summary: string;
  facts: MailReportFact[];
  stages?: MailReportStage[];
  checks: Check[];
  /** The path, first hand-off first. */
  hops?: ReceivedHop[];
  /** The SMTP conversation, line by line ("C: EHLO …", "S: 250 …"). */
  transcript?: string[];
  /** ISO time the report was made. */
  createdAt: string;
  /** True while a run is still under way (stages running). */
  running?: boolean;
  error?: string;
  actions?: MailReportAction[];
}

/** Webview → extension: the commands; the extension answers each with a reply. */
export type MailReportCommand = CopyCommand | { type: 'action'; requestId: number; id: string };

export type MailReportWebviewMessage = WebviewMessage<MailReportCommand>;
export type MailReportHostMessage = HostMessage<MailReportView>;

// ---------------------------------------------------------------- validation

const CHECK_STATUSES: readonly string[] = ['pass', 'warn', 'fail', 'skip'];
const STAGE_STATUSES: readonly string[] = ['pending', 'running', ...CHECK_STATUSES];
/** Copy requests carry evidence, a fix or a transcript; anything longer is not what the panel shows. */
export const MAX_COPY_LENGTH = 256 * 1024;

const isOptNum = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isFinite(v));
const isOptBool = (v: unknown) => v === undefined || typeof v === 'boolean';

function isCheck(v: unknown): v is Check {
  return (
    isObj(v) &&
    isStr(v.id) &&
    isStr(v.title) &&
    CHECK_STATUSES.includes(v.status as string) &&
    isStrArray(v.evidence) &&
    isOptStr(v.fix)
  );
}

function isStage(v: unknown): v is MailReportStage {
  return (
    isObj(v) &&
    isStr(v.id) &&
    isStr(v.label) &&
    STAGE_STATUSES.includes(v.status as string) &&
    isOptNum(v.durationMs) &&
    isOptStr(v.detail)
  );
}

function isHop(v: unknown): v is ReceivedHop {
  return (
    isObj(v) &&
    isInt(v.index) &&
    isOptStr(v.from) &&
    isOptStr(v.fromName) &&
    isOptStr(v.by) &&
    isOptStr(v.ip) &&
    (v.family === undefined || v.family === 'IPv4' || v.family === 'IPv6') &&
    isOptStr(v.protocol) &&
    isOptBool(v.tls) &&
    isOptStr(v.tlsVersion) &&
    isOptStr(v.cipher) &&
    typeof v.local === 'boolean' &&
    isOptStr(v.envelopeFrom) &&
    isOptStr(v.date) &&
    isStr(v.raw)
  );
}

const isList = <T>(v: unknown, item: (x: unknown) => x is T): v is T[] => Array.isArray(v) && v.every(item);

export function isMailReportView(v: unknown): v is MailReportView {
  return (
    isObj(v) &&
    v.version === 1 &&
    (v.kind === 'analysis' || v.kind === 'test-mail') &&
    isStr(v.title) &&
    isStr(v.summary) &&
    isList(v.facts, (f): f is MailReportFact => isObj(f) && isStr(f.label) && isStr(f.value)) &&
    (v.stages === undefined || isList(v.stages, isStage)) &&
    isList(v.checks, isCheck) &&
    (v.hops === undefined || isList(v.hops, isHop)) &&
    (v.transcript === undefined || isStrArray(v.transcript)) &&
    isStr(v.createdAt) &&
    isOptBool(v.running) &&
    isOptStr(v.error) &&
    (v.actions === undefined ||
      isList(v.actions, (a): a is MailReportAction => isObj(a) && isStr(a.id) && isStr(a.label)))
  );
}

export const mailReportProtocol = panelProtocol<MailReportView, MailReportCommand>({
  viewType: 'mailwright.mailReport',
  isState: isMailReportView,
  commands: {
    copy: (m) => isCopyMessage(m, MAX_COPY_LENGTH),
    action: (m) => isStr(m.id),
  },
});

export const MAIL_REPORT_VIEW_TYPE = mailReportProtocol.viewType;
export const { isWebviewMessage: isMailReportWebviewMessage, isHostMessage: isMailReportHostMessage } =
  mailReportProtocol;
