// Edits of mailwright.yaml from tree actions: load with comments, change, check, save atomically,
// then the server's side if any (the file is put back when that fails), reload.
import * as vscode from 'vscode';
import type { Document } from 'yaml';
import { editConfigFile } from '../../core/config';
import type { WorkspaceConfig } from '../workspace-config';

export async function editConfig<T>(
  config: WorkspaceConfig,
  edit: (document: Document) => T,
  server: (result: T) => Promise<void> = async () => undefined,
): Promise<T> {
  const uri = config.uri;
  if (!uri)
    throw new Error(vscode.l10n.t('Open a folder first: Mailwright keeps your servers in mailwright.yaml.'));
  try {
    return await editConfigFile(uri.fsPath, edit, server);
  } finally {
    await config.reload();
  }
}
