// "Check Now" on a server (its tree row, its Health Checks row, or the palette), registered at
// activation; the checks themselves load with the "dns" bundle on first use. The view's badge
// counts the problems the servers' own checks alerted about that are still open.
import * as vscode from 'vscode';
import { pickHost } from '../commands/pick-host';
import type { FactsService } from '../facts-service';
import type { RemoteAccess } from '../remote-access';
import { openServerProblems } from '../tree/check-nodes';
import type { MailNode } from '../tree/base';
import type { WorkspaceConfig } from '../workspace-config';
import { ChecksService } from './service';

export interface ChecksFeatureDeps {
  config: WorkspaceConfig;
  remote: RemoteAccess;
  facts: FactsService;
  log: vscode.LogOutputChannel;
  treeView: vscode.TreeView<MailNode>;
  refreshTree: () => void;
  run: (name: string, fn: (...args: unknown[]) => unknown) => vscode.Disposable;
}

export function registerChecks(deps: ChecksFeatureDeps): vscode.Disposable[] {
  const { config, remote, facts, log, run } = deps;
  const service = new ChecksService(
    async (host) => (await remote.get()).for(host),
    facts,
    log,
    async () => (await config.get())?.hosts ?? [],
  );
  const updateBadge = async () => {
    const open = openServerProblems((await config.get())?.hosts ?? []);
    deps.treeView.badge =
      open > 0
        ? { value: open, tooltip: vscode.l10n.t('{0} open problem(s) the server alerted about', open) }
        : undefined;
  };
  return [
    service,
    service.onDidChange(() => deps.refreshTree()),
    facts.onDidChange(() => void updateBadge()),
    run('mailwright.checkNow', async (arg) => {
      const host = await pickHost(config, arg, vscode.l10n.t('Which server to check?'));
      if (host) await service.check(host);
    }),
  ];
}
