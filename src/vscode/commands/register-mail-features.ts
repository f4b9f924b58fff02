// The tree's actions, the mailwright:// file system, the log tail and the status bar,
// registered at activation. The heavy parts (git snapshots, SSH writes) run on first use only.
import * as vscode from 'vscode';
import type { HostConfig } from '../../core/config';
import type { Connections } from '../connections';
import type { FactsService } from '../facts-service';
import { MailFileSystem } from '../fs/provider';
import { SCHEME } from '../fs/remote-paths';
import { LOG_SCHEME, LogDocuments } from '../logs/log-documents';
import { showRecentMessages } from '../logs/recent-messages';
import { MailNode } from '../tree/base';
import { HealthStatus } from '../tree/health-status';
import type { WorkspaceConfig } from '../workspace-config';
import { pickHost } from './pick-host';
import {
  addAliasAction,
  addUserAction,
  commitConfAction,
  openConfigFileAction,
  removeHostAction,
  removeUserAction,
  resetPasswordAction,
} from './tree-actions';

export interface MailFeatureDeps {
  config: WorkspaceConfig;
  connections: Connections;
  facts: FactsService;
  log: vscode.LogOutputChannel;
  treeView: vscode.TreeView<MailNode>;
  run: (name: string, fn: (...args: unknown[]) => unknown) => vscode.Disposable;
}

export function registerMailFeatures(deps: MailFeatureDeps): vscode.Disposable[] {
  const { config, connections, facts, log, run, treeView } = deps;
  const files = new MailFileSystem(config, connections, facts, log);
  const logs = new LogDocuments(connections, log);
  const health = new HealthStatus(config, facts);
  const host = async (arg: unknown, purpose: string): Promise<HostConfig | undefined> =>
    pickHost(config, arg, purpose);

  return [
    files,
    logs,
    health,
    vscode.workspace.registerFileSystemProvider(SCHEME, files, { isCaseSensitive: true }),
    vscode.workspace.registerTextDocumentContentProvider(LOG_SCHEME, logs),
    treeView.onDidChangeSelection((e) => health.select(e.selection[0]?.host)),
    run('mailwright.addUser', (arg) => addUserAction(config, connections, arg)),
    run('mailwright.removeUser', (arg) => removeUserAction(config, connections, arg)),
    run('mailwright.resetPassword', (arg) => resetPasswordAction(connections, arg)),
    run('mailwright.addAlias', (arg) => addAliasAction(config, arg)),
    run('mailwright.addCatchAll', (arg) => addAliasAction(config, arg, true)),
    run('mailwright.openConfigFile', (arg) => openConfigFileAction(arg)),
    run('mailwright.tailLogs', async (arg) => {
      const h = await host(arg, vscode.l10n.t('to tail the logs of'));
      if (h) await logs.open(h);
    }),
    run('mailwright.showRecentMessages', async (arg) => {
      const h = await host(arg, vscode.l10n.t('to list the messages of'));
      if (h) await showRecentMessages(connections, h);
    }),
    run('mailwright.commitConf', async (arg) => {
      const h = await host(arg, vscode.l10n.t('to commit the configuration of'));
      if (h) await commitConfAction(connections, h);
    }),
    run('mailwright.removeHost', async (arg) => {
      const h = await host(arg, vscode.l10n.t('to remove'));
      if (h) await removeHostAction(config, h);
    }),
  ];
}
