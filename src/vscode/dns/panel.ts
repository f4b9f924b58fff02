// The DNS Records panel's host side: one panel per domain. It shows the DnsService's cached
// state (expected records, last check) and owns the publish step: dry run shown in the panel,
// a modal confirmation, then the domain's DNS provider (credential from SecretStorage).
import * as vscode from 'vscode';
import type { DomainConfig, HostConfig } from '../../core/config';
import { dnsCredentialStore } from './credential';
import type { WorkspaceConfig } from '../workspace-config';
import type { DnsCore, PublishDryRun } from './core';
import { copyToClipboard } from '../clipboard';
import { openWebviewPanel, reviveWebviewPanel, WebviewPanelHost } from '../webview-panel';
import {
  changeLabel,
  dnsProtocol,
  isDnsPanelState,
  noProviderHelp,
  type DnsCommand,
  type DnsPanelState,
} from '../../panels/dns/messages';
import { panelState, writesOf, type PublishStep } from '../../panels/dns/panel-state';
import { dnsKey, dnsSettings, type DnsService } from './service';

export interface DnsPanelDeps {
  extensionUri: vscode.Uri;
  config: WorkspaceConfig;
  service: DnsService;
  core: () => Promise<DnsCore>;
  secrets: vscode.SecretStorage;
  log: vscode.LogOutputChannel;
}

export class DnsPanel extends WebviewPanelHost<DnsPanelState, DnsCommand> {
  private static readonly open = new Map<string, DnsPanel>();

  static show(deps: DnsPanelDeps, host: HostConfig, domain: DomainConfig): void {
    const key = dnsKey(host.name, domain.name);
    const existing = DnsPanel.open.get(key);
    if (existing) {
      existing.host = host;
      existing.domain = domain;
      existing.panel.reveal();
      existing.post();
      return;
    }
    const panel = openWebviewPanel(
      dnsProtocol,
      deps.extensionUri,
      vscode.l10n.t('DNS Records: {0}', domain.name),
    );
    new DnsPanel(deps, panel, host, domain);
  }

  /** After VS Code reloaded: attach to the domain again, or close when it left mailwright.yaml. */
  static async restore(deps: DnsPanelDeps, panel: vscode.WebviewPanel, saved: unknown): Promise<void> {
    const state = isDnsPanelState(saved) ? saved : undefined;
    const host = state && (await deps.config.get())?.hosts.find((h) => h.name === state.hostName);
    const domain = host?.domains.find((d) => d.name === state?.domain);
    if (!host || !domain) {
      panel.dispose();
      return;
    }
    reviveWebviewPanel(panel, deps.extensionUri);
    DnsPanel.open.get(dnsKey(host.name, domain.name))?.panel.dispose();
    new DnsPanel(deps, panel, host, domain);
  }

  private publish?: PublishStep;
  private dryRun?: PublishDryRun;
  private readonly key: string;

  private constructor(
    private readonly deps: DnsPanelDeps,
    panel: vscode.WebviewPanel,
    private host: HostConfig,
    private domain: DomainConfig,
  ) {
    super(panel, {
      extensionUri: deps.extensionUri,
      log: deps.log,
      protocol: dnsProtocol,
      name: 'DNS panel',
      bundle: 'dns',
      title: panel.title,
    });
    this.key = dnsKey(host.name, domain.name);
    DnsPanel.open.set(this.key, this);
    this.track(
      deps.service.onDidChange((key) => {
        if (key === this.key || key === '') this.post();
      }),
    );
    deps.service.ensureExpected(host, domain);
  }

  protected override onDispose(): void {
    if (DnsPanel.open.get(this.key) === this) DnsPanel.open.delete(this.key);
  }

  protected override currentState(): DnsPanelState {
    return panelState(
      {
        hostName: this.host.name,
        domain: this.domain.name,
        mailHost: this.host.mailHost,
        provider: this.domain.dns?.provider,
      },
      this.deps.service.entry(this.host.name, this.domain.name),
      vscode.l10n,
      this.publish,
    );
  }

