// A small multi-step quick input: numbered steps, Back button, Escape cancels.
// Inputs are collected with native quick input, never a webview form (VS Code UX guidelines).
import * as vscode from 'vscode';

export const BACK = Symbol('back');
type StepResult<T> = T | typeof BACK | undefined;

export interface StepPosition {
  title: string;
  step: number;
  totalSteps: number;
}

export function inputStep(
  pos: StepPosition,
  opts: {
    prompt: string;
    value?: string;
    placeholder?: string;
    password?: boolean;
    validate?: (v: string) => string | undefined;
  },
): Promise<StepResult<string>> {
  return new Promise((resolve) => {
    const box = vscode.window.createInputBox();
    Object.assign(box, {
      title: pos.title,
      step: pos.step,
      totalSteps: pos.totalSteps,
      prompt: opts.prompt,
      value: opts.value ?? '',
      placeholder: opts.placeholder,
      password: opts.password ?? false,
      ignoreFocusOut: true,
      buttons: pos.step > 1 ? [vscode.QuickInputButtons.Back] : [],
    });
    let done = false;
    const finish = (v: StepResult<string>) => {
      if (done) return;
      done = true;
      resolve(v);
      box.dispose();
    };
    box.onDidTriggerButton(() => finish(BACK));
    box.onDidChangeValue((v) => {
      box.validationMessage = v ? opts.validate?.(v) : undefined;
    });
    box.onDidAccept(() => {
      const problem = opts.validate?.(box.value);
      if (problem) {
        box.validationMessage = problem;
        return;
      }
      finish(box.value);
    });
    box.onDidHide(() => finish(undefined));
    box.show();
  });
}

export function pickStep<T extends vscode.QuickPickItem>(
  pos: StepPosition,
  items: T[],
  placeholder: string,
  /** The item chosen before (coming back to this step), highlighted again. */
  isActive?: (item: T) => boolean,
): Promise<StepResult<T>> {
  return new Promise((resolve) => {
    const pick = vscode.window.createQuickPick<T>();
    Object.assign(pick, {
      title: pos.title,
      step: pos.step,
      totalSteps: pos.totalSteps,
      items,
      placeholder,
      ignoreFocusOut: true,
      buttons: pos.step > 1 ? [vscode.QuickInputButtons.Back] : [],
    });
    const active = isActive && items.find(isActive);
    if (active) pick.activeItems = [active];
    let done = false;
    const finish = (v: StepResult<T>) => {
      if (done) return;
      done = true;
      resolve(v);
      pick.dispose();
    };
    pick.onDidTriggerButton(() => finish(BACK));
    pick.onDidAccept(() => finish(pick.selectedItems[0]));
    pick.onDidHide(() => finish(undefined));
    pick.show();
  });
}
