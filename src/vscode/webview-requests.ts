// The extension's side of the one webview protocol every panel speaks: the page says `ready`
// (answered with the panel's state), then sends commands, each with a requestId that gets one
// `reply` (ok, or the error's message). Messages that fail the panel's guard are logged and
// dropped; a command the user cancelled gets no reply (the page keeps waiting for the new state).
import * as vscode from 'vscode';

export interface WebviewReply {
  type: 'reply';
  requestId: number;
  ok: boolean;
  error?: string;
}

export interface WebviewRequests<M extends { type: string }> {
  panel: vscode.WebviewPanel;
  /** "DNS panel", "Dashboard": names the panel in the log. */
  name: string;
  log: vscode.LogOutputChannel;
  isMessage(v: unknown): v is M;
  /** The page is ready: send it the state. */
  onReady(): void;
  /** Carries out one command; throws to answer with an error. */
  handle(m: Exclude<M, { type: 'ready' }>): Promise<void>;
  /** Whether a cancelled command is answered (with its error) or left unanswered. */
  replyWhenCancelled?: boolean;
}

/** Listens to the page until the panel is disposed. */
export function answerWebview<M extends { type: string; requestId?: number }>(
  opts: WebviewRequests<M>,
): vscode.Disposable {
  let disposed = false;
  const reply = (requestId: number, ok: boolean, error?: string) => {
    const message: WebviewReply = { type: 'reply', requestId, ok, error };
    if (!disposed) void opts.panel.webview.postMessage(message);
  };
  const subscription = opts.panel.webview.onDidReceiveMessage((message: unknown) => {
    if (!opts.isMessage(message)) {
      opts.log.warn(`${opts.name}: ignored an unexpected message from the webview`);
      return;
    }
    if (message.type === 'ready') return opts.onReady();
    const requestId = message.requestId ?? 0;
    void opts.handle(message as Exclude<M, { type: 'ready' }>).then(
      () => reply(requestId, true),
      (e: Error) => {
        if (opts.replyWhenCancelled || !(e instanceof vscode.CancellationError))
          reply(requestId, false, e.message);
      },
    );
  });
  const disposal = opts.panel.onDidDispose(() => (disposed = true));
  return {
    dispose() {
      disposed = true;
      subscription.dispose();
      disposal.dispose();
    },
  };
}
