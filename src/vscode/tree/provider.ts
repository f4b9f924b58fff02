import * as vscode from 'vscode';
import type { FactsService } from '../facts-service';
import type { WorkspaceConfig } from '../workspace-config';
import { HostNode, type MailNode } from './nodes';

export class ServersTreeProvider implements vscode.TreeDataProvider<MailNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<MailNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[];

  constructor(
    private readonly config: WorkspaceConfig,
    private readonly facts: FactsService,
  ) {
    this.disposables = [
      this.changed,
      config.onDidChange(() => this.refresh()),
      facts.onDidChange(() => this.refresh()),
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
      return new HostNode(host, this.facts.state(host.name));
    });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
