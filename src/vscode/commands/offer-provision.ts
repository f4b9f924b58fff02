// A notification that names what changed in mailwright.yaml and offers to provision the host.
import * as vscode from 'vscode';

export async function offerProvisioning(hostName: string, message: string): Promise<void> {
  const provision = vscode.l10n.t('Provision Now');
  const answer = await vscode.window.showInformationMessage(message, provision);
  if (answer === provision) await vscode.commands.executeCommand('mailwright.provision', hostName);
}
