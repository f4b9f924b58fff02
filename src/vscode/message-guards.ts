// Run-time checks of the messages between the extension and its webviews: both sides check
// what they receive (a webview is untrusted input). No vscode import: webviews bundle it too.

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isStr = (v: unknown): v is string => typeof v === 'string';
export const isOptStr = (v: unknown) => v === undefined || isStr(v);
export const isStrArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);
export const isInt = (v: unknown): v is number => Number.isSafeInteger(v);

/**
 * A Copy button's request, the same in every panel: `what` names the text in "Copied {0}".
 * `maxLength` is the longest text the panel shows (anything longer was not what the page showed).
 */
export interface CopyMessage {
  type: 'copy';
  requestId: number;
  text: string;
  what: string;
}

export function isCopyMessage(v: Obj, maxLength: number): v is Obj & CopyMessage {
  return (
    v.type === 'copy' && isInt(v.requestId) && isStr(v.text) && v.text.length <= maxLength && isStr(v.what)
  );
}
