// The queue's commands and its header documents, registered at activation; the SSH work loads with
// the "queue" bundle on first use.
import * as vscode from 'vscode';
import { nextTryText } from '../../panels/queue-view';
import { load } from '../lazy';
import type { RemoteAccess } from '../remote-access';
import { QueueItemNode, QueueNode } from '../tree/queue-nodes';
import { QUEUE_SCHEME, QueueHeaderDocuments } from './header-documents';
import type { QueueService } from './queue-service';

export interface QueueFeatureDeps {
  remote: RemoteAccess;
  queue: QueueService;
  run: (name: string, fn: (...args: unknown[]) => unknown) => vscode.Disposable;
}

function itemNode(arg: unknown): QueueItemNode {
  if (arg instanceof QueueItemNode) return arg;
  throw new Error(vscode.l10n.t("Choose a message under a server's Queue row in the Mail Servers view."));
}

export function registerQueueFeatures({ remote, queue, run }: QueueFeatureDeps): vscode.Disposable[] {
  const documents = new QueueHeaderDocuments();
  return [
    documents,
    vscode.workspace.registerTextDocumentContentProvider(QUEUE_SCHEME, documents),
    run('mailwright.queue.refresh', async (arg) => {
      if (arg instanceof QueueNode) await queue.read(arg.host);
    }),
    run('mailwright.queue.showHeaders', async (arg) => {
      const node = itemNode(arg);
      const [{ showHeadersAction }, connections] = await Promise.all([load('queue'), remote.get()]);
      await showHeadersAction(connections, documents, { host: node.host, item: node.item });
    }),
    run('mailwright.queue.delete', async (arg) => {
      const node = itemNode(arg);
      const [{ deleteFromQueueAction }, connections] = await Promise.all([load('queue'), remote.get()]);
      if (await deleteFromQueueAction(connections, { host: node.host, item: node.item }))
        await queue.read(node.host);
    }),
    // chasquid has no such operation: say so, and what it does instead.
    run('mailwright.queue.retry', (arg) => {
      const node = itemNode(arg);
      void vscode.window.showInformationMessage(
        vscode.l10n.t(
          'chasquid cannot retry one message on demand. It retries by itself (after 1, 5 and 10 minutes, then every 20 minutes) until it gives up and tells the sender; next try of this message: {0}. A restart of chasquid retries every queued message at once.',
          nextTryText(node.item, node.listing, vscode.l10n),
        ),
      );
    }),
  ];
}
