// The Queue row under a server and one row per queued message (contextValue "queueItem": Show
// Headers, Delete from Queue, Retry Now). Their words come from src/panels/queue-view.ts, as on the
// command line.
import * as vscode from 'vscode';
import type { HostConfig } from '../../core/config';
import type { QueueItem, QueueListing } from '../../core/queue/items';
import { queueItemView, queueSummary } from '../../panels/queue-view';
import type { QueueState } from '../queue/queue-service';
import { MailNode, MessageNode } from './base';

export class QueueNode extends MailNode {
  constructor(
    override readonly host: HostConfig,
    readonly state: QueueState | undefined,
  ) {
    const s = state ?? { kind: 'loading' };
    const n = s.kind === 'ok' ? s.listing.items.length : undefined;
    super(
      n === undefined ? vscode.l10n.t('Queue') : vscode.l10n.t('Queue ({0})', n),
      s.kind === 'ok' && n === 0
        ? vscode.TreeItemCollapsibleState.None
        : vscode.TreeItemCollapsibleState.Collapsed,
    );
    this.id = `queue:${host.name}`;
    this.contextValue = 'queue';
    if (s.kind === 'ok') {
      this.description = queueSummary(s.listing, vscode.l10n);
      this.iconPath = new vscode.ThemeIcon(
        n ? 'mail' : 'inbox',
        n ? new vscode.ThemeColor('charts.yellow') : undefined,
      );
      this.tooltip = n
        ? vscode.l10n.t(
            'Messages chasquid has accepted and not yet delivered. It tries again by itself; right-click a message for its headers or to delete it.',
          )
        : vscode.l10n.t('chasquid has nothing waiting to be delivered.');
    } else if (s.kind === 'loading') {
      this.description = vscode.l10n.t('reading…');
      this.iconPath = new vscode.ThemeIcon('loading~spin');
    } else {
      this.description = vscode.l10n.t('not read');
      this.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('charts.yellow'));
      this.tooltip = s.message;
    }
  }

  override children(): MailNode[] {
    const s = this.state;
    if (s?.kind === 'error') return [new MessageNode(s.message, 'error')];
    if (s?.kind !== 'ok') return [];
    return s.listing.items.map((item) => new QueueItemNode(this.host, item, s.listing));
  }
}

export class QueueItemNode extends MailNode {
  constructor(
    override readonly host: HostConfig,
    readonly item: QueueItem,
    readonly listing: QueueListing,
  ) {
    const view = queueItemView(item, listing, vscode.l10n);
    super(view.label, vscode.TreeItemCollapsibleState.None);
    this.id = `queue:${host.name}:${item.id}`;
    this.description = view.description;
    this.tooltip = view.details.join('\n');
    this.iconPath = new vscode.ThemeIcon(item.lastError ? 'warning' : 'mail');
    this.contextValue = 'queueItem';
  }
}
