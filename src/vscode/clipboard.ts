// What a panel's Copy button does on the extension's side: the text to the clipboard, and a word
// in the status bar that it happened.
import * as vscode from 'vscode';
import type { CopyCommand } from '../panels/protocol';

export async function copyToClipboard(m: Pick<CopyCommand, 'text' | 'what'>): Promise<void> {
  await vscode.env.clipboard.writeText(m.text);
  vscode.window.setStatusBarMessage(vscode.l10n.t('Copied {0}', m.what), 3000);
}
