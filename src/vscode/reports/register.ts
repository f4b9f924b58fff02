// "Mail: Show Received Reports", registered at activation; the panel lives in the "report" bundle,
// loaded on first use (src/vscode/lazy.ts).
import * as vscode from 'vscode';
import type { DomainConfig, HostConfig } from '../../core/config';
import { pickHost } from '../commands/pick-host';
import { load } from '../lazy';
import type { RemoteAccess } from '../remote-access';
import { MailNode } from '../tree/base';
import type { WorkspaceConfig } from '../workspace-config';

export interface ReportsFeatureDeps {
  config: WorkspaceConfig;
  remote: RemoteAccess;
  log: vscode.LogOutputChannel;
  extensionUri: vscode.Uri;
  run: (name: string, fn: (...args: unknown[]) => unknown) => vscode.Disposable;
}

/** The domain: the tree row the command was run from, the only one, or the user's pick. */
async function pickDomain(
  config: WorkspaceConfig,
  arg: unknown,
): Promise<{ host: HostConfig; domain: DomainConfig } | undefined> {
  const row = arg instanceof MailNode ? (arg as MailNode & { domain?: DomainConfig }) : undefined;
  if (row?.host && row.domain) return { host: row.host, domain: row.domain };
  const host = await pickHost(config, arg, vscode.l10n.t('Which server kept the reports?'));
  if (!host) return undefined;
  if (host.domains.length <= 1) return host.domains[0] && { host, domain: host.domains[0] };
  const picked = await vscode.window.showQuickPick(
    host.domains.map((d) => ({ label: d.name, domain: d })),
    { placeHolder: vscode.l10n.t('Which domain?') },
  );
  return picked && { host, domain: picked.domain };
}

export function registerReports(deps: ReportsFeatureDeps): vscode.Disposable[] {
  return [
    deps.run('mailwright.showReports', async (arg) => {
      const target = await pickDomain(deps.config, arg);
      if (!target) return;
      await (
        await load('report')
      ).ReportsPanel.show(
        {
          extensionUri: deps.extensionUri,
          log: deps.log,
          connection: async (host) => (await deps.remote.get()).for(host),
        },
        target.host,
        target.domain,
      );
    }),
  ];
}
