// Read-only documents with a queued message's headers (mailwright-queue:/<host>/<id>): the text
// is put here by Show Headers, then opened; a document from a provider cannot be edited.
import * as vscode from 'vscode';

export const QUEUE_SCHEME = 'mailwright-queue';

export class QueueHeaderDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  uriOf(host: string, id: string): vscode.Uri {
    return vscode.Uri.from({ scheme: QUEUE_SCHEME, path: `/${host}/${id}` });
  }

  set(uri: vscode.Uri, text: string): void {
    this.texts.set(uri.toString(), text);
    this.changed.fire(uri);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return (
      this.texts.get(uri.toString()) ??
      vscode.l10n.t('(not read: right-click the message in the Queue row and choose Show Headers)') + '\n'
    );
  }

  dispose(): void {
    this.changed.dispose();
  }
}
