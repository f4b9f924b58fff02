// The provisioning dashboard's host side: owns the plan, the run (and its AbortController)
// and the state; the webview only shows that state and sends the user's commands.
import * as vscode from 'vscode';
import type { DomainConfig, HostConfig } from '../../core/config';
import type { ExpectedRecord } from '../../core/dns/model';
import { gatherFacts, type Facts } from '../../core/facts';
import { applyCommitLines, snapshotConf } from '../../core/git';
import {
  applyPlan,
  consentsMissing,
  eventPrinter,
  gatherWhenReady,
  planHost,
  planInputs,
  type Plan,
} from '../../core/plan';
import {
  describeTarget,
  LayeredSecretStore,
  type RemoteConnection,
  type SecretStore,
} from '../../core/remote';
import type { Connections } from '../connections';
import type { FactsService } from '../facts-service';
import { VscodeSecretStore } from '../secrets';
import { askConsents } from './consent';
import { collectPlanInputs } from './inputs';
import type { WorkspaceConfig } from '../workspace-config';
import { copyToClipboard } from '../clipboard';
import { openWebviewPanel, reviveWebviewPanel, WebviewPanelHost } from '../webview-panel';
import {
  dashboardProtocol,
  isSavedWebviewState,
  type DashboardCommand,
  type DashboardState,
  type DriftDecision,
  type SummaryView,
} from '../../panels/dashboard/messages';
import {
  applyingState,
  gatheringState,
  nextSteps,
  plannedState,
  reduceEvent,
  restoredState,
  runEndNotice,
} from '../../panels/dashboard/state';

export interface DashboardDeps {
  extensionUri: vscode.Uri;
  config: WorkspaceConfig;
  connections: Connections;
  facts: FactsService;
  secrets: vscode.SecretStorage;
  log: vscode.LogOutputChannel;
  /** Whether snapshots may be committed to the workspace at this root (asked once per workspace). */
  keepHistory(root: string): Promise<boolean>;
  /** The DNS records a domain needs (the DNS bundle's expectedForHost), for the run's summary. */
  expectedRecords(
    conn: RemoteConnection,
    host: HostConfig,
    domain: DomainConfig,
    facts: Facts,
  ): Promise<ExpectedRecord[]>;
}

/** Live output arrives line by line: the webview gets at most one state per this many ms. */
const POST_INTERVAL_MS = 100;

export class DashboardPanel extends WebviewPanelHost<DashboardState, DashboardCommand> {
  private static readonly open = new Map<string, DashboardPanel>();

  /** Opens (or brings forward) the dashboard of a host and plans it. */
  static show(deps: DashboardDeps, host: HostConfig): void {
    const existing = DashboardPanel.open.get(host.name);
    if (existing) {
      existing.panel.reveal();
      if (!existing.busy) void existing.plan(host);
      return;
    }
    const panel = openWebviewPanel(
      dashboardProtocol,
      deps.extensionUri,
      vscode.l10n.t('Provision {0}', host.name),
    );
    const target = describeTarget(deps.connections.for(host).target);
    const dashboard = new DashboardPanel(deps, panel, gatheringState(host.name, target, vscode.l10n));
    void dashboard.plan(host);
  }

  /** After VS Code reloaded: show the last known state; a run did not survive, offer to plan again. */
  static restore(deps: DashboardDeps, panel: vscode.WebviewPanel, saved: unknown): void {
    const state = isSavedWebviewState(saved) ? restoredState(saved.state, vscode.l10n) : undefined;
    if (!state) {
      panel.dispose();
      return;
    }
    reviveWebviewPanel(panel, deps.extensionUri);
    DashboardPanel.open.get(state.hostName)?.panel.dispose();
    new DashboardPanel(deps, panel, state);
  }

  private planned?: Plan;
  private host?: HostConfig;
  private abort?: AbortController;
  private decisions: Record<string, DriftDecision> = {};
  private consents: string[] = [];
  private postTimer?: ReturnType<typeof setTimeout>;

  private constructor(
    private readonly deps: DashboardDeps,
    panel: vscode.WebviewPanel,
    private state: DashboardState,
  ) {
    super(panel, {
      extensionUri: deps.extensionUri,
      log: deps.log,
      protocol: dashboardProtocol,
      name: 'Dashboard',
      bundle: 'dashboard',
      title: vscode.l10n.t('Provision'),
      // A cancel asked from the page is answered, like any command.
      replyWhenCancelled: true,
    });
    DashboardPanel.open.set(state.hostName, this);
  }

  protected override currentState(): DashboardState {
    return this.state;
  }

  protected override onReady(): void {
    this.post(true);
  }

  protected override onDispose(): void {
    this.abort?.abort(); // closing the panel stops the run; the engine puts the step's files back
    clearTimeout(this.postTimer);
    if (DashboardPanel.open.get(this.state.hostName) === this)
      DashboardPanel.open.delete(this.state.hostName);
  }

  private get busy(): boolean {
    return this.state.phase === 'gathering' || this.state.phase === 'applying';
  }

  // ------------------------------------------------------------ messages

