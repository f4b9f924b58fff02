// Status-bar item: the health of the active host (the one selected in the tree, else the first).
import * as vscode from 'vscode';
import type { HostConfig } from '../../core/config';
import type { FactsService } from '../facts-service';
import type { WorkspaceConfig } from '../workspace-config';

export class HealthStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(
    'mailwright.health',
    vscode.StatusBarAlignment.Left,
    50,
  );
  private readonly disposables: vscode.Disposable[] = [this.item];
  private active?: string;

  constructor(
    private readonly config: WorkspaceConfig,
    private readonly facts: FactsService,
  ) {
    this.item.name = vscode.l10n.t('Mail server health');
    this.item.command = 'mailwright.servers.focus';
    this.disposables.push(
      config.onDidChange(() => void this.update()),
      facts.onDidChange(() => void this.update()),
      vscode.workspace.onDidChangeConfiguration(
        (e) => e.affectsConfiguration('mailwright.statusBar') && void this.update(),
      ),
    );
    void this.update();
  }

  select(host: HostConfig | undefined): void {
    if (host && host.name !== this.active) {
      this.active = host.name;
      void this.update();
    }
  }

  private async update(): Promise<void> {
    const enabled = vscode.workspace.getConfiguration('mailwright').get<boolean>('statusBar.enabled', true);
    const hosts = (await this.config.get())?.hosts ?? [];
    const host = hosts.find((h) => h.name === this.active) ?? hosts[0];
    if (!enabled || !host) return this.item.hide();
    const state = this.facts.state(host.name);
    if (!state || state.kind === 'loading') {
      this.item.text = `$(loading~spin) ${host.name}`;
      this.item.tooltip = vscode.l10n.t('Connecting to {0}…', host.name);
      this.item.backgroundColor = undefined;
    } else if (state.kind === 'error') {
      this.item.text = `$(error) ${host.name}`;
      this.item.tooltip = vscode.l10n.t('{0} is unreachable: {1}', host.name, state.message);
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
    } else {
      const active = state.facts.chasquid.active === 'active';
      this.item.text = `$(${active ? 'mail' : 'warning'}) ${host.name}`;
      this.item.tooltip = active
        ? vscode.l10n.t('chasquid {0} is running on {1}.', state.facts.chasquid.version ?? '', host.name)
        : vscode.l10n.t(
            'chasquid is {0} on {1}: tail the logs or provision again.',
            state.facts.chasquid.active ?? vscode.l10n.t('not installed'),
            host.name,
          );
      this.item.backgroundColor = active
        ? undefined
        : new vscode.ThemeColor('statusBarItem.warningBackground');
    }
    this.item.show();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
