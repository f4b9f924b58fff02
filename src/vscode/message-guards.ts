// Run-time checks of the messages between the extension and its webviews: both sides check
// what they receive (a webview is untrusted input). No vscode import: webviews bundle it too.

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isStr = (v: unknown): v is string => typeof v === 'string';
export const isOptStr = (v: unknown) => v === undefined || isStr(v);
export const isStrArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);
export const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
