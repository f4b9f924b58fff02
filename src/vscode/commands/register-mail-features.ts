// The tree's actions, the mailwright:// file system, the log tail and the status bar,
// registered at activation. Their code loads on first use (src/vscode/lazy.ts): activation
// registers commands and stand-in providers only.
import * as vscode from 'vscode';
import type { HostConfig } from '../../core/config';
import type { FactsService } from '../facts-service';
import { GIT_FILE_SCHEME, type GitHistoryChoice } from '../git-history';
import { load } from '../lazy';
import { LazyContentProvider, LazyFileSystem } from '../lazy-providers';
import type { RemoteAccess } from '../remote-access';
import type { MailNode } from '../tree/base';
import { SCHEME as CONF_SCHEME } from '../fs/remote-paths';
import { HealthStatus } from '../tree/health-status';
import type { WorkspaceConfig } from '../workspace-config';
import { pickHost } from './pick-host';

// logs/log-documents.ts LOG_SCHEME, which cannot be imported here: that module brings the tail
// session and SSH with it. A mismatch shows at once (Tail Logs opens nothing; test/ui/logs).
const LOG_DOCUMENT_SCHEME = 'mailwright-log';

export interface MailFeatureDeps {
  config: WorkspaceConfig;
  remote: RemoteAccess;
  facts: FactsService;
  log: vscode.LogOutputChannel;
  treeView: vscode.TreeView<MailNode>;
  gitHistory: GitHistoryChoice;
  run: (name: string, fn: (...args: unknown[]) => unknown) => vscode.Disposable;
  /** Where a backup passphrase is kept, when the user agrees. */
  secrets: vscode.SecretStorage;
}

export function registerMailFeatures(deps: MailFeatureDeps): vscode.Disposable[] {
  const { config, remote, facts, log, run, treeView, gitHistory, secrets } = deps;
  const files = new LazyFileSystem(async () => {
    const [{ MailFileSystem }, connections] = await Promise.all([load('files'), remote.get()]);
    return new MailFileSystem(config, connections, facts, log, (root) => gitHistory.keep(root));
  });
  const logs = new LazyContentProvider(
    async () => {
      const [{ LogDocuments }, connections] = await Promise.all([load('logs'), remote.get()]);
      return new LogDocuments(connections, log);
    },
    () => vscode.l10n.t('(not tailing: run "Mail: Tail Logs" again)') + '\n',
  );
  const health = new HealthStatus(config, facts);
  const host = async (arg: unknown, question: string): Promise<HostConfig | undefined> =>
    pickHost(config, arg, question);
  const actions = () => load('actions');

  return [
    files,
    logs,
    health,
    vscode.workspace.registerFileSystemProvider(CONF_SCHEME, files, { isCaseSensitive: true }),
    vscode.workspace.registerTextDocumentContentProvider(LOG_DOCUMENT_SCHEME, logs),
    treeView.onDidChangeSelection((e) => health.select(e.selection[0]?.host)),
    run('mailwright.addUser', async (arg) =>
      (await actions()).addUserAction(config, await remote.get(), arg),
    ),
    run('mailwright.removeUser', async (arg) =>
      (await actions()).removeUserAction(config, await remote.get(), arg),
    ),
    run('mailwright.resetPassword', async (arg) =>
      (await actions()).resetPasswordAction(config, await remote.get(), arg),
    ),
    run('mailwright.verifyUser', async (arg) => (await actions()).verifyUserAction(config, arg)),
    run('mailwright.mailSettings', async (arg) => (await actions()).mailSettingsAction(config, arg)),
    run('mailwright.addAlias', async (arg) => (await actions()).addAliasAction(config, arg)),
    run('mailwright.addCatchAll', async (arg) => (await actions()).addAliasAction(config, arg, true)),
    run('mailwright.openConfigFile', async (arg) => (await actions()).openConfigFileAction(config, arg)),
    run('mailwright.showFileHistory', async (arg) => (await actions()).showFileHistoryAction(arg)),
    run('mailwright.compareWithPrevious', async (arg) => (await actions()).compareWithPreviousAction(arg)),
    // A config file at a commit, read (with git, in the actions bundle) when a diff shows it.
    vscode.workspace.registerTextDocumentContentProvider(GIT_FILE_SCHEME, {
      provideTextDocumentContent: async (uri) => (await actions()).gitFileContent(uri),
    }),
    run('mailwright.tailLogs', async (arg) => {
      const h = await host(arg, vscode.l10n.t('Which server to tail the logs of?'));
      if (h) await (await logs.get()).open(h);
    }),
    run('mailwright.logs.stopFollowing', async (arg) => (await logs.get()).setFollowing(false, arg)),
    run('mailwright.logs.follow', async (arg) => (await logs.get()).setFollowing(true, arg)),
    run('mailwright.showRecentMessages', async (arg) => {
      const h = await host(arg, vscode.l10n.t('Which server to list the messages of?'));
      if (h) await (await load('logs')).showRecentMessages(await remote.get(), h);
    }),
    run('mailwright.commitConf', async (arg) => {
      const h = await host(arg, vscode.l10n.t('Which server to commit the configuration of?'));
      if (h) await (await actions()).commitConfAction(await remote.get(), h);
    }),
    run('mailwright.getTrustedCertificate', async (arg) => {
      const h = await host(arg, vscode.l10n.t('Which server needs a trusted certificate?'));
      if (h) await (await actions()).getTrustedCertificateAction(config, h);
    }),
    run('mailwright.unblock', async (arg) => (await actions()).unblockAction(await remote.get(), facts, arg)),
    run('mailwright.backup', async (arg) => {
      const h = await host(arg, vscode.l10n.t('Which server to back up?'));
      if (h) await (await load('backup')).backupAction(config, await remote.get(), secrets, h);
    }),
    run('mailwright.restoreBackup', async (arg) => {
      const h = await host(arg, vscode.l10n.t('Which server to restore a backup onto?'));
      if (h) await (await load('backup')).restoreAction(config, await remote.get(), secrets, h, log);
    }),
    run('mailwright.removeHost', async (arg) => {
      const h = await host(arg, vscode.l10n.t('Which server to remove?'));
      if (h) await (await actions()).removeHostAction(config, h);
    }),
  ];
}
