// The provisioning dashboard: a webview panel per host, restored after a reload.
import * as vscode from 'vscode';
import { VIEW_TYPE } from './messages';
import { DashboardPanel, type DashboardDeps } from './panel';

export { DashboardPanel, type DashboardDeps } from './panel';

export function registerDashboardSerializer(deps: DashboardDeps): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
    deserializeWebviewPanel(panel, saved: unknown) {
      DashboardPanel.restore(deps, panel, saved);
      return Promise.resolve();
    },
  });
}
