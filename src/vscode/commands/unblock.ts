// Unblock, on a blocked address's row: fail2ban lifts its block on the mail ports, then the
// server's facts are read again so that the row goes.
import * as vscode from 'vscode';
import { unblock } from '../../core/brute-force';
import type { HostConfig } from '../../core/config';
import type { Connections } from '../connections';
import type { FactsService } from '../facts-service';

export async function unblockAction(connections: Connections, facts: FactsService, arg: unknown) {
  const row = arg as Partial<{ host: HostConfig; address: string }> | undefined;
  if (!row?.host || !row.address)
    throw new Error(vscode.l10n.t('Run this from a blocked address in the Mail Servers tree.'));
  const { host, address } = row;
  await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: vscode.l10n.t('Unblocking {0} on {1}…', address, host.name),
      cancellable: true,
    },
    (_, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      return unblock(connections.for(host), address, abort.signal);
    },
  );
  void vscode.window.showInformationMessage(
    vscode.l10n.t('{0} is no longer blocked on {1}.', address, host.name),
  );
  await facts.gather(host);
}
