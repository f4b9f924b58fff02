// "Mail: Provision Server": opens the provisioning dashboard for the host, which gathers
// facts, shows the plan and applies it (src/vscode/dashboard).
import { DashboardPanel, type DashboardDeps } from '../dashboard';
import type { WorkspaceConfig } from '../workspace-config';
import { pickHost } from './pick-host';

export async function provision(config: WorkspaceConfig, deps: DashboardDeps, arg: unknown): Promise<void> {
  deps.log.info('Provision Server: choosing the host');
  const host = await pickHost(config, arg, 'to provision');
  if (!host) return;
  deps.log.info(`Provision Server: opening the dashboard for ${host.name}`);
  DashboardPanel.show(deps, host);
}
