// DNS state per domain for the tree and the panel: the expected records (read once) and the
// last check's report, kept with its time until the next check; a change of mailwright.yaml
// drops only the findings of the records it changed. The DNS core loads on first use.
import * as vscode from 'vscode';
import type { DomainConfig, HostConfig } from '../../core/config';
import type { DnsReport, ExpectedRecord } from '../../core/dns/model';
import type { RemoteConnection } from '../../core/remote';
import type { FactsService } from '../facts-service';
import { ENGLISH } from '../../panels/l10n';
import type { DnsCore } from './core';
import type { DnsRowView } from '../../panels/dns/messages';
import { dnsInputs, entryRows, keptReport, type DnsEntryView } from '../../panels/dns/panel-state';
import { reportRows, summarize } from '../../panels/dns/rows';
import { dnsCheckSettings, DnsSettingError, type DnsCheckSettings } from './settings';

export type DnsEntry = DnsEntryView;

/** The mailwright.dns.* settings as check options: where to ask, what to probe, whether to ask blocklists. */
export function dnsSettings(): DnsCheckSettings {
  const settings = vscode.workspace.getConfiguration('mailwright');
  try {
    return dnsCheckSettings((key) => settings.get(key));
  } catch (e) {
    if (!(e instanceof DnsSettingError)) throw e;
    throw new Error(
      vscode.l10n.t(
        'Setting {0} "{1}" is not a domain name: set a domain whose mail servers accept connections on port 25, such as gmail.com, or clear it for the default.',
        e.setting,
        e.value,
      ),
    );
  }
}

export function dnsKey(host: string, domain: string): string {
  return `${host}/${domain}`;
}

export class DnsService implements vscode.Disposable {
  /** The running extension's service: tree rows are built deep inside the host's row and read it here. */
  static active: DnsService | undefined;

  private readonly entries = new Map<string, DnsEntry>();
  /** dnsInputs() of the configuration each entry's expected records were read from. */
  private readonly inputs = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<string>();
  /** Fires with dnsKey(host, domain) whose state changed. */
  readonly onDidChange = this.changed.event;

  constructor(
    /** The host's connection (the SSH bundle loads on first use). */
    private readonly connect: (host: HostConfig) => Promise<RemoteConnection>,
    private readonly facts: FactsService,
    private readonly log: vscode.LogOutputChannel,
    /** The DNS core, a bundle of its own loaded on first use. */
    private readonly loadCore: () => Promise<DnsCore>,
    /** Every host of mailwright.yaml, for a domain several of them serve. */
    private readonly fleet: () => Promise<readonly HostConfig[]>,
  ) {
    DnsService.active = this;
  }

  entry(host: string, domain: string): DnsEntry | undefined {
    return this.entries.get(dnsKey(host, domain));
  }

  /** The rows to show: the findings once checked, the expected records before. */
  rows(host: string, domain: string): DnsRowView[] {
    return entryRows(this.entry(host, domain));
  }

  summary(host: string, domain: string): string {
    return summarize(this.rows(host, domain), vscode.l10n);
  }

  /** Reads the expected records in the background, once per domain (until forgotten). */
  ensureExpected(host: HostConfig, domain: DomainConfig): void {
    const e = this.entry(host.name, domain.name);
    if (e?.expected || e?.expectedLoading || e?.expectedError) return;
    void this.expected(host, domain).catch(() => undefined);
  }

  async expected(host: HostConfig, domain: DomainConfig): Promise<ExpectedRecord[]> {
    const key = dnsKey(host.name, domain.name);
    this.update(key, { expectedLoading: true, expectedError: undefined });
    try {
      const core = await this.loadCore();
      const facts = this.currentFacts(host);
      const fleet = await this.fleet();
      const expected = await core.expectedForHost(
        await this.connect(host),
        host,
        domain,
        facts,
        undefined,
        fleet,
      );
      this.inputs.set(key, dnsInputs(host, domain, fleet));
      const report = this.entries.get(key)?.report;
      // Read again after mailwright.yaml changed: findings of records that did not change stay.
      const kept = report && keptReport(report, this.entries.get(key)?.expected, expected);
      this.update(key, { expected, expectedLoading: false, report: kept });
      return expected;
    } catch (e) {
      const message = (e as Error).message;
      this.log.error(`Expected DNS records of ${domain.name}: ${message}`);
      this.update(key, { expectedLoading: false, expectedError: message });
      throw e;
    }
  }

