// The workspace's mailwright.yaml: found, loaded, watched, and its problems shown in the Problems panel.
import * as vscode from 'vscode';
import { loadConfig, type ConfigIssue, type MailwrightConfig } from '../core/config';

export class WorkspaceConfig implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('mailwright');
  private readonly disposables: vscode.Disposable[] = [this.changed, this.diagnostics];
  private current?: MailwrightConfig;
  /** mtime and size of the file as last loaded ('' when there was none). */
  private loadedStamp?: string;
  private loading?: Promise<void>;

  constructor(private readonly log: vscode.LogOutputChannel) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/mailwright.yaml');
    const reload = () => void this.reload();
    watcher.onDidChange(reload);
    watcher.onDidCreate(reload);
    watcher.onDidDelete(reload);
    this.disposables.push(
      watcher,
      vscode.workspace.onDidChangeConfiguration(
        (e) => e.affectsConfiguration('mailwright.configFile') && reload(),
      ),
      vscode.workspace.onDidChangeWorkspaceFolders(reload),
    );
  }

  /** The file's URI, or undefined when no folder is open. */
  get uri(): vscode.Uri | undefined {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) return undefined;
    const relative = vscode.workspace
      .getConfiguration('mailwright')
      .get<string>('configFile', 'mailwright.yaml');
    return vscode.Uri.joinPath(folder.uri, relative);
  }

  /**
   * The loaded desired state; waits for a load in flight so nobody sees a half-loaded file. A
   * file changed on disk whose watcher event has not arrived yet (an edit by another program,
   * a git checkout; watchers can lag by seconds) is loaded again here, so "Plan Again" and every
   * other action act on the file as it is now.
   */
  async get(): Promise<MailwrightConfig | undefined> {
    await (this.loading ?? this.reload());
    if ((await this.stamp()) !== this.loadedStamp) await this.reload();
    return this.current;
  }

  private async stamp(uri = this.uri): Promise<string> {
    if (!uri) return '';
    try {
      const st = await vscode.workspace.fs.stat(uri);
      return `${st.mtime}:${st.size}`;
    } catch {
      return '';
    }
  }

  /** Loads again (after an edit); loads run one after another, the newest wins. */
  reload(): Promise<void> {
    const next = (this.loading ?? Promise.resolve()).then(() => this.load());
    this.loading = next;
    return next;
  }

  private async load(): Promise<void> {
    const uri = this.uri;
    let loaded: MailwrightConfig | undefined;
    let issues: ConfigIssue[] = [];
    // Taken before reading, so a write during the read makes the next get() load again.
    this.loadedStamp = await this.stamp(uri);
    if (uri) {
      try {
        await vscode.workspace.fs.stat(uri);
        const result = await loadConfig(uri.fsPath);
        loaded = result.config;
        issues = result.issues;
        const errors = result.issues.filter((i) => i.severity === 'error').length;
        if (errors > 0) this.log.warn(`${uri.fsPath}: ${errors} error(s); see the Problems panel.`);
      } catch (e) {
        if (!(e instanceof vscode.FileSystemError))
          this.log.error(`Cannot load ${uri.fsPath}: ${(e as Error).message}`);
      }
    }
    this.current = loaded;
    this.diagnostics.clear();
    if (uri) this.diagnostics.set(uri, issues.map(toDiagnostic));
    this.changed.fire();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

function toDiagnostic(issue: ConfigIssue): vscode.Diagnostic {
  const range = new vscode.Range(issue.line - 1, issue.column - 1, issue.endLine - 1, issue.endColumn - 1);
  const d = new vscode.Diagnostic(
    range,
    `${issue.path ? issue.path + ': ' : ''}${issue.message}${issue.hint ? `\n${issue.hint}` : ''}`,
    issue.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
  );
  d.source = 'mailwright';
  return d;
}
