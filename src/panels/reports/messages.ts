// The Reports panel's part of the webview protocol (src/panels/protocol.ts), and what it shows: the
// DMARC and TLS reports a server kept about one domain, summarised (src/core/reports). Both sides
// import this file. No vscode or node imports.
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

export const REPORTS_VIEW_TYPE = 'mailwright.reports';

/** One sending source: failing ones first. */
export interface ReportsSourceRow {
  ip: string;
  /** Its reverse (PTR) name, when it has one. */
  reverse?: string;
  messages: number;
  failing: number;
  /** "100%", "-". */
  dkim: string;
  spf: string;
  /** From domains and reporters, joined. */
  headerFroms: string;
  reporters: string;
}

export interface ReportsTlsRow {
  resultType: string;
  sessions: number;
  mxHosts: string;
  sendingIps: string;
}

export interface ReportsView {
  version: 1;
  host: string;
  domain: string;
  title: string;
  status: 'loading' | 'ready' | 'error';
  /** Why it failed (status error). */
  error?: string;
  /** One line: "2 DMARC reports, 1 TLS report, 2026-12-01 to 2026-12-06, from google.com, …". */
  summary?: string;
  /** Labelled totals: "DMARC pass" → "75%". */
  totals: Array<{ label: string; value: string }>;
  sources: ReportsSourceRow[];
  /** "12 successful, 3 failed". */
  tls?: string;
  tlsFailures: ReportsTlsRow[];
  /** What was not counted, and why (a foreign domain, a damaged report, a message too large). */
  notices: string[];
}

export type ReportsCommand = { type: 'refresh'; requestId: number } | CopyCommand;

const isRow = (v: unknown): v is ReportsSourceRow =>
  isObj(v) &&
  isStr(v.ip) &&
  isOptStr(v.reverse) &&
  isInt(v.messages) &&
  isInt(v.failing) &&
  isStr(v.dkim) &&
  isStr(v.spf) &&
  isStr(v.headerFroms) &&
  isStr(v.reporters);

const isTlsRow = (v: unknown): v is ReportsTlsRow =>
  isObj(v) && isStr(v.resultType) && isInt(v.sessions) && isStr(v.mxHosts) && isStr(v.sendingIps);

export function isReportsView(v: unknown): v is ReportsView {
  return (
    isObj(v) &&
    v.version === 1 &&
    isStr(v.host) &&
    isStr(v.domain) &&
    isStr(v.title) &&
    (v.status === 'loading' || v.status === 'ready' || v.status === 'error') &&
    isOptStr(v.error) &&
    isOptStr(v.summary) &&
    Array.isArray(v.totals) &&
    v.totals.every((t) => isObj(t) && isStr(t.label) && isStr(t.value)) &&
    Array.isArray(v.sources) &&
    v.sources.every(isRow) &&
    isOptStr(v.tls) &&
    Array.isArray(v.tlsFailures) &&
    v.tlsFailures.every(isTlsRow) &&
    isStrArray(v.notices)
  );
}

/** The longest text a Copy button of this panel sends (an IP address, a reverse name). */
const MAX_COPY = 512;

export const reportsProtocol = panelProtocol<ReportsView, ReportsCommand>({
  viewType: REPORTS_VIEW_TYPE,
  isState: isReportsView,
  commands: {
    refresh: () => true,
    copy: (m) => isCopyMessage(m, MAX_COPY),
  },
});

export const isReportsHostMessage = (v: unknown): v is HostMessage<ReportsView> =>
  reportsProtocol.isHostMessage(v);
export type ReportsWebviewMessage = WebviewMessage<ReportsCommand>;
