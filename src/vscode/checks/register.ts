// "Check Now" on a server (its tree row, its Health Checks row, or the palette), registered at
// activation; the checks themselves load with the "dns" bundle on first use. The view's badge
// counts the problems the servers' own checks alerted about that are still open.
import * as vscode from 'vscode';
import { secretKeys } from '../../core/remote/secrets';
import { pickHost } from '../commands/pick-host';
import type { FactsService } from '../facts-service';
import type { RemoteAccess } from '../remote-access';
import { openServerProblems } from '../tree/check-nodes';
import type { MailNode } from '../tree/base';
import { VscodeSecretStore } from '../secrets';
import type { WorkspaceConfig } from '../workspace-config';
import { ChecksService } from './service';

export interface ChecksFeatureDeps {
  config: WorkspaceConfig;
  remote: RemoteAccess;
  facts: FactsService;
  log: vscode.LogOutputChannel;
  treeView: vscode.TreeView<MailNode>;
  refreshTree: () => void;
  secrets: vscode.SecretStorage;
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
    // monitor.webhook's address: a secret, so never in mailwright.yaml; provisioning copies it to
    // the server after asking.
    run('mailwright.setAlertWebhook', async (arg) => {
      const host = await pickHost(config, arg, vscode.l10n.t('Which server sends the alerts?'));
      if (!host) return;
      const value = await vscode.window.showInputBox({
        prompt: vscode.l10n.t(
          'Webhook address for the alerts of {0}: kept in VS Code secret storage, never in mailwright.yaml',
          host.name,
        ),
        placeHolder: 'https://ntfy.sh/my-topic',
        password: true,
        ignoreFocusOut: true,
        validateInput: (v) =>
          /^https?:\/\/\S+$/.test(v.trim())
            ? undefined
            : vscode.l10n.t('The address must start with https:// (or http://).'),
      });
      if (!value) return;
      await new VscodeSecretStore(deps.secrets).set(secretKeys.monitorWebhook(host.name), value.trim());
      void vscode.window.showInformationMessage(
        vscode.l10n.t('Webhook address of {0} saved: provision the server to store it there.', host.name),
      );
    }),
  ];
}
