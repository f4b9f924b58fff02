// The editor's server checks: "Check Now" runs the same checks as `mailwright check` (the core,
// in the "dns" bundle) over the host's connection with fresh facts; the last report per host is
// kept for the tree, beside the results the server's own timer left in its state file.
import * as vscode from 'vscode';
import { parseCheckState, type CheckState } from '../../core/checks/alerts';
import type { ServerCheckReport } from '../../core/checks/server';
import type { HostConfig } from '../../core/config';
import type { RemoteConnection } from '../../core/remote';
import { dnsSettings } from '../dns/service';
import type { FactsService } from '../facts-service';
import { load } from '../lazy';

export interface ChecksEntry {
  report?: ServerCheckReport;
  running?: boolean;
  error?: string;
}

export class ChecksService implements vscode.Disposable {
  /** The running extension's service: tree rows read it (as DnsService.active). */
  static active: ChecksService | undefined;

  private readonly entries = new Map<string, ChecksEntry>();
  private readonly changed = new vscode.EventEmitter<string>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly connect: (host: HostConfig) => Promise<RemoteConnection>,
    private readonly facts: FactsService,
    private readonly log: vscode.LogOutputChannel,
    private readonly fleet: () => Promise<readonly HostConfig[]>,
  ) {
    ChecksService.active = this;
  }

  entry(host: string): ChecksEntry | undefined {
    return this.entries.get(host);
  }

  /** What the server's own checks last left (read with the facts); empty when it has none. */
  serverState(host: string): CheckState {
    const state = this.facts.state(host);
    return parseCheckState(state?.kind === 'ok' ? state.facts.checkState : undefined);
  }

  async check(host: HostConfig): Promise<ServerCheckReport | undefined> {
    if (this.entry(host.name)?.running) return undefined;
    this.update(host.name, { ...this.entry(host.name), running: true, error: undefined });
    try {
      const settings = dnsSettings();
      const report = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: vscode.l10n.t('Checking {0}…', host.name),
          cancellable: true,
        },
        async (_progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          // Fresh facts: a service that stopped since the tree was drawn must show.
          const facts = await this.facts.gather(host, token);
          const { runServerChecks } = await load('dns');
          const result = await runServerChecks(await this.connect(host), host, {
            ranOn: 'client',
            facts,
            fleet: await this.fleet(),
            dns: {
              ...(settings.resolvers && { resolvers: settings.resolvers }),
              ...(settings.authoritative && { authoritative: settings.authoritative }),
              ...(settings.dnsbl === false && { dnsbl: false as const }),
            },
            signal: abort.signal,
          });
          if (abort.signal.aborted) throw new vscode.CancellationError();
          return result;
        },
      );
      this.update(host.name, { report, running: false });
      const failed = report.checks.filter((c) => c.status === 'fail').length;
      const warned = report.checks.filter((c) => c.status === 'warn').length;
      this.log.info(
        `Checks of ${host.name}: ${failed} failed, ${warned} warning(s) in ${report.durationMs} ms`,
      );
      return report;
    } catch (e) {
      const cancelled = e instanceof vscode.CancellationError;
      const message = cancelled ? vscode.l10n.t('Check cancelled.') : (e as Error).message;
      if (!cancelled) this.log.error(`Checks of ${host.name}: ${message}`);
      this.update(host.name, { ...this.entry(host.name), running: false, error: message });
      if (cancelled) return undefined;
      throw e;
    }
  }

  private update(host: string, entry: ChecksEntry): void {
    this.entries.set(host, entry);
    this.changed.fire(host);
  }

  dispose(): void {
    this.changed.dispose();
    if (ChecksService.active === this) ChecksService.active = undefined;
  }
}
