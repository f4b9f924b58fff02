// "Mail: Provision All Servers": every host of mailwright.yaml planned at the same time, the
// combined plan shown in an editor, one confirmation, every host applied at once, and a result
// per host. The orchestration is the core's (src/core/plan/fleet.ts); this is its editor face.
import * as vscode from 'vscode';
import type { HostConfig } from '../../core/config';
import { gatherFacts } from '../../core/facts';
import { applyCommitLines, snapshotConf } from '../../core/git';
import {
  applyFleet,
  applyPlan,
  eventPrinter,
  fleetActionCount,
  formatFleetPlan,
  formatFleetResults,
  gatherWhenReady,
  oneAtATime,
  planFleet,
  planHost,
  planInputs,
  refuse,
  type FleetEntry,
  type FleetOutcome,
} from '../../core/plan';
import { CancelledError, describeTarget, LayeredSecretStore, type SecretStore } from '../../core/remote';
import { VscodeSecretStore } from '../secrets';
import { collectPlanInputs } from './inputs';
import type { DashboardDeps } from './panel';

/** Plans, confirms, applies; resolves with the per-host outcomes, or undefined when nothing ran. */
export async function provisionAll(deps: DashboardDeps): Promise<FleetOutcome[] | undefined> {
  const hosts = (await deps.config.get())?.hosts ?? [];
  if (hosts.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('mailwright.yaml has no servers yet.'));
    return undefined;
  }
  const entries = await withCancel(vscode.l10n.t('Planning {0} server(s)…', hosts.length), (signal) =>
    planAll(deps, hosts, signal),
  );
  if (!entries) return undefined;
  const plan = formatFleetPlan(entries);
  deps.log.info(`Provision All: combined plan\n${plan}`);
  await showText(plan);
  const actions = fleetActionCount(entries);
  const refused = entries.filter((e) => e.refused).map((e) => e.host);
  if (actions === 0) {
    const message =
      refused.length > 0
        ? vscode.l10n.t('Nothing to apply. Refused: {0} (see the plan).', refused.join(', '))
        : vscode.l10n.t('Every server already matches mailwright.yaml.');
    void vscode.window.showInformationMessage(message);
    return undefined;
  }
  const changing = entries.filter((e) => !e.refused && e.plan && e.plan.actions.length > 0);
  const apply = vscode.l10n.t('Apply');
  const answer = await vscode.window.showWarningMessage(
    vscode.l10n.t('Apply {0} action(s) to {1} server(s)?', actions, changing.length),
    {
      modal: true,
      detail: [
        vscode.l10n.t('Servers: {0}', changing.map((e) => e.host).join(', ')),
        ...(refused.length
          ? [vscode.l10n.t('Not changed (refused, see the plan): {0}', refused.join(', '))]
          : []),
      ].join('\n'),
    },
    apply,
  );
  if (answer !== apply) return undefined;
  // Every input of every server, before the first change: nothing is asked while they run.
  const known = new LayeredSecretStore(deps.connections.pendingInputs, new VscodeSecretStore(deps.secrets));
  const answers = await collectPlanInputs(
    changing.map((e) => ({ plan: e.plan! })),
    known,
    () => undefined,
  );
  if (!answers) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Not applied: nothing was changed.'));
    return undefined;
  }
  const secrets = new LayeredSecretStore(answers, known);
  const outcomes = await withCancel(vscode.l10n.t('Provisioning {0} server(s)…', changing.length), (signal) =>
    applyAll(deps, hosts, entries, secrets, signal),
  );
  if (!outcomes) return undefined;
  // Passwords kept for these provisions have done their work where the server took them.
  for (const outcome of outcomes.filter((o) => o.status === 'ok')) {
    const done = entries.find((e) => e.host === outcome.host)?.plan;
    for (const input of done ? planInputs(done) : []) await deps.connections.pendingInputs.delete(input.key);
  }
  const results = formatFleetResults(outcomes);
  deps.log.info(`Provision All: results\n${results}`);
  // The results first: what the user looks for once the run is over; the plan they confirmed below.
  await showText(`${results}\n\n${plan}\n`);
  const failed = outcomes.filter((o) => o.status === 'failed' || o.status === 'cancelled');
  if (failed.length === 0)
    void vscode.window.showInformationMessage(
      vscode.l10n.t('All {0} server(s) provisioned.', outcomes.length),
    );
  else
    void vscode.window.showErrorMessage(
      vscode.l10n.t(
        '{0} of {1} server(s) did not succeed: {2}.',
        failed.length,
        outcomes.length,
        failed.map((o) => o.host).join(', '),
      ),
    );
  return outcomes;
}

/** Runs `work` under a cancellable notification; undefined when the user cancelled. */
async function withCancel<T>(
  title: string,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T | undefined> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    async (_progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      try {
        return await work(abort.signal);
      } catch (e) {
        if (e instanceof CancelledError || abort.signal.aborted) return undefined;
        throw e;
      }
    },
  );
}

async function showText(content: string): Promise<void> {
  const document = await vscode.workspace.openTextDocument({ content, language: 'plaintext' });
  await vscode.window.showTextDocument(document, { preview: true });
}

/** Every host's facts and plan at the same time; files edited by hand refuse that host (decide in its own dashboard). */
async function planAll(deps: DashboardDeps, hosts: HostConfig[], signal: AbortSignal): Promise<FleetEntry[]> {
  const entries = await planFleet(
    hosts,
    async (host) => {
      const conn = deps.connections.for(host);
      const facts = await gatherWhenReady(() => gatherFacts(conn, { signal }), {
        signal,
        onWaiting: (reason) => deps.log.info(`${host.name}: ${reason}`),
      });
      return { plan: planHost(host, facts), target: describeTarget(conn.target) };
    },
    signal,
  );
  return entries.map((entry) => {
    const drifted = entry.plan?.actions.filter((a) => a.drift).map((a) => a.drift!.path) ?? [];
    return drifted.length > 0 && !entry.refused
      ? refuse(
          entry,
          vscode.l10n.t(
            'Edited on the server by hand: {0}. Provision this server on its own to keep or overwrite them.',
            drifted.join(', '),
          ),
        )
      : entry;
  });
}

async function applyAll(
  deps: DashboardDeps,
  hosts: HostConfig[],
  entries: FleetEntry[],
  secrets: SecretStore,
  signal: AbortSignal,
): Promise<FleetOutcome[]> {
  const commit = oneAtATime();
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const gitRemote = (await deps.config.get())?.git.remote;
  return applyFleet(entries, async (entry) => {
    const host = hosts.find((h) => h.name === entry.host)!;
    const conn = deps.connections.for(host);
    const result = await applyPlan(entry.plan, {
      conn,
      host,
      secrets,
      signal,
      regather: () => gatherFacts(conn, { signal }),
      onEvent: eventPrinter((line) => deps.log.info(`${host.name}: ${line}`)),
    });
    void deps.facts.gather(host).catch(() => undefined); // the tree shows the new state
    // Every apply snapshots, as a single server's does: git commits whenever the server differs
    // from the last commit, even after a run that changed nothing itself. One workspace
    // repository: one commit at a time.
    if (root)
      await commit(() =>
        snapshotConf(conn, {
          workspaceRoot: root,
          hostName: host.name,
          actions: applyCommitLines(entry.plan, result.applied),
          remote: gitRemote,
        }),
      ).catch((e: Error) =>
        deps.log.error(`${host.name}: could not commit the configuration snapshot: ${e.message}`),
      );
    return result;
  });
}
