// "Mail: Provision Server": facts → plan (shown in an editor) → confirm → apply with
// progress and live output, cancellable. The webview dashboard will replace the plan document.
import * as vscode from 'vscode';
import { gatherFacts } from '../../core/facts';
import { snapshotConf } from '../../core/git';
import {
  applyPlan,
  eventPrinter,
  formatPlan,
  gatherWhenReady,
  planHost,
  type DriftDecision,
} from '../../core/plan';
import { describeTarget } from '../../core/remote';
import type { Connections } from '../connections';
import type { FactsService } from '../facts-service';
import { VscodeSecretStore } from '../secrets';
import type { WorkspaceConfig } from '../workspace-config';
import { pickHost } from './pick-host';

export async function provision(
  config: WorkspaceConfig,
  connections: Connections,
  facts: FactsService,
  secrets: vscode.SecretStorage,
  log: vscode.LogOutputChannel,
  arg: unknown,
): Promise<void> {
  const host = await pickHost(config, arg, 'to provision');
  if (!host) return;
  const conn = connections.for(host);

  const plan = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Planning ${host.name}`, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      const current = await gatherWhenReady(() => gatherFacts(conn, { signal: abort.signal }), {
        signal: abort.signal,
        onWaiting: (reason, ms) =>
          progress.report({ message: `${reason} Retrying in ${Math.round(ms / 1000)} s.` }),
      });
      return planHost(host, current);
    },
  );
  if (plan.actions.length === 0) {
    void vscode.window.showInformationMessage(`${host.name} already matches mailwright.yaml: nothing to do.`);
    return;
  }
  const text = formatPlan(plan, describeTarget(conn.target));
  await vscode.window.showTextDocument(
    await vscode.workspace.openTextDocument({ content: text + '\n', language: 'diff' }),
    {
      preview: true,
    },
  );

  const decisions: Record<string, DriftDecision> = {};
  for (const action of plan.actions.filter((a) => a.drift)) {
    const choice = await vscode.window.showQuickPick(
      [
        { label: 'Keep the server version', description: 'skip this step', decision: 'keep' as const },
        { label: 'Overwrite with Mailwright’s version', decision: 'overwrite' as const },
      ],
      { title: `${action.drift!.path} was edited on the server (diff in the plan)`, ignoreFocusOut: true },
    );
    if (!choice) return;
    decisions[action.drift!.path] = choice.decision;
  }

  const apply = 'Apply';
  const answer = await vscode.window.showWarningMessage(
    `Apply ${plan.actions.length} change(s) to ${host.name}?`,
    { modal: true, detail: plan.actions.map((a, i) => `${i + 1}. ${a.title}`).join('\n') },
    apply,
  );
  if (answer !== apply) return;

  log.show(true);
  const store = new VscodeSecretStore(secrets);
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Provisioning ${host.name}`, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      const print = eventPrinter((line) => log.info(line));
      return applyPlan(plan, {
        conn,
        host,
        secrets: store,
        askSecret: (_key, prompt) =>
          Promise.resolve(vscode.window.showInputBox({ prompt, password: true, ignoreFocusOut: true })),
        signal: abort.signal,
        driftDecisions: decisions,
        regather: () => gatherFacts(conn, { signal: abort.signal }),
        onEvent: (e) => {
          print(e);
          if (e.type === 'action-start') progress.report({ message: e.title, increment: 100 / e.total });
        },
      });
    },
  );
  void facts.gather(host).catch(() => undefined);
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (result.changedFiles.length > 0 && root) {
    // The conf directory's new state goes into the workspace repository (Source Control shows it).
    const loaded = await config.get();
    const snapshot = await snapshotConf(conn, {
      workspaceRoot: root,
      hostName: host.name,
      actions: plan.actions.filter((a) => result.applied.includes(a.id)).map((a) => a.title),
      remote: loaded?.git.remote,
    }).catch((e: Error) => {
      log.error(`Could not commit the configuration snapshot: ${e.message}`);
      return undefined;
    });
    if (snapshot?.committed) log.info(`Committed conf/${host.name}/ as ${snapshot.commit?.slice(0, 10)}`);
    if (snapshot?.push && !snapshot.push.ok)
      log.warn(`Push to ${snapshot.push.remote} failed: ${snapshot.push.error}`);
  }
  if (result.ok) {
    void vscode.window.showInformationMessage(
      `${host.name} is provisioned (${result.applied.length} step(s)).`,
    );
  } else if (result.cancelled) {
    void vscode.window.showWarningMessage(
      `Provisioning of ${host.name} was cancelled; the interrupted step was undone.`,
    );
  } else {
    void vscode.window.showErrorMessage(
      `Provisioning of ${host.name} failed at “${result.failed?.id}”: ${result.failed?.message}`,
      {
        detail: result.failed?.hint,
      },
    );
  }
}
