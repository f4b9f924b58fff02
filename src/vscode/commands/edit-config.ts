// Edits of mailwright.yaml from tree actions: load with comments, change, save atomically, reload.
import * as vscode from 'vscode';
import type { Document } from 'yaml';
import { loadConfig, saveConfig } from '../../core/config';
import type { WorkspaceConfig } from '../workspace-config';

export async function editConfig(config: WorkspaceConfig, edit: (document: Document) => void): Promise<void> {
  const uri = config.uri;
  if (!uri)
    throw new Error(vscode.l10n.t('Open a folder first: Mailwright keeps your servers in mailwright.yaml.'));
  const loaded = await loadConfig(uri.fsPath);
  edit(loaded.document);
  await saveConfig(uri.fsPath, loaded.document);
  await config.reload();
}
