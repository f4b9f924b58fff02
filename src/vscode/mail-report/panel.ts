// The Mail Report panel's host side: shows one MailReportView (a message analysis, a test
// mail's run), replaces it when the opener has a newer one (a run's next stage), copies what
// the webview asks for, and hands the report's buttons to the opener.
import * as vscode from 'vscode';
import { copyToClipboard } from '../clipboard';
import { openWebviewPanel, reviveWebviewPanel, WebviewPanelHost } from '../webview-panel';
import {
  isMailReportView,
  mailReportProtocol,
  type MailReportCommand,
  type MailReportView,
} from '../../panels/mail-report/messages';

export interface MailReportPanelDeps {
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
}

export interface MailReportOptions {
  /** Reports with the same key share one panel (default: the report's kind). */
  key?: string;
  /** A report button was clicked: what it does; a report returned replaces the one shown. */
  onAction?: (id: string, panel: MailReportPanel) => Promise<MailReportView | undefined>;
  /** Where a new panel opens (default: the active column). */
  viewColumn?: vscode.ViewColumn;
}

export class MailReportPanel extends WebviewPanelHost<MailReportView, MailReportCommand> {
  private static readonly open = new Map<string, MailReportPanel>();

  /** Shows `view` in the panel of its key, opening one when there is none; later calls update it. */
  static show(
    deps: MailReportPanelDeps,
    view: MailReportView,
    opts: MailReportOptions = {},
  ): MailReportPanel {
    const key = opts.key ?? view.kind;
    const existing = MailReportPanel.open.get(key);
    if (existing) {
      existing.onAction = opts.onAction;
      existing.update(view);
      existing.panel.reveal();
      return existing;
    }
    const panel = openWebviewPanel(mailReportProtocol, deps.extensionUri, view.title, opts.viewColumn);
    return new MailReportPanel(deps, panel, key, view, opts.onAction);
  }

  /** After VS Code reloaded: the last report again, without its buttons (nothing is left to run them). */
  static restore(deps: MailReportPanelDeps, panel: vscode.WebviewPanel, saved: unknown): void {
    if (!isMailReportView(saved)) {
      panel.dispose();
      return;
    }
    reviveWebviewPanel(panel, deps.extensionUri);
    const key = saved.kind;
    MailReportPanel.open.get(key)?.panel.dispose();
    new MailReportPanel(deps, panel, key, { ...saved, actions: undefined, running: false });
  }

  private constructor(
    deps: MailReportPanelDeps,
    panel: vscode.WebviewPanel,
    private readonly key: string,
    private view: MailReportView,
    private onAction?: MailReportOptions['onAction'],
  ) {
    super(panel, {
      extensionUri: deps.extensionUri,
      log: deps.log,
      protocol: mailReportProtocol,
      name: 'Mail report',
      bundle: 'mail-report',
      title: view.title,
    });
    MailReportPanel.open.set(key, this);
  }

  protected override currentState(): MailReportView {
    return this.view;
  }

  protected override onDispose(): void {
    if (MailReportPanel.open.get(this.key) === this) MailReportPanel.open.delete(this.key);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Shows this report instead (a run's next stage, a new analysis). */
  update(view: MailReportView): void {
    this.view = view;
    this.panel.title = view.title;
    this.sendState();
  }

  protected override async handle(m: MailReportCommand): Promise<void> {
    switch (m.type) {
      case 'copy':
        return copyToClipboard(m);
      case 'action': {
        if (!this.view.actions?.some((a) => a.id === m.id) || !this.onAction)
          throw new Error(vscode.l10n.t('This report has nothing to run any more: run the command again.'));
        const next = await this.onAction(m.id, this);
        if (next) this.update(next);
        return;
      }
    }
  }
}
