// The extension's side of the webview protocol (src/panels/protocol.ts), once for every panel:
// the page shell, the icon, the `ready` → state answer, commands checked by the panel's protocol
// and answered with one reply each, and the end of it all when the panel is closed. Messages that
// fail the protocol's checks are logged and dropped; a command the user cancelled gets no reply
// (the page keeps waiting for the new state) unless the panel says otherwise.
import * as vscode from 'vscode';
import type { Command, HostMessage, PanelProtocol, ReplyMessage } from '../panels/protocol';
import { webviewOptions, webviewPage } from './webview-page';

export interface PanelHostOptions<S, C extends Command> {
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  protocol: PanelProtocol<S, C>;
  /** "DNS panel", "Dashboard": names the panel in the log. */
  name: string;
  /** The front end: dist/webview/<bundle>.js. */
  bundle: string;
  /** The page's title. */
  title: string;
  /** Whether a cancelled command is answered (with its error) or left unanswered. */
  replyWhenCancelled?: boolean;
}

/** A new panel of this protocol's view type. */
export function openWebviewPanel(
  protocol: PanelProtocol<unknown, Command>,
  extensionUri: vscode.Uri,
  title: string,
  column: vscode.ViewColumn = vscode.ViewColumn.Active,
): vscode.WebviewPanel {
  return vscode.window.createWebviewPanel(protocol.viewType, title, column, webviewOptions(extensionUri));
}

/** A panel VS Code hands back after a reload gets this version's options again. */
export function reviveWebviewPanel(panel: vscode.WebviewPanel, extensionUri: vscode.Uri): void {
  panel.webview.options = webviewOptions(extensionUri);
}

export abstract class WebviewPanelHost<S, C extends Command> {
  private closed = false;
  private readonly subscriptions: vscode.Disposable[] = [];

  protected constructor(
    protected readonly panel: vscode.WebviewPanel,
    private readonly options: PanelHostOptions<S, C>,
  ) {
    panel.iconPath = vscode.Uri.joinPath(options.extensionUri, 'media', 'mail.svg');
    panel.webview.html = webviewPage(panel.webview, options.extensionUri, {
      bundle: options.bundle,
      title: options.title,
    });
    this.subscriptions.push(panel.webview.onDidReceiveMessage((message: unknown) => this.receive(message)));
    panel.onDidDispose(() => {
      this.closed = true;
      for (const s of this.subscriptions.splice(0)) s.dispose();
      this.onDispose();
    });
  }

  /** The state the page shows. */
  protected abstract currentState(): S;

  /** Carries out one command; throws to answer with an error. */
  protected abstract handle(command: C): Promise<void>;

  /** The panel was closed. */
  protected onDispose(): void {}

  /** The page is ready: it gets the state. */
  protected onReady(): void {
    this.sendState();
  }

  protected get disposed(): boolean {
    return this.closed;
  }

  /** Ended with the panel. */
  protected track(subscription: vscode.Disposable): void {
    if (this.closed) subscription.dispose();
    else this.subscriptions.push(subscription);
  }

  /** Sends the current state to the page now. */
  protected sendState(): void {
    this.postToPage({ type: 'state', state: this.currentState() });
  }

  private postToPage(message: HostMessage<S>): void {
    if (!this.closed) void this.panel.webview.postMessage(message);
  }

  private receive(message: unknown): void {
    const { protocol, log, name, replyWhenCancelled } = this.options;
    if (!protocol.isWebviewMessage(message)) {
      log.warn(`${name}: ignored an unexpected message from the webview`);
      return;
    }
    if (message.type === 'ready') return this.onReady();
    const command = message as C;
    const reply = (ok: boolean, error?: string) => {
      const answer: ReplyMessage = { type: 'reply', requestId: command.requestId, ok, error };
      this.postToPage(answer);
    };
    void this.handle(command).then(
      () => reply(true),
      (e: Error) => {
        if (replyWhenCancelled || !(e instanceof vscode.CancellationError)) reply(false, e.message);
      },
    );
  }
}
