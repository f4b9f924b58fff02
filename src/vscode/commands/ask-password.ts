// A new password, asked twice in VS Code's own input and checked with the one password policy.
import * as vscode from 'vscode';
import { MIN_PASSWORD_LENGTH, passwordProblem } from '../../core/config';

/** The password, or undefined when the user cancelled either input. */
export async function askNewPassword(
  title: string,
  againTitle: string,
  prompt = vscode.l10n.t(
    'At least {0} characters. Stored on the server only as a hash, never in mailwright.yaml.',
    MIN_PASSWORD_LENGTH,
  ),
): Promise<string | undefined> {
  const first = await vscode.window.showInputBox({
    title,
    prompt,
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => {
      const problem = passwordProblem(v);
      return problem ? vscode.l10n.t('This password cannot be used: {0}.', problem) : undefined;
    },
  });
  if (!first) return undefined;
  const again = await vscode.window.showInputBox({
    title: againTitle,
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => (v === first ? undefined : vscode.l10n.t('The passwords differ.')),
  });
  return again === first ? first : undefined;
}
