// The provisioning dashboard: a webview panel per host, restored after a reload. The panel
// and the provisioning engine load on first use (bundle "dashboard"); this file stays small.
import * as vscode from 'vscode';
import { load } from '../lazy';
import { VIEW_TYPE } from '../../panels/dashboard/messages';
import type { DashboardDeps } from './panel';

export type { DashboardDeps } from './panel';

export function registerDashboardSerializer(deps: () => Promise<DashboardDeps>): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
    async deserializeWebviewPanel(panel, saved: unknown) {
      const [{ DashboardPanel }, resolved] = await Promise.all([load('dashboard'), deps()]);
      DashboardPanel.restore(resolved, panel, saved);
    },
  });
}
