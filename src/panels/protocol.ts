// The one protocol every webview panel speaks with the extension, and the run-time checks of
// its messages. The page says `ready` and is answered with the panel's whole state; then it
// sends commands, each with a requestId that gets one `reply` (ok, or the error's message).
// Both sides check what they receive: a webview is another process, and a restored panel hands
// back whatever state an older version saved. Each panel names its state and its commands
// (src/panels/<panel>/messages.ts); the envelope and its checks are here, once.
// No vscode or node imports: the webviews bundle this file too.

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isStr = (v: unknown): v is string => typeof v === 'string';
export const isOptStr = (v: unknown) => v === undefined || isStr(v);
export const isStrArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);
export const isInt = (v: unknown): v is number => Number.isSafeInteger(v);

/** Webview → extension: the page is ready for its state. */
export interface ReadyMessage {
  type: 'ready';
}

/** Extension → webview: the answer to one command. */
export interface ReplyMessage {
  type: 'reply';
  requestId: number;
  ok: boolean;
  error?: string;
}

/** Extension → webview: the panel's whole state, or a reply. */
export type HostMessage<S> = { type: 'state'; state: S } | ReplyMessage;

/** A command a page sends: its own fields, a type and the requestId its reply carries. */
export type Command = { type: string; requestId: number };

/** Webview → extension: ready, or one of the panel's commands. */
export type WebviewMessage<C extends Command> = ReadyMessage | C;

/** A command without its requestId (which the page's request() adds), per member of the union. */
export type CommandBody<C extends Command> = C extends Command ? Omit<C, 'requestId'> : never;

/** For each command type, the check of its own fields (the type and requestId are checked here). */
export type CommandChecks<C extends Command> = { [K in C['type']]: (m: Obj) => boolean };

/** A panel's protocol: its view type, and the checks of what each side receives. */
export interface PanelProtocol<S, C extends Command> {
  viewType: string;
  isState(v: unknown): v is S;
  isWebviewMessage(v: unknown): v is WebviewMessage<C>;
  isHostMessage(v: unknown): v is HostMessage<S>;
}

/**
 * A Copy button's request, the same in every panel: `what` names the text in "Copied {0}".
 * Each panel lists it in its commands table with the check below.
 */
export interface CopyCommand {
  type: 'copy';
  requestId: number;
  text: string;
  what: string;
}

/**
 * The check of a Copy request's fields: `maxLength` is the longest text the panel shows
 * (anything longer was not what the page showed).
 */
export function isCopyMessage(m: Obj, maxLength: number): boolean {
  return isStr(m.text) && m.text.length <= maxLength && isStr(m.what);
}

export function isReply(v: unknown): v is ReplyMessage {
  return (
    isObj(v) && v.type === 'reply' && isInt(v.requestId) && typeof v.ok === 'boolean' && isOptStr(v.error)
  );
}

export function panelProtocol<S, C extends Command>(opts: {
  viewType: string;
  isState: (v: unknown) => v is S;
  commands: CommandChecks<C>;
}): PanelProtocol<S, C> {
  const checks: Record<string, (m: Obj) => boolean> = opts.commands;
  return {
    viewType: opts.viewType,
    isState: opts.isState,
    isWebviewMessage(v: unknown): v is WebviewMessage<C> {
      if (!isObj(v) || !isStr(v.type)) return false;
      if (v.type === 'ready') return true;
      // Own keys only: a type such as "constructor" is not a command.
      if (!Object.hasOwn(checks, v.type)) return false;
      return isInt(v.requestId) && checks[v.type]!(v);
    },
    isHostMessage(v: unknown): v is HostMessage<S> {
      if (!isObj(v)) return false;
      if (v.type === 'state') return opts.isState(v.state);
      return isReply(v);
    },
  };
}
