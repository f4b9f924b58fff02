// The editor's actions on a queued message, in the "queue" bundle: its headers in a read-only
// document, and deleting it after a modal confirmation (chasquid restarts for it).
import * as vscode from 'vscode';
import type { HostConfig } from '../../core/config';
import { printable } from '../../core/printable';
import { deleteQueueMessage, QueueItemGoneError, showQueueMessage, type QueueItem } from '../../core/queue';
import { formatSize } from '../../panels/queue-view';
import type { Connections } from '../connections';
import type { QueueHeaderDocuments } from './header-documents';

export interface QueueItemTarget {
  host: HostConfig;
  item: QueueItem;
}

export async function showHeadersAction(
  connections: Connections,
  documents: QueueHeaderDocuments,
  target: QueueItemTarget,
): Promise<void> {
  const { host, item } = target;
  const message = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Window,
      title: vscode.l10n.t('Reading {0} from the queue…', item.id),
    },
    () => showQueueMessage(connections.for(host), item.id),
  );
  const text = [
    vscode.l10n.t(
      'Message {0} on {1}: from {2} to {3}, {4}.',
      message.id,
      host.name,
      printable(message.from),
      printable(message.to.join(', ')),
      formatSize(message.sizeBytes, vscode.l10n),
    ),
    vscode.l10n.t('Its headers as chasquid keeps them; the body stays on the server.'),
    '',
    printable(message.headers.replace(/\r\n/g, '\n'), { keepNewlines: true }),
    ...(message.headersCut
      ? ['', vscode.l10n.t('(the header section is longer than what was read: cut here)')]
      : []),
    '',
  ].join('\n');
  const uri = documents.uriOf(host.name, message.id);
  documents.set(uri, text);
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc, { preview: true });
}

/** True when the message was deleted. */
export async function deleteFromQueueAction(
  connections: Connections,
  target: QueueItemTarget,
): Promise<boolean> {
  const { host, item } = target;
  const yes = vscode.l10n.t('Delete');
  const answer = await vscode.window.showWarningMessage(
    vscode.l10n.t('Delete message {0} from the queue of {1}?', item.id, host.name),
    {
      modal: true,
      detail: vscode.l10n.t(
        'From {0} to {1}. It will not be delivered, and its sender is not told. chasquid is restarted for it and then tries the other queued messages at once.',
        printable(item.from),
        printable(item.to.join(', ')),
      ),
    },
    yes,
  );
  if (answer !== yes) return false;
  try {
    await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: vscode.l10n.t('Deleting {0} from the queue…', item.id),
      },
      () => deleteQueueMessage(connections.for(host), item.id),
    );
  } catch (e) {
    if (!(e instanceof QueueItemGoneError)) throw e;
    void vscode.window.showInformationMessage(
      vscode.l10n.t(
        '{0} is no longer in the queue: it was delivered, bounced or deleted meanwhile.',
        item.id,
      ),
    );
    return true;
  }
  void vscode.window.showInformationMessage(
    vscode.l10n.t('Deleted {0} from the queue of {1}.', item.id, host.name),
  );
  return true;
}
