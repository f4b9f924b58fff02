// Config files on the server (opened through the mailwright:// file system) and the log tail.
import * as vscode from 'vscode';
import type { HostConfig } from '../../core/config';
import { confUriParts } from '../fs/remote-paths';
import { MailNode } from './base';

export class ConfigFilesNode extends MailNode {
  constructor(override readonly host: HostConfig) {
    super(vscode.l10n.t('Config files'), vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `conf:${host.name}`;
    this.iconPath = new vscode.ThemeIcon('file-submodule');
    this.contextValue = 'configFiles';
    this.tooltip = vscode.l10n.t(
      '/etc/chasquid on the server. Saving checks the file, uploads it atomically, restarts chasquid when needed and commits a snapshot to this workspace.',
    );
  }
  override children(): MailNode[] {
    const files = ['chasquid.conf', ...this.host.domains.map((d) => `domains/${d.name}/aliases`)];
    return files.map((f) => new ConfigFileNode(this.host, `/etc/chasquid/${f}`));
  }
}

export class ConfigFileNode extends MailNode {
  readonly uri: vscode.Uri;
  constructor(
    override readonly host: HostConfig,
    readonly path: string,
  ) {
    super(path.replace('/etc/chasquid/', ''), vscode.TreeItemCollapsibleState.None);
    this.id = `file:${host.name}:${path}`;
    this.uri = vscode.Uri.from(confUriParts(host.name, path));
    this.resourceUri = this.uri;
    this.iconPath = vscode.ThemeIcon.File;
    this.contextValue = 'configFile';
    this.tooltip = `${host.name}:${path}`;
    this.command = { command: 'mailwright.openConfigFile', title: vscode.l10n.t('Open'), arguments: [this] };
  }
}

export class LogsNode extends MailNode {
  constructor(override readonly host: HostConfig) {
    super(vscode.l10n.t('Logs'), vscode.TreeItemCollapsibleState.None);
    this.id = `logs:${host.name}`;
    this.iconPath = new vscode.ThemeIcon('output');
    this.contextValue = 'logs';
    this.description = vscode.l10n.t('tail');
    this.tooltip = vscode.l10n.t(
      "Follow chasquid's log live (journalctl -u chasquid -f) in a read-only editor.",
    );
    this.command = { command: 'mailwright.tailLogs', title: vscode.l10n.t('Tail Logs'), arguments: [this] };
  }
}
