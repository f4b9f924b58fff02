import * as vscode from 'vscode';
import type { FactsService } from '../facts-service';
import type { WorkspaceConfig } from '../workspace-config';
import { pickHost } from './pick-host';

export async function showFacts(config: WorkspaceConfig, facts: FactsService, arg: unknown): Promise<void> {
  const host = await pickHost(config, arg, vscode.l10n.t('Which server to show facts of?'));
  if (!host) return;
  const gathered = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: vscode.l10n.t('Gathering facts of {0}…', host.name),
      cancellable: true,
    },
    (_progress, token) => facts.gather(host, token),
  );
  const doc = await vscode.workspace.openTextDocument({
    language: 'json',
    content: JSON.stringify(gathered, null, 2) + '\n',
  });
  await vscode.window.showTextDocument(doc, { preview: true });
}
