// Base rows of the "Mail Servers" tree; every kind of row is its own class (contextValue drives menus).
import * as vscode from 'vscode';
import type { HostConfig } from '../../core/config';

export abstract class MailNode extends vscode.TreeItem {
  /** The host this row belongs to, for commands run from it. */
  host?: HostConfig;
  children(): MailNode[] {
    return [];
  }
}

export class FactNode extends MailNode {
  constructor(label: string, description: string, icon: string, tooltip?: string, color?: string) {
    super(label, vscode.TreeItemCollapsibleState.None);
    this.description = description;
    this.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    this.tooltip = tooltip ?? vscode.l10n.t('{0}: {1}', label, description);
    this.contextValue = 'fact';
  }
}

export class MessageNode extends MailNode {
  constructor(message: string, icon: string) {
    super(message.split('\n')[0] ?? message, vscode.TreeItemCollapsibleState.None);
    this.iconPath = new vscode.ThemeIcon(icon);
    this.tooltip = message;
    this.contextValue = 'message';
  }
}
