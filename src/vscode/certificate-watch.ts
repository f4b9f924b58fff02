// Renewal without cron: when a host's facts arrive (the tree gathers them after activation),
// a certificate that ACME should renew is pointed out once per session, with a Renew button.
import * as vscode from 'vscode';
import type { FactsService } from './facts-service';
import { load } from './lazy';
import type { WorkspaceConfig } from './workspace-config';

export function watchCertificates(config: WorkspaceConfig, facts: FactsService): vscode.Disposable {
  const offered = new Set<string>();
  return facts.onDidChange(async (hostName) => {
    const state = facts.state(hostName);
    if (state?.kind !== 'ok' || offered.has(hostName)) return;
    const host = (await config.get())?.hosts.find((h) => h.name === hostName);
    if (!host?.acme) return;
    // ACME code loads only for hosts that use ACME.
    const { planRenewal } = await load('acme');
    const plan = planRenewal(host, state.facts);
    // Asked again after the awaits: facts that arrived meanwhile may have made the offer already.
    if (plan.actions.length === 0 || offered.has(hostName)) return;
    offered.add(hostName);
    const renew = vscode.l10n.t('Renew');
    const answer = await vscode.window.showWarningMessage(
      vscode.l10n.t('{0}: {1}', hostName, plan.actions[0]!.reason),
      renew,
    );
    if (answer === renew) await vscode.commands.executeCommand('mailwright.provision', host.name);
  });
}
