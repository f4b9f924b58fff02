// Entry point: wires the tree, commands and services. Activation loads this bundle only
// (config, tree, command registration); SSH, provisioning, ACME, files and logs are separate
// bundles loaded on first use through src/vscode/lazy.ts.
import * as vscode from 'vscode';
import { FactsService } from './facts-service';
import { provision, provisionAll } from './commands/provision';
import { registerDashboardSerializer, type DashboardDeps } from './dashboard';
import { FACTS_SCHEME, FactsDocuments } from './commands/show-facts';
import { registerMailFeatures } from './commands/register-mail-features';
import { registerDnsFeatures } from './dns/register';
import { registerMailReport } from './mail-report/register';
import { registerReports } from './reports/register';
import { registerChecks } from './checks/register';
import { load } from './lazy';
import { RemoteAccess } from './remote-access';
import { ServersTreeProvider } from './tree/provider';
import { WorkspaceConfig } from './workspace-config';
import { watchCertificates } from './certificate-watch';
import { GitHistoryChoice } from './git-history';
import { QueueService } from './queue/queue-service';
import { registerQueueFeatures } from './queue/register';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Mailwright', { log: true });
  const config = new WorkspaceConfig(log);
  const remote = new RemoteAccess(context.secrets, log);
  const facts = new FactsService(remote, log);
  const queue = new QueueService(remote, facts, log);
  const tree = new ServersTreeProvider(config, facts, queue);
  const factsDocuments = new FactsDocuments(config, facts);
  const gitHistory = new GitHistoryChoice(context.workspaceState, config);
  const dashboard = async (): Promise<DashboardDeps> => ({
    extensionUri: context.extensionUri,
    config,
    connections: await remote.get(),
    facts,
    secrets: context.secrets,
    log,
    keepHistory: (root) => gitHistory.keep(root),
    // The DNS core is its own bundle: the dashboard asks for it only when a run is done.
    expectedRecords: async (conn, host, domain, facts) =>
      (await load('dns')).dnsCore.expectedForHost(
        conn,
        host,
        domain,
        facts,
        undefined,
        (await config.get())?.hosts,
      ),
  });

  const treeView = vscode.window.createTreeView('mailwright.servers', {
    treeDataProvider: tree,
    showCollapseAll: true,
  });
  const run = (name: string, fn: (...args: unknown[]) => unknown) =>
    vscode.commands.registerCommand(name, async (...args: unknown[]) => {
      try {
        await fn(...args);
      } catch (e) {
        const message = (e as Error).message;
        log.error(`${name}: ${message}`);
        void vscode.window.showErrorMessage(message.split('\n')[0] ?? message, {
          detail: message,
          modal: false,
        });
      }
    });

  context.subscriptions.push(
    log,
    config,
    remote,
    facts,
    tree,
    treeView,
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (
        e.affectsConfiguration('mailwright.knownHostsFile') ||
        e.affectsConfiguration('mailwright.connectTimeoutSeconds')
      ) {
        remote.reset();
      }
    }),
    run('mailwright.refresh', async () => {
      facts.clear();
      await config.reload();
    }),
    factsDocuments,
    vscode.workspace.registerTextDocumentContentProvider(FACTS_SCHEME, factsDocuments),
    run('mailwright.showFacts', (arg) => factsDocuments.show(arg)),
    run('mailwright.refreshFacts', (arg) => factsDocuments.refresh(arg)),
    run('mailwright.addServer', async () =>
      (await load('actions')).addServer(config, await remote.get(), facts),
    ),
    run('mailwright.provision', (arg) => provision(config, dashboard, arg)),
    run('mailwright.provisionAll', () => provisionAll(dashboard)),
    // A dashboard left open comes back after a reload with its last state.
    registerDashboardSerializer(dashboard),
    watchCertificates(config, facts),
    run('mailwright.openConfig', async () => {
      const uri = config.uri;
      if (uri) await vscode.window.showTextDocument(uri);
    }),
  );
  context.subscriptions.push(
    ...registerMailFeatures({
      config,
      remote,
      facts,
      log,
      treeView,
      run,
      gitHistory,
      secrets: context.secrets,
    }),
  );
  context.subscriptions.push(
    ...registerDnsFeatures({
      config,
      remote,
      facts,
      log,
      refreshTree: () => tree.refresh(),
      extensionUri: context.extensionUri,
      secrets: context.secrets,
      run,
    }),
  );
  context.subscriptions.push(...registerMailReport({ extensionUri: context.extensionUri, log, run, config }));
  context.subscriptions.push(
    ...registerReports({ config, remote, log, extensionUri: context.extensionUri, run }),
    ...registerChecks({
      config,
      remote,
      facts,
      log,
      treeView,
      refreshTree: () => tree.refresh(),
      secrets: context.secrets,
      run,
    }),
  );
  context.subscriptions.push(queue, ...registerQueueFeatures({ remote, queue, run }));
}

export function deactivate(): void {
  // Subscriptions close the connections.
}