  protected override async handle(m: DashboardCommand): Promise<void> {
    switch (m.type) {
      case 'cancel':
        if (this.abort) this.abort.abort();
        else if (this.state.phase === 'planned')
          this.setState(
            {
              ...this.state,
              phase: 'cancelled',
              progress: vscode.l10n.t('Not applied: nothing was changed.'),
            },
            true,
          );
        else throw new Error(vscode.l10n.t('Nothing is running.'));
        return;
      case 'replan': {
        if (this.busy) throw new Error(vscode.l10n.t('Wait for the current run to finish or cancel it.'));
        const host = (await this.deps.config.get())?.hosts.find((h) => h.name === this.state.hostName);
        if (!host)
          throw new Error(vscode.l10n.t('{0} is no longer in mailwright.yaml.', this.state.hostName));
        void this.plan(host);
        return;
      }
      case 'apply':
        if (this.state.phase !== 'planned' || !this.planned)
          throw new Error(vscode.l10n.t('There is no plan to apply.'));
        this.startRun(m.decisions);
        return;
      case 'copy':
        return copyToClipboard(m);
      case 'rerun':
        if (!['failed', 'cancelled'].includes(this.state.phase) || !this.planned)
          throw new Error(vscode.l10n.t('Plan again: this run cannot be resumed.'));
        this.startRun(m.decisions, m.from);
        return;
    }
  }

  private setState(state: DashboardState, now = false): void {
    this.state = state;
    this.post(now);
  }

  /** Sends the state now, or coalesces bursts of output into one message per interval. */
  private post(now = false): void {
    if (this.disposed) return;
    const send = () => {
      this.postTimer = undefined;
      this.sendState();
    };
    if (now) {
      clearTimeout(this.postTimer);
      send();
    } else if (!this.postTimer) {
      this.postTimer = setTimeout(send, POST_INTERVAL_MS);
    }
  }

  // ------------------------------------------------------------ plan and apply

  private async plan(host: HostConfig): Promise<void> {
    this.host = host;
    this.planned = undefined;
    const conn = this.deps.connections.for(host);
    this.setState(gatheringState(host.name, describeTarget(conn.target), vscode.l10n), true);
    const abort = new AbortController();
    this.abort = abort;
    try {
      const facts = await gatherWhenReady(() => gatherFacts(conn, { signal: abort.signal }), {
        signal: abort.signal,
        // The reason comes from src/core, in English.
        onWaiting: (reason, ms) =>
          this.setState({
            ...this.state,
            progress: vscode.l10n.t('{0} Retrying in {1} s.', reason, Math.round(ms / 1000)),
          }),
      });
      this.setState({ ...this.state, progress: vscode.l10n.t('Planning…') });
      this.planned = planHost(host, facts);
      this.setState(plannedState(this.state, this.planned, vscode.l10n), true);
    } catch (e) {
      const message = abort.signal.aborted ? vscode.l10n.t('Cancelled.') : (e as Error).message;
      this.setState({ ...this.state, phase: 'error', progress: undefined, error: message }, true);
    } finally {
      if (this.abort === abort) this.abort = undefined;
    }
  }

  private startRun(decisions: Record<string, DriftDecision>, startAt?: string): void {
    const undecided = this.planned!.actions.filter((a) => a.drift && !decisions[a.drift.path]);
    if (undecided.length > 0)
      throw new Error(
        vscode.l10n.t('Choose Keep or Overwrite for {0}.', undecided.map((a) => a.drift!.path).join(', ')),
      );
    this.decisions = decisions;
    void this.askConsents().then(async (consents) => {
      if (!consents) return;
      this.consents = consents;
      const secrets = await this.collectInputs(startAt);
      if (secrets) void this.run(secrets, startAt);
    });
  }

