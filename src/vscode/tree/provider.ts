import * as vscode from 'vscode';
import type { FactsService } from '../facts-service';
import type { WorkspaceConfig } from '../workspace-config';
import type { QueueService } from '../queue/queue-service';
import { hasQueue, HostNode, type MailNode } from './nodes';

export class ServersTreeProvider implements vscode.TreeDataProvider<MailNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<MailNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[];

  constructor(
    private readonly config: WorkspaceConfig,
    private readonly facts: FactsService,
    private readonly queue?: QueueService,
  ) {
    this.disposables = [
      this.changed,
      config.onDidChange(() => this.refresh()),
      facts.onDidChange(() => this.refresh()),
      ...(queue ? [queue.onDidChange(() => this.refresh())] : []),
    ];
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: MailNode): vscode.TreeItem {
    return node;
  }

  async getChildren(node?: MailNode): Promise<MailNode[]> {
    if (node) return node.children();
    const config = await this.config.get();
    if (!config) return [];
    return config.hosts.map((host) => {
      this.facts.ensure(host);
      const facts = this.facts.state(host.name);
      if (this.queue && hasQueue(facts)) this.queue.ensure(host);
      return new HostNode(host, facts, this.queue?.state(host.name));
    });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