  private post(): void {
    this.sendState();
  }

  protected override async handle(m: DnsCommand): Promise<void> {
    switch (m.type) {
      case 'check':
        this.setPublish(undefined);
        await this.deps.service.check(this.host, this.domain);
        return;
      case 'copy':
        return copyToClipboard(m);
      case 'exportZone':
        return this.exportZone();
      case 'planPublish':
        return this.planPublish();
      case 'applyPublish':
        return this.applyPublish();
      case 'cancelPublish':
        this.dryRun = undefined;
        this.setPublish(undefined);
        return;
    }
  }

  private setPublish(step: PublishStep | undefined): void {
    this.publish = step;
    this.post();
  }

  private async expected() {
    return (
      this.deps.service.entry(this.host.name, this.domain.name)?.expected ??
      (await this.deps.service.expected(this.host, this.domain))
    );
  }

  /** The BIND snippet in an untitled editor: for any DNS host Mailwright has no provider for. */
  private async exportZone(): Promise<void> {
    const core = await this.deps.core();
    const text = core.zoneFileSnippet(this.domain.name, await this.expected());
    const doc = await vscode.workspace.openTextDocument({ content: text, language: 'plaintext' });
    await vscode.window.showTextDocument(doc, { preview: false, viewColumn: vscode.ViewColumn.Beside });
  }

  private async planPublish(): Promise<void> {
    const dns = this.domain.dns;
    if (!dns) throw new Error(noProviderHelp(this.domain.name, vscode.l10n));
    const secrets = await dnsCredentialStore(
      this.domain,
      this.deps.secrets,
      vscode.l10n.t('No credential given: nothing was published.'),
    );
    this.setPublish({ phase: 'planning' });
    try {
      const core = await this.deps.core();
      const { resolvers, authoritative } = dnsSettings();
      const dryRun = await core.planPublish(this.domain, await this.expected(), secrets, {
        resolvers,
        authoritative,
        // The manual provider says what to set by hand, then waits until DNS serves it.
        onInstruction: (text) => void vscode.window.showInformationMessage(text, { modal: false }),
      });
      this.dryRun = dryRun;
      this.setPublish({ phase: 'planned', changes: dryRun.changes, notes: dryRun.notes });
    } catch (e) {
      this.setPublish(undefined);
      throw e;
    }
  }

  private async applyPublish(): Promise<void> {
    const dryRun = this.dryRun;
    if (this.publish?.phase !== 'planned' || !dryRun)
      throw new Error(vscode.l10n.t('Show the changes first.'));
    const writes = writesOf(dryRun.changes);
    if (writes.length === 0) {
      this.setPublish({ ...this.publish, phase: 'published', message: vscode.l10n.t('Nothing to change.') });
      return;
    }
    const yes = vscode.l10n.t('Publish');
    const answer = await vscode.window.showWarningMessage(
      vscode.l10n.t(
        'Make {0} change(s) to the DNS of {1} through {2}?',
        writes.length,
        this.domain.name,
        this.domain.dns?.provider ?? '',
      ),
      {
        modal: true,
        detail: writes
          .map((c) => `${changeLabel(c.op, vscode.l10n)} ${c.type} ${c.name}: ${c.to.join(' | ')}`)
          .join('\n'),
      },
      yes,
    );
    if (answer !== yes) return;
    this.setPublish({ ...this.publish, phase: 'publishing' });
    try {
      const { applied } = await dryRun.apply();
      this.dryRun = undefined;
      this.deps.log.info(`DNS of ${this.domain.name}: published ${applied} change(s)`);
      this.setPublish({
        phase: 'published',
        changes: dryRun.changes,
        notes: dryRun.notes,
        message: vscode.l10n.t(
          'Published {0} change(s). Resolvers may show the old values until their TTL runs out.',
          applied,
        ),
      });
    } catch (e) {
      this.setPublish({ ...this.publish, phase: 'planned', error: (e as Error).message });
      throw e;
    }
  }
}
