// "Mail: Analyze Message Source" and the Mail Report panel's restore after a reload, registered
// at activation. The analysis (mailauth) and the panel are the "report" bundle, loaded on first
// use (src/vscode/lazy.ts). Another command shows its own report through the same bundle:
// (await load('report')).MailReportPanel.show(deps, view, { key, onAction }).
import * as vscode from 'vscode';
import { load } from '../lazy';
import { MAIL_REPORT_VIEW_TYPE } from '../../panels/mail-report/messages';
import type { MailReportPanelDeps } from './panel';
import type { WorkspaceConfig } from '../workspace-config';

export interface MailReportFeatureDeps extends MailReportPanelDeps {
  run: (name: string, fn: (...args: unknown[]) => unknown) => vscode.Disposable;
  config: WorkspaceConfig;
}

export function registerMailReport(deps: MailReportFeatureDeps): vscode.Disposable[] {
  const panelDeps: MailReportPanelDeps = { extensionUri: deps.extensionUri, log: deps.log };
  return [
    deps.run('mailwright.analyzeMessage', async () => (await load('report')).analyzeMessageSource(panelDeps)),
    deps.run('mailwright.sendTestMail', async (arg) =>
      (await load('report')).sendTestMailCommand({ ...panelDeps, config: deps.config }, arg),
    ),
    // A report left open comes back after a reload, as it was (its buttons had a run behind them).
    vscode.window.registerWebviewPanelSerializer(MAIL_REPORT_VIEW_TYPE, {
      async deserializeWebviewPanel(panel, saved: unknown) {
        (await load('report')).MailReportPanel.restore(panelDeps, panel, saved);
      },
    }),
  ];
}
