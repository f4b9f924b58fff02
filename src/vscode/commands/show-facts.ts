// "Mail: Show Server Facts": the facts of a server as a named, read-only JSON document
// ("Facts — <server>", scheme mailwright-facts), refreshed in place from its title bar.
import * as vscode from 'vscode';
import type { HostConfig } from '../../core/config';
import type { FactsService } from '../facts-service';
import type { WorkspaceConfig } from '../workspace-config';
import { pickHost } from './pick-host';

export const FACTS_SCHEME = 'mailwright-facts';

export class FactsDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly config: WorkspaceConfig,
    private readonly facts: FactsService,
  ) {}

  /** The host is the authority; the path is the tab's title. */
  uri(hostName: string): vscode.Uri {
    return vscode.Uri.from({
      scheme: FACTS_SCHEME,
      authority: hostName,
      path: '/' + vscode.l10n.t('Facts — {0}', hostName),
    });
  }

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const state = this.facts.state(uri.authority);
    if (state?.kind === 'ok') return JSON.stringify(state.facts, null, 2) + '\n';
    // Reopened after a reload, or the facts were cleared: gather them again.
    const host = await this.host(uri);
    return JSON.stringify(await this.facts.gather(host, token), null, 2) + '\n';
  }

  async show(arg: unknown): Promise<void> {
    const host = await pickHost(this.config, arg, vscode.l10n.t('Which server to show facts of?'));
    if (!host) return;
    await this.gather(host);
    const uri = this.uri(host.name);
    this.changed.fire(uri); // an open document shows the new facts
    let doc = await vscode.workspace.openTextDocument(uri);
    if (doc.languageId !== 'json') doc = await vscode.languages.setTextDocumentLanguage(doc, 'json');
    await vscode.window.showTextDocument(doc, { preview: true });
  }

  /** Gathers the facts of the document's server again (the active one when no URI is given). */
  async refresh(arg: unknown): Promise<void> {
    const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
    if (!uri || uri.scheme !== FACTS_SCHEME) return;
    await this.gather(await this.host(uri));
    this.changed.fire(uri);
  }

  private gather(host: HostConfig): Thenable<unknown> {
    return vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: vscode.l10n.t('Gathering facts of {0}…', host.name),
        cancellable: true,
      },
      (_progress, token) => this.facts.gather(host, token),
    );
  }

  private async host(uri: vscode.Uri): Promise<HostConfig> {
    const host = (await this.config.get())?.hosts.find((h) => h.name === uri.authority);
    if (!host) throw new Error(vscode.l10n.t('No host "{0}" in mailwright.yaml', uri.authority));
    return host;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