  /**
   * The secrets of the run: every input the plan needs, asked now, before the first change
   * (answers given earlier, e.g. with Add User, are used without asking again).
   */
  private async collectInputs(startAt?: string): Promise<SecretStore | undefined> {
    const { connections, secrets } = this.deps;
    const known = new LayeredSecretStore(connections.pendingInputs, new VscodeSecretStore(secrets));
    const progress = this.state.progress;
    const answers = await collectPlanInputs([{ plan: this.planned!, startAt }], known, (what) =>
      this.setState(
        {
          ...this.state,
          progress: what === undefined ? progress : vscode.l10n.t('Waiting for: {0}', what),
        },
        true,
      ),
    );
    if (!answers) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Not applied: nothing was changed.'));
      return undefined;
    }
    return new LayeredSecretStore(answers, known);
  }

  /** Steps that store a secret on the server run only after a yes to each (a modal, not the webview). */
  private async askConsents(): Promise<string[] | undefined> {
    const given = await askConsents(consentsMissing(this.planned!));
    if (!given)
      void vscode.window.showInformationMessage(
        vscode.l10n.t('Nothing was changed. Set acme.renewOn: client to renew from this machine instead.'),
      );
    return given;
  }

  /** The records every domain now needs, from the server as it is after the run (its DKIM keys). */
  private async recordsToPublish(host: HostConfig): Promise<Pick<SummaryView, 'dns' | 'reverseDns'>> {
    const conn = this.deps.connections.for(host);
    try {
      // Not the plan's facts: on a fresh server they predate chasquid, so no DKIM key would be read.
      const after = await gatherFacts(conn);
      const records = [];
      for (const domain of host.domains)
        records.push(...(await this.deps.expectedRecords(conn, host, domain, after)));
      return nextSteps(records, vscode.l10n);
    } catch (e) {
      this.deps.log.warn(`${host.name}: cannot work out the DNS records: ${(e as Error).message}`);
      const note = vscode.l10n.t('see DNS Records in the Mail Servers view');
      return { dns: host.domains.map((d) => ({ type: 'TXT', name: d.name, note })), reverseDns: [] };
    }
  }

  private async run(runSecrets: SecretStore, startAt?: string): Promise<void> {
    const plan = this.planned!;
    const host = this.host!;
    const { log, connections } = this.deps;
    const conn = connections.for(host);
    const abort = new AbortController();
    this.abort = abort;
    const started = Date.now();
    this.setState(applyingState(this.state, vscode.l10n, startAt), true);
    const print = eventPrinter((line) => log.info(`${host.name}: ${line}`));
    try {
      const result = await applyPlan(plan, {
        conn,
        host,
        // Every input was collected before the run: nothing is asked while it changes the server.
        secrets: runSecrets,
        signal: abort.signal,
        driftDecisions: this.decisions,
        consents: this.consents,
        startAt,
        regather: () => gatherFacts(conn, { signal: abort.signal }),
        onEvent: (e) => {
          print(e);
          const ends = e.type === 'run-done' || e.type === 'run-failed' || e.type === 'run-cancelled';
          // The summary comes after the snapshot: "done" is shown only with it.
          if (e.type !== 'run-done') this.setState(reduceEvent(this.state, e, vscode.l10n), ends);
        },
      });
      void this.deps.facts.gather(host).catch(() => undefined); // the tree shows the new state
      if (!result.ok) return;
      // Passwords kept for this provision have done their work.
      for (const input of planInputs(plan, startAt)) await connections.pendingInputs.delete(input.key);
      this.setState(
        { ...this.state, progress: vscode.l10n.t('Committing the configuration snapshot…') },
        true,
      );
      const commit = await this.snapshot(host, plan, result.applied);
      const done = reduceEvent(
        this.state,
        { type: 'run-done', applied: result.applied, changedFiles: result.changedFiles },
        vscode.l10n,
      );
      this.setState(
        {
          ...done,
          summary: {
            applied: result.applied.length,
            changedFiles: result.changedFiles,
            ...commit,
            ...(await this.recordsToPublish(host)),
          },
        },
        true,
      );
    } catch (e) {
      this.setState(
        { ...this.state, phase: 'failed', progress: undefined, error: (e as Error).message },
        true,
      );
    } finally {
      if (this.abort === abort) this.abort = undefined;
      this.notifyEnd(host, Date.now() - started);
    }
  }

  /** The end of a run said in a notification too: the dashboard may be hidden behind other tabs. */
  private notifyEnd(host: HostConfig, ms: number): void {
    const notice = runEndNotice(this.state, host.mailHost, ms, vscode.l10n);
    if (!notice) return;
    const show = vscode.l10n.t('Show');
    const ask =
      notice.severity === 'info'
        ? vscode.window.showInformationMessage
        : notice.severity === 'warning'
          ? vscode.window.showWarningMessage
          : vscode.window.showErrorMessage;
    void ask(notice.message, show).then((answer) => {
      if (answer === show && !this.disposed) this.panel.reveal();
    });
  }

  /** The conf directory's new state, committed to the workspace repository (Source Control shows it). */
  private async snapshot(
    host: HostConfig,
    plan: Plan,
    applied: string[],
  ): Promise<{ commit?: string; commitNote?: string }> {
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (!root)
      return { commitNote: vscode.l10n.t('No workspace folder: the configuration was not committed.') };
    if (!(await this.deps.keepHistory(root)))
      return {
        commitNote: vscode.l10n.t(
          'Not kept in git: this workspace keeps no configuration history (git.history in mailwright.yaml decides).',
        ),
      };
    try {
      const loaded = await this.deps.config.get();
      const snapshot = await snapshotConf(this.deps.connections.for(host), {
        workspaceRoot: root,
        hostName: host.name,
        actions: applyCommitLines(plan, applied),
        remote: loaded?.git.remote,
      });
      const note = snapshot.committed
        ? vscode.l10n.t('conf/{0}/ in the workspace repository.', host.name)
        : vscode.l10n.t('conf/{0}/ was already up to date.', host.name);
      const push = snapshot.push;
      const commitNote =
        push && !push.ok
          ? vscode.l10n.t('{0} Push to {1} failed: {2}', note, push.remote, push.error ?? '')
          : note;
      return snapshot.committed ? { commit: snapshot.commit, commitNote } : { commitNote };
    } catch (e) {
      this.deps.log.error(`Could not commit the configuration snapshot: ${(e as Error).message}`);
      return {
        commitNote: vscode.l10n.t('Could not commit the configuration snapshot: {0}', (e as Error).message),
      };
    }
  }
}
