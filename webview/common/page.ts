// The page's side of the webview protocol (src/panels/protocol.ts), once for every panel: the
// VS Code API, the saved state, commands sent with a fresh requestId, what the extension sends
// checked before use (anything else is ignored), and `ready` once the page listens.
import type {
  Command,
  CommandBody,
  HostMessage,
  ReplyMessage,
  WebviewMessage,
} from '../../src/panels/protocol.js';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

export interface Page<C extends Command> {
  /** What the page saved before it was hidden or VS Code reloaded (unchecked). */
  saved: unknown;
  /** Keeps this across hiding and reloads. */
  save(state: unknown): void;
  /** Sends one command; its reply comes to onReply. */
  request(command: CommandBody<C>): void;
}

/** Connects the page (once): it says `ready`, and the extension answers with the state. */
export function connectPage<S, C extends Command>(opts: {
  isHostMessage: (v: unknown) => v is HostMessage<S>;
  onState: (state: S) => void;
  onReply: (reply: ReplyMessage) => void;
}): Page<C> {
  const api = acquireVsCodeApi();
  let nextRequest = 1;
  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    const message = event.data;
    if (!opts.isHostMessage(message)) return;
    if (message.type === 'reply') opts.onReply(message);
    else opts.onState(message.state);
  });
  const ready: WebviewMessage<C> = { type: 'ready' };
  api.postMessage(ready);
  return {
    saved: api.getState(),
    save: (state) => api.setState(state),
    request: (command) => api.postMessage({ ...command, requestId: nextRequest++ }),
  };
}
