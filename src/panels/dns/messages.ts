// The DNS Records panel's part of the webview protocol (src/panels/protocol.ts): its state, its
// commands and their checks. Both sides import this file. No vscode or node imports.
import type { L10n } from '../l10n';
import {
  isCopyMessage,
  isObj,
  isOptStr,
  isStr,
  isStrArray,
  panelProtocol,
  type CopyCommand,
  type HostMessage,
  type WebviewMessage,
} from '../protocol';

/** A finding's status, or "unchecked" for an expected record before the first check. */
export type RowStatus = 'ok' | 'missing' | 'wrong' | 'extra' | 'not-checkable' | 'self-signed' | 'unchecked';
export type RowSeverity = 'error' | 'warning' | 'info';

/** One row of the expected-vs-found table. */
export interface DnsRowView {
  id: string;
  /** What the record is for: "spf", "dkim", "reachability", … */
  kind: string;
  type?: string;
  name: string;
  status: RowStatus;
  severity: RowSeverity;
  expected?: string;
  found: string[];
  fix?: string;
  /** Explanations: DMARC tags, SPF linter messages, which server said what. */
  notes: string[];
  /** Where it is set: the domain's zone, or the VPS provider's reverse-DNS page. */
  publishedAt?: 'zone' | 'reverse';
}

/** One exact change Publish would make at the DNS provider. */
export interface PublishChangeView {
  /** "create", "update", "keep" or "skip" (PTR: set at the VPS provider); publishing never deletes. */
  op: string;
  type: string;
  name: string;
  /** Values before and after (TXT joined). */
  from: string[];
  to: string[];
}

export type DnsPhase =
  | 'loading' // reading the expected records
  | 'unchecked' // expected records shown, no check yet
  | 'checking'
  | 'checked'
  | 'error' // the check itself failed
  | 'planning' // computing the publish dry run
  | 'planned' // dry run shown, waiting for confirmation
  | 'publishing'
  | 'published';

export interface DnsPanelState {
  version: 1;
  hostName: string;
  domain: string;
  mailHost: string;
  /** The domain's `dns:` provider name; absent: no provider, the table is the manual instructions. */
  provider?: string;
  phase: DnsPhase;
  /** "7 ok, 2 to fix". */
  summary: string;
  checkedAt?: string;
  durationMs?: number;
  rows: DnsRowView[];
  /** What holds for the whole domain (not delegated, DNS not answering): said once, above the table. */
  notices?: string[];
  error?: string;
  /** The dry run of Publish, while planned (and what was applied, once published). */
  publish?: { changes: PublishChangeView[]; notes: string[] };
  /** A one-line result: "Published 3 changes", "Zone file snippet opened". */
  message?: string;
}

/** Webview → extension: the commands; the extension answers each with a reply. */
export type DnsCommand =
  | { type: 'check'; requestId: number }
  | CopyCommand
  | { type: 'exportZone'; requestId: number }
  | { type: 'planPublish'; requestId: number }
  | { type: 'applyPublish'; requestId: number }
  | { type: 'cancelPublish'; requestId: number };

export type DnsWebviewMessage = WebviewMessage<DnsCommand>;
export type DnsHostMessage = HostMessage<DnsPanelState>;

/** How a domain without `dns:` gets one: Publish shows it, and the table is the manual instructions. */
export function noProviderHelp(domain: string, l10n: L10n): string {
  return l10n.t(
    '{0} has no dns: provider in mailwright.yaml, so Mailwright cannot publish for you: publish the records of this table at your DNS host by hand (copy buttons, or Export zone file). To let Mailwright publish, add under the domain: dns: { provider: cloudflare } (or alidns, rfc2136 with server and keyName, or manual); the credential is asked for once and kept in VS Code secret storage.',
    domain,
  );
}

/** A publish change's operation as the table and the confirmation show it. */
export function changeLabel(op: string, l10n: L10n): string {
  switch (op) {
    case 'create':
      return l10n.t('create');
    case 'update':
      return l10n.t('update');
    case 'keep':
      return l10n.t('keep');
    default:
      return op;
  }
}

// ---------------------------------------------------------------- validation

const PHASES: readonly DnsPhase[] = [
  'loading',
  'unchecked',
  'checking',
  'checked',
  'error',
  'planning',
  'planned',
  'publishing',
  'published',
];
const STATUSES: readonly RowStatus[] = [
  'ok',
  'missing',
  'wrong',
  'extra',
  'not-checkable',
  'self-signed',
  'unchecked',
];
const SEVERITIES: readonly RowSeverity[] = ['error', 'warning', 'info'];
/** Copy requests carry one DNS name or value; anything longer is not what the table shows. */
export const MAX_COPY_LENGTH = 8192;

function isRow(v: unknown): v is DnsRowView {
  return (
    isObj(v) &&
    isStr(v.id) &&
    isStr(v.kind) &&
    isOptStr(v.type) &&
    isStr(v.name) &&
    STATUSES.includes(v.status as RowStatus) &&
    SEVERITIES.includes(v.severity as RowSeverity) &&
    isOptStr(v.expected) &&
    isStrArray(v.found) &&
    isOptStr(v.fix) &&
    isStrArray(v.notes) &&
    (v.publishedAt === undefined || v.publishedAt === 'zone' || v.publishedAt === 'reverse')
  );
}

function isChange(v: unknown): v is PublishChangeView {
  return isObj(v) && isStr(v.op) && isStr(v.type) && isStr(v.name) && isStrArray(v.from) && isStrArray(v.to);
}

export function isDnsPanelState(v: unknown): v is DnsPanelState {
  return (
    isObj(v) &&
    v.version === 1 &&
    isStr(v.hostName) &&
    isStr(v.domain) &&
    isStr(v.mailHost) &&
    isOptStr(v.provider) &&
    PHASES.includes(v.phase as DnsPhase) &&
    isStr(v.summary) &&
    isOptStr(v.checkedAt) &&
    (v.durationMs === undefined || typeof v.durationMs === 'number') &&
    Array.isArray(v.rows) &&
    v.rows.every(isRow) &&
    (v.notices === undefined || isStrArray(v.notices)) &&
    isOptStr(v.error) &&
    (v.publish === undefined ||
      (isObj(v.publish) &&
        Array.isArray(v.publish.changes) &&
        v.publish.changes.every(isChange) &&
        isStrArray(v.publish.notes))) &&
    isOptStr(v.message)
  );
}

export const dnsProtocol = panelProtocol<DnsPanelState, DnsCommand>({
  viewType: 'mailwright.dnsRecords',
  isState: isDnsPanelState,
  commands: {
    check: () => true,
    copy: (m) => isCopyMessage(m, MAX_COPY_LENGTH),
    exportZone: () => true,
    planPublish: () => true,
    applyPublish: () => true,
    cancelPublish: () => true,
  },
});

export const DNS_VIEW_TYPE = dnsProtocol.viewType;
export const { isWebviewMessage: isDnsWebviewMessage, isHostMessage: isDnsHostMessage } = dnsProtocol;
