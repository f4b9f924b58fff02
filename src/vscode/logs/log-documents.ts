// "Mail: Tail Logs": a read-only document (scheme mailwright-log) per host that streams
// chasquid's log, follows the end in visible editors, and stops the remote command once
// its tab is closed. "Stop Following" (its title bar) holds the document still while the
// tail goes on; "Follow" shows what arrived meanwhile and scrolls to the end again.
import * as vscode from 'vscode';
import type { HostConfig } from '../../core/config';
import type { Connections } from '../connections';
import { TailSession } from './tail-session';

export const LOG_SCHEME = 'mailwright-log';
export const LOG_LANGUAGE = 'mailwright-log';
const REFRESH_MS = 150;
/** Context key: the active editor shows a log whose following is stopped (the title bar's toggle). */
const STOPPED_CONTEXT = 'mailwright.logFollowingStopped';

export function logUri(hostName: string): vscode.Uri {
  return vscode.Uri.from({ scheme: LOG_SCHEME, authority: hostName, path: '/chasquid.log' });
}

export class LogDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly sessions = new Map<string, TailSession>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly closing = new Set<NodeJS.Timeout>();
  private readonly followers = new Map<string, vscode.TextEditor[]>();
  private readonly revealed = new WeakMap<vscode.TextEditor, number>();
  /** Logs whose document is held still (by URI). */
  private readonly stopped = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(
    private readonly connections: Connections,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      // Setting the document's language (in open()) closes and reopens it at once: stop only
      // when, a moment later, the document is still gone and no tab shows it.
      vscode.workspace.onDidCloseTextDocument((d) => {
        if (d.uri.scheme !== LOG_SCHEME) return;
        const t = setTimeout(() => {
          this.closing.delete(t);
          const key = d.uri.toString();
          const reopened = vscode.workspace.textDocuments.some((x) => x.uri.toString() === key);
          if (!reopened && !this.isOpen(d.uri)) this.stop(d.uri);
        }, 1_000);
        this.closing.add(t);
      }),
      vscode.workspace.onDidChangeTextDocument(
        (e) => e.document.uri.scheme === LOG_SCHEME && this.follow(e.document),
      ),
      vscode.window.onDidChangeActiveTextEditor(() => this.updateContext()),
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
    const editor = await vscode.window.showTextDocument(doc, { preview: false });
    // Start at the end: the newest lines are what a tail is for.
    this.reveal(editor);
    return editor;
  }

  /**
   * Stops or resumes following the log (of the active editor when no URI is given). Stopped,
   * the document keeps what it shows while the tail goes on; resumed, it catches up and
   * scrolls to the end.
   */
  setFollowing(follow: boolean, arg?: unknown): void {
    const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
    if (!uri || uri.scheme !== LOG_SCHEME) return;
    const key = uri.toString();
    if (follow) {
      if (!this.stopped.delete(key)) return;
      this.followers.set(
        key,
        vscode.window.visibleTextEditors.filter((e) => e.document.uri.toString() === key),
      );
      this.changed.fire(uri);
    } else {
      this.stopped.add(key);
    }
    this.updateContext();
  }

  private updateContext(): void {
    const uri = vscode.window.activeTextEditor?.document.uri;
    const stopped = uri?.scheme === LOG_SCHEME && this.stopped.has(uri.toString());
    void vscode.commands.executeCommand('setContext', STOPPED_CONTEXT, stopped);
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
    if (this.pending.has(key) || this.stopped.has(key)) return;
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        // Decide who follows before the update: a burst longer than a screen (the first 200
        // lines) would otherwise leave every editor "scrolled up" and never follow again.
        const followers = this.editorsAtEnd(uri);
        if (followers.length) this.followers.set(key, followers);
        this.changed.fire(uri);
      }, REFRESH_MS),
    );
  }

  /**
   * Editors of the log that show its end: new ones (their visible ranges may not be known
   * yet), and those still showing the last line we revealed (the user has not scrolled up).
   */
  private editorsAtEnd(uri: vscode.Uri): vscode.TextEditor[] {
    return vscode.window.visibleTextEditors.filter((editor) => {
      if (editor.document.uri.toString() !== uri.toString()) return false;
      const revealed = this.revealed.get(editor);
      if (revealed === undefined || editor.visibleRanges.length === 0) return true;
      // Compared with what we revealed, not with the current length: lines may have arrived
      // before this editor showed them (a burst while it opened).
      return editor.visibleRanges.some((r) => r.end.line >= revealed - 40);
    });
  }

  private reveal(editor: vscode.TextEditor): void {
    const last = editor.document.lineCount - 1;
    this.revealed.set(editor, last);
    editor.revealRange(new vscode.Range(last, 0, last, 0), vscode.TextEditorRevealType.Default);
  }

  /** After the document took the new lines: scroll the editors that were at the end. */
  private follow(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    const followers = this.followers.get(key);
    if (!followers) return;
    this.followers.delete(key);
    for (const editor of followers) {
      if (vscode.window.visibleTextEditors.includes(editor)) this.reveal(editor);
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
    this.stopped.delete(key);
    this.log.info(`Stopped tailing ${uri.authority}'s log`);
  }

  dispose(): void {
    for (const s of this.sessions.values()) s.stop();
    for (const t of this.pending.values()) clearTimeout(t);
    for (const t of this.closing) clearTimeout(t);
    for (const d of this.disposables) d.dispose();
  }
}
