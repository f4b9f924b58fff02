import * as vscode from 'vscode';
import type { DomainConfig, HostConfig } from '../../core/config';
import type { WorkspaceConfig } from '../workspace-config';

export interface UserTarget {
  host: HostConfig;
  domain: DomainConfig;
  user: string;
}

/** The user row a command ran from, the only user, or one picked from mailwright.yaml. */
export async function pickUser(config: WorkspaceConfig, arg: unknown): Promise<UserTarget | undefined> {
  const row = arg as Partial<UserTarget> | undefined;
  if (row?.host && row.domain && row.user) return { host: row.host, domain: row.domain, user: row.user };
  const loaded = await config.get();
  const items = (loaded?.hosts ?? []).flatMap((host) =>
    host.domains.flatMap((domain) =>
      domain.users.map((user) => ({
        label: `${user}@${domain.name}`,
        description: host.name,
        target: { host, domain, user },
      })),
    ),
  );
  if (items.length === 0) {
    void vscode.window.showWarningMessage(vscode.l10n.t('mailwright.yaml lists no users yet.'));
    return undefined;
  }
  const picked =
    items.length === 1
      ? items[0]
      : await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Which user?') });
  return picked?.target;
}