  /** Checks the domain's DNS under a cancellable progress notification; the report is cached. */
  async check(host: HostConfig, domain: DomainConfig): Promise<DnsReport | undefined> {
    const key = dnsKey(host.name, domain.name);
    if (this.entry(host.name, domain.name)?.checking) return undefined;
    this.update(key, { checking: true, checkError: undefined });
    try {
      // A bad setting stops the check before it connects anywhere.
      const settings = dnsSettings();
      const report = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: vscode.l10n.t('Checking the DNS records of {0}…', domain.name),
          cancellable: true,
        },
        async (_progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          const core = await this.loadCore();
          const facts = this.currentFacts(host) ?? (await this.facts.gather(host, token));
          // The check reads the DKIM keys itself: the expected records it hands over are fresh,
          // and the server is asked once.
          const fleet = await this.fleet();
          const result = await core.checkDomainDns(await this.connect(host), host, domain, {
            signal: abort.signal,
            facts,
            onExpected: (expected) => {
              this.inputs.set(key, dnsInputs(host, domain, fleet));
              this.update(key, { expected, expectedError: undefined });
            },
            fleet,
            ...settings,
          });
          if (abort.signal.aborted) throw new vscode.CancellationError();
          return result;
        },
      );
      this.update(key, { report, checking: false });
      this.log.info(
        `DNS of ${domain.name}: ${summarize(reportRows(report), ENGLISH)} (checked in ${report.durationMs} ms)`,
      );
      return report;
    } catch (e) {
      const cancelled = e instanceof vscode.CancellationError;
      const message = cancelled ? vscode.l10n.t('Check cancelled.') : (e as Error).message;
      if (!cancelled) this.log.error(`DNS check of ${domain.name}: ${message}`);
      this.update(key, { checking: false, checkError: message });
      if (cancelled) return undefined;
      throw e;
    }
  }

  /**
   * mailwright.yaml changed: a domain that left it is forgotten; one whose DNS inputs changed gets
   * its expected records read again, keeping the findings of the records that stayed the same;
   * the others (a new user, an alias) keep everything.
   */
  configChanged(hosts: readonly HostConfig[]): void {
    let forgotten = false;
    for (const key of [...this.entries.keys()]) {
      const host = hosts.find((h) => key.startsWith(`${h.name}/`));
      const domain = host?.domains.find((d) => key === dnsKey(host.name, d.name));
      if (!host || !domain) {
        this.entries.delete(key);
        this.inputs.delete(key);
        forgotten = true;
        continue;
      }
      const read = this.inputs.get(key);
      if (read === undefined || read === dnsInputs(host, domain, hosts)) continue;
      const entry = this.entries.get(key);
      if (entry?.expectedLoading || entry?.checking) continue;
      if (entry?.report) void this.expected(host, domain).catch(() => undefined);
      else {
        this.entries.delete(key);
        this.inputs.delete(key);
        forgotten = true;
      }
    }
    if (forgotten) this.changed.fire('');
  }

  private currentFacts(host: HostConfig) {
    const state = this.facts.state(host.name);
    return state?.kind === 'ok' ? state.facts : undefined;
  }

  private update(key: string, patch: Partial<DnsEntry>): void {
    this.entries.set(key, { ...this.entries.get(key), ...patch });
    this.changed.fire(key);
  }

  dispose(): void {
    if (DnsService.active === this) DnsService.active = undefined;
    this.changed.dispose();
  }
}
