// The Reports panel's host side: one panel per domain, showing the DMARC and TLS reports its server
// kept (reports: keep), read in one SSH round trip with the reverse names of the sources looked up
// (bounded), failing sources first. Refresh reads the store again; a read can be cancelled.
import * as vscode from 'vscode';
import type { DomainConfig, HostConfig } from '../../core/config';
import { systemLookup } from '../../core/dns/lookup';
import type { RemoteConnection } from '../../core/remote';
import { addReverseNames, readReportStore, REVERSE_LIMITS, summariseStore } from '../../core/reports/stored';
import { reportsProtocol, type ReportsCommand, type ReportsView } from '../../panels/reports/messages';
import { errorView, loadingView, reportsView } from '../../panels/reports/view';
import { copyToClipboard } from '../clipboard';
import { openWebviewPanel, WebviewPanelHost } from '../webview-panel';

export interface ReportsPanelDeps {
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  /** The host's connection (the extension's pool). */
  connection: (host: HostConfig) => Promise<RemoteConnection>;
}

export class ReportsPanel extends WebviewPanelHost<ReportsView, ReportsCommand> {
  private static readonly open = new Map<string, ReportsPanel>();
  private view: ReportsView;
  private reading?: AbortController;

  /** The panel of this domain, opened or brought forward, reading the store again. */
  static async show(deps: ReportsPanelDeps, host: HostConfig, domain: DomainConfig): Promise<void> {
    const key = `${host.name} ${domain.name}`;
    let panel = ReportsPanel.open.get(key);
    if (panel) panel.panel.reveal();
    else {
      const webview = openWebviewPanel(
        reportsProtocol,
        deps.extensionUri,
        vscode.l10n.t('Reports: {0}', domain.name),
      );
      panel = new ReportsPanel(deps, webview, key, host, domain);
    }
    await panel.refresh();
  }

  private constructor(
    private readonly deps: ReportsPanelDeps,
    panel: vscode.WebviewPanel,
    private readonly key: string,
    private readonly host: HostConfig,
    private readonly domain: DomainConfig,
  ) {
    const view = loadingView(host.name, domain.name, vscode.l10n);
    super(panel, {
      extensionUri: deps.extensionUri,
      log: deps.log,
      protocol: reportsProtocol,
      name: 'Reports panel',
      bundle: 'reports',
      title: view.title,
    });
    this.view = view;
    ReportsPanel.open.set(key, this);
  }

  protected override currentState(): ReportsView {
    return this.view;
  }

  protected override onDispose(): void {
    this.reading?.abort();
    if (ReportsPanel.open.get(this.key) === this) ReportsPanel.open.delete(this.key);
  }

  private update(view: ReportsView): void {
    this.view = view;
    this.sendState();
  }

  /** Reads the store again (cancellable from the progress notification). */
  async refresh(): Promise<void> {
    this.reading?.abort();
    const reading = new AbortController();
    this.reading = reading;
    const { host, domain } = this;
    this.update(loadingView(host.name, domain.name, vscode.l10n));
    try {
      const view = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: vscode.l10n.t('Reading the reports kept on {0}…', host.name),
          cancellable: true,
        },
        async (_progress, token) => {
          token.onCancellationRequested(() => reading.abort());
          const conn = await this.deps.connection(host);
          const listing = await readReportStore(conn, reading.signal);
          const result = summariseStore(
            listing,
            host.domains.map((d) => d.name),
            domain.name,
          );
          await addReverseNames(
            result.summaries,
            systemLookup({ timeoutMs: REVERSE_LIMITS.timeoutMs, tries: 1 }),
            reading.signal,
          );
          return reportsView(host.name, domain.name, result, vscode.l10n);
        },
      );
      if (this.reading === reading) this.update(view);
    } catch (e) {
      if (this.reading !== reading) return;
      const message = reading.signal.aborted
        ? vscode.l10n.t('Cancelled: Refresh reads the reports again.')
        : (e as Error).message;
      this.deps.log.warn(`Reports panel: ${host.name} ${domain.name}: ${message}`);
      this.update(errorView(host.name, domain.name, message, vscode.l10n));
    }
  }

  protected override async handle(m: ReportsCommand): Promise<void> {
    switch (m.type) {
      case 'copy':
        return copyToClipboard(m);
      case 'refresh':
        return this.refresh();
    }
  }
}
