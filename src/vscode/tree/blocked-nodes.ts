// The addresses fail2ban blocks on a server after repeated failed SMTP logins (read with the
// facts, already checked to be addresses), each with an Unblock action.
import * as vscode from 'vscode';
import type { HostConfig } from '../../core/config';
import { MailNode } from './base';

export class BlockedNode extends MailNode {
  constructor(
    override readonly host: HostConfig,
    private readonly addresses: readonly string[],
  ) {
    super(
      vscode.l10n.t('Blocked ({0})', addresses.length),
      addresses.length > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    this.id = `blocked:${host.name}`;
    this.iconPath = new vscode.ThemeIcon('shield');
    this.contextValue = 'blocked';
    this.tooltip = vscode.l10n.t(
      'Addresses refused on ports 25, 465 and 587 after repeated failed logins (fail2ban; mailwright.yaml: bruteForce). SSH is never blocked.',
    );
  }

  override children(): MailNode[] {
    return this.addresses.map((a) => new BlockedAddressNode(this.host, a));
  }
}

export class BlockedAddressNode extends MailNode {
  constructor(
    override readonly host: HostConfig,
    readonly address: string,
  ) {
    super(address, vscode.TreeItemCollapsibleState.None);
    this.id = `blocked:${host.name}:${address}`;
    this.iconPath = new vscode.ThemeIcon('circle-slash');
    this.contextValue = 'blockedAddress';
    this.tooltip = vscode.l10n.t('{0} is blocked on the mail ports of {1}.', address, host.name);
  }
}
