// "Mail: Tail Logs": a read-only document (scheme mailwright-log) per host that streams
// chasquid's log, follows the end in visible editors, and stops the remote command once
// its tab is closed.
import * as vscode from 'vscode';
import type { HostConfig } from '../../core/config';
import type { Connections } from '../connections';
import { TailSession } from './tail-session';

export const LOG_SCHEME = 'mailwright-log';
export const LOG_LANGUAGE = 'mailwright-log';
const REFRESH_MS = 150;

export function logUri(hostName: string): vscode.Uri {
  return vscode.Uri.from({ scheme: LOG_SCHEME, authority: hostName, path: '/chasquid.log' });
}

export class LogDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly sessions = new Map<string, TailSession>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(
    private readonly connections: Connections,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      vscode.workspace.onDidCloseTextDocument((d) => d.uri.scheme === LOG_SCHEME && this.stop(d.uri)),
      // A closed tab stops the tail at once (the document itself may linger in memory).
      vscode.window.tabGroups.onDidChangeTabs((e) => {
        for (const tab of e.closed) {
          const input = tab.input;
          if (
            input instanceof vscode.TabInputText &&
            input.uri.scheme === LOG_SCHEME &&
            !this.isOpen(input.uri)
          )
            this.stop(input.uri);
        }
      }),
    );
  }

  /** Opens (or shows) the tail of a host's log. */
  async open(host: HostConfig): Promise<vscode.TextEditor> {
    const uri = logUri(host.name);
    if (!this.sessions.has(uri.toString())) this.startSession(uri, host);
    const doc = await vscode.workspace.openTextDocument(uri);
    if (doc.languageId !== LOG_LANGUAGE) await vscode.languages.setTextDocumentLanguage(doc, LOG_LANGUAGE);
    return vscode.window.showTextDocument(doc, { preview: false });
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const session = this.sessions.get(uri.toString());
    if (!session) return vscode.l10n.t('(not tailing: run "Mail: Tail Logs" again)') + '\n';
    return session.ring.size === 0
      ? vscode.l10n.t("Waiting for chasquid's log…") + '\n'
      : session.ring.text();
  }

  private startSession(uri: vscode.Uri, host: HostConfig): void {
    const maxLines = vscode.workspace.getConfiguration('mailwright').get<number>('logs.maxLines', 10_000);
    const conn = this.connections.for(host);
    const session = new TailSession(
      (command, opts) => conn.exec(command, { sudo: true, check: false, ...opts }),
      { maxLines: Math.max(100, maxLines), onChange: () => this.schedule(uri) },
    );
    this.sessions.set(uri.toString(), session);
    this.log.info(`Tailing chasquid's log on ${host.name}`);
    session.start();
  }

  /** Coalesces a burst of lines into one document update and one scroll. */
  private schedule(uri: vscode.Uri): void {
    const key = uri.toString();
    if (this.pending.has(key)) return;
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        this.changed.fire(uri);
        setTimeout(() => this.follow(uri), 30);
      }, REFRESH_MS),
    );
  }

  private follow(uri: vscode.Uri): void {
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.toString() !== uri.toString()) continue;
      const last = editor.document.lineCount - 1;
      // Follow only when the user has not scrolled up to read something.
      const atEnd = editor.visibleRanges.some((r) => r.end.line >= last - 40);
      if (atEnd) editor.revealRange(new vscode.Range(last, 0, last, 0), vscode.TextEditorRevealType.Default);
    }
  }

  private isOpen(uri: vscode.Uri): boolean {
    return vscode.window.tabGroups.all.some((g) =>
      g.tabs.some((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === uri.toString()),
    );
  }

  private stop(uri: vscode.Uri): void {
    const key = uri.toString();
    const session = this.sessions.get(key);
    if (!session) return;
    session.stop();
    this.sessions.delete(key);
    this.log.info(`Stopped tailing ${uri.authority}'s log`);
  }

  dispose(): void {
    for (const s of this.sessions.values()) s.stop();
    for (const t of this.pending.values()) clearTimeout(t);
    for (const d of this.disposables) d.dispose();
  }
}
