// Every input a plan needs (new users' passwords), asked before Apply: titled, confirmed, and
// kept in memory for this run only. Apply itself never prompts.
import * as vscode from 'vscode';
import { inputsMissing, type Plan } from '../../core/plan';
import { MemorySecretStore, type SecretStore } from '../../core/remote';
import { askNewPassword } from '../commands/ask-password';

/**
 * Asks what `known` does not hold, one input after the other, calling `waiting` with what is
 * asked (undefined when done). The answers, or undefined when the user cancelled one.
 */
export async function collectPlanInputs(
  plans: readonly { plan: Plan; startAt?: string }[],
  known: SecretStore,
  waiting: (what: string | undefined) => void,
): Promise<MemorySecretStore | undefined> {
  const answers = new MemorySecretStore();
  try {
    for (const { plan, startAt } of plans) {
      for (const input of await inputsMissing(plan, known, startAt)) {
        if (await answers.get(input.key)) continue;
        // The label comes from src/core, in English, and names the address.
        waiting(input.short);
        const value = await askNewPassword(input.label, vscode.l10n.t('{0} (again)', input.label));
        if (!value) return undefined;
        await answers.set(input.key, value);
      }
    }
    return answers;
  } finally {
    waiting(undefined);
  }
}
