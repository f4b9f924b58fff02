import * as vscode from 'vscode';
import { writtenSshTarget, type HostConfig } from '../../core/config';
import type { WorkspaceConfig } from '../workspace-config';
import { MailNode } from '../tree/base';

/**
 * The host a command acts on: the tree row it was run from, the only host, or the user's pick.
 * `question` is the whole translated question ("Which server to provision?"), not a piece of one.
 */
export async function pickHost(
  config: WorkspaceConfig,
  arg: unknown,
  question: string,
): Promise<HostConfig | undefined> {
  if (arg instanceof MailNode && arg.host) return arg.host;
  const loaded = await config.get();
  const hosts = loaded?.hosts ?? [];
  // A host name passed by another command (e.g. the certificate renewal offer).
  const named = typeof arg === 'string' ? hosts.find((h) => h.name === arg) : undefined;
  if (named) return named;
  if (hosts.length === 0) {
    const add = vscode.l10n.t('Add Server');
    const answer = await vscode.window.showInformationMessage(
      vscode.l10n.t('There is no server in mailwright.yaml yet.'),
      add,
    );
    if (answer === add) await vscode.commands.executeCommand('mailwright.addServer');
    return undefined;
  }
  if (hosts.length === 1) return hosts[0];
  const picked = await vscode.window.showQuickPick(
    hosts.map((h) => ({
      label: h.name,
      description: writtenSshTarget(h.ssh, h.sshWritten),
      detail: h.mailHost,
      host: h,
    })),
    { placeHolder: question },
  );
  return picked?.host;
}
