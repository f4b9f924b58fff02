// Entry point: wires the tree, commands and services. Heavy work (provisioning,
// ACME, DNS checks) is loaded on first use, never at activation.
import * as vscode from 'vscode';
import { Connections } from './connections';
import { FactsService } from './facts-service';
import { addServer } from './commands/add-server';
import { provision } from './commands/provision';
import { registerDashboardSerializer, type DashboardDeps } from './dashboard';
import { showFacts } from './commands/show-facts';
import { registerMailFeatures } from './commands/register-mail-features';
import { ServersTreeProvider } from './tree/provider';
import { WorkspaceConfig } from './workspace-config';
import { watchCertificates } from './certificate-watch';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Mailwright', { log: true });
  const config = new WorkspaceConfig(log);
  const connections = new Connections(context.secrets, log);
  const facts = new FactsService(connections, log);
  const tree = new ServersTreeProvider(config, facts);
  const dashboard: DashboardDeps = {
    extensionUri: context.extensionUri,
    config,
    connections,
    facts,
    secrets: context.secrets,
    log,
  };

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
    connections,
    facts,
    tree,
    treeView,
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (
        e.affectsConfiguration('mailwright.knownHostsFile') ||
        e.affectsConfiguration('mailwright.connectTimeoutSeconds')
      ) {
        connections.reset();
      }
    }),
    run('mailwright.refresh', async () => {
      facts.clear();
      await config.reload();
    }),
    run('mailwright.showFacts', (arg) => showFacts(config, facts, arg)),
    run('mailwright.addServer', () => addServer(config, connections, facts)),
    run('mailwright.provision', (arg) => provision(config, dashboard, arg)),
    // A dashboard left open comes back after a reload with its last state.
    registerDashboardSerializer(dashboard),
    watchCertificates(config, facts),
    run('mailwright.openConfig', async () => {
      const uri = config.uri;
      if (uri) await vscode.window.showTextDocument(uri);
    }),
  );
  context.subscriptions.push(...registerMailFeatures({ config, connections, facts, log, treeView, run }));
}

export function deactivate(): void {
  // Subscriptions close the connections.
}
