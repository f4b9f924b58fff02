// Translation for the pure modules that both the extension and its webviews run (tree rows, panel
// and dashboard states): they take an L10n, which is vscode.l10n in the extension and the page's
// translator (webview/common/l10n.ts) in a webview. No vscode import: webviews bundle this file.

export type L10nArg = string | number | boolean;

/** The part of vscode.l10n these modules use; the English text is the key, `{0}`… the arguments. */
export interface L10n {
  t(message: string, ...args: L10nArg[]): string;
}

/** `{0}`, `{1}`… replaced by the arguments, as vscode.l10n.t does; other braces stay as they are. */
export function formatMessage(message: string, args: readonly L10nArg[]): string {
  return message.replace(/\{(\d+)\}/g, (placeholder, index: string) => {
    const arg = args[Number(index)];
    return arg === undefined ? placeholder : String(arg);
  });
}

/**
 * A translation bundle as the text of the page's JSON data block (src/vscode/webview-page.ts):
 * "<" is escaped, so no text in it can end the element.
 */
export function bundleJson(bundle: Readonly<Record<string, string>>): string {
  return JSON.stringify(bundle).replace(/</g, '\\u003c');
}

/** The English text, for log lines (bug reports are read in English) and tests. */
export const ENGLISH: L10n = { t: (message, ...args) => formatMessage(message, args) };
