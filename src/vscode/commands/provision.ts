// "Mail: Provision Server": opens the provisioning dashboard for the host, which gathers
// facts, shows the plan and applies it (src/vscode/dashboard, loaded on first use).
// "Mail: Provision All Servers": every host at once, with one combined plan (same bundle).
import * as vscode from 'vscode';
import type { DashboardDeps } from '../dashboard';
import { load } from '../lazy';
import type { WorkspaceConfig } from '../workspace-config';
import { pickHost } from './pick-host';

export async function provision(
  config: WorkspaceConfig,
  deps: () => Promise<DashboardDeps>,
  arg: unknown,
): Promise<void> {
  // The host is picked here, in the main bundle: tree rows are its classes.
  const host = await pickHost(config, arg, vscode.l10n.t('Which server to provision?'));
  if (!host) return;
  const [{ DashboardPanel }, resolved] = await Promise.all([load('dashboard'), deps()]);
  resolved.log.info(`Provision Server: opening the dashboard for ${host.name}`);
  DashboardPanel.show(resolved, host);
}

export async function provisionAll(deps: () => Promise<DashboardDeps>): Promise<void> {
  const [{ provisionAll: run }, resolved] = await Promise.all([load('dashboard'), deps()]);
  resolved.log.info('Provision All: planning every server of mailwright.yaml');
  await run(resolved);
}
