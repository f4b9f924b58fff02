// What a panel's Copy button does on the extension's side: the text to the clipboard, and a word
// in the status bar that it happened.
import * as vscode from 'vscode';
import type { CopyMessage } from './message-guards';

export async function copyToClipboard(m: Pick<CopyMessage, 'text' | 'what'>): Promise<void> {
  await vscode.env.clipboard.writeText(m.text);
  vscode.window.setStatusBarMessage(vscode.l10n.t('Copied {0}', m.what), 3000);
}
