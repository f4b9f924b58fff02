// Steps that store a secret on the server run only after a yes to each: a modal that names the
// step, asked the same way by a single server's dashboard and by Provision All.
import * as vscode from 'vscode';

/** Asks for each step's consent in turn; the ids given, or undefined at the first no. */
export async function askConsents(
  missing: readonly { id: string; question: string }[],
): Promise<string[] | undefined> {
  const given: string[] = [];
  for (const { id, question } of missing) {
    const store = vscode.l10n.t('Store on the Server');
    const answer = await vscode.window.showWarningMessage(
      vscode.l10n.t('This step stores a secret on the server.'),
      { modal: true, detail: question },
      store,
    );
    if (answer !== store) return undefined;
    given.push(id);
  }
  return given;
}
