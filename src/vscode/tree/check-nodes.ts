// The "Health Checks" row of a server and one row per check under it: the last "Check Now" from
// here, or else the last run of the server's own checks (read from its state file with the
// facts). Each row's icon is its status; its tooltip tells what was seen and the fix.
import * as vscode from 'vscode';
import { countStatuses, type Check, type CheckStatus } from '../../core/checks';
import type { ServerCheckReport } from '../../core/checks/server';
import type { HostConfig } from '../../core/config';
import { printable } from '../../core/printable';
import { ChecksService } from '../checks/service';
import { MailNode } from './base';

const ICONS: Record<CheckStatus, [string, string | undefined]> = {
  pass: ['pass', 'charts.green'],
  warn: ['warning', 'charts.yellow'],
  fail: ['error', 'charts.red'],
  skip: ['circle-slash', undefined],
};

const icon = (status: CheckStatus) => {
  const [id, color] = ICONS[status];
  return new vscode.ThemeIcon(id, color ? new vscode.ThemeColor(color) : undefined);
};

/** The report to show: the newer of this editor's check and the server's own last run. */
function shownReport(host: string): ServerCheckReport | undefined {
  const service = ChecksService.active;
  const mine = service?.entry(host)?.report;
  const server = service?.serverState(host).lastRun;
  if (!mine) return server;
  if (!server) return mine;
  return Date.parse(server.checkedAt) > Date.parse(mine.checkedAt) ? server : mine;
}

export class ServerChecksNode extends MailNode {
  constructor(override readonly host: HostConfig) {
    super(vscode.l10n.t('Health Checks'), vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `checks:${host.name}`;
    this.contextValue = 'serverChecks';
    const service = ChecksService.active;
    const entry = service?.entry(host.name);
    const report = shownReport(host.name);
    const open = Object.keys(service?.serverState(host.name).open ?? {}).length;
    const tip = new vscode.MarkdownString(undefined, true);
    if (entry?.running) {
      this.iconPath = new vscode.ThemeIcon('loading~spin');
      this.description = vscode.l10n.t('checking…');
    } else if (report) {
      const counts = countStatuses(report.checks);
      this.iconPath = icon(counts.fail ? 'fail' : counts.warn ? 'warn' : 'pass');
      const when = new Date(report.checkedAt).toLocaleString(vscode.env.language);
      this.description =
        report.ranOn === 'server'
          ? vscode.l10n.t(
              '{0} failed, {1} warning(s) · the server checked {2}',
              counts.fail,
              counts.warn,
              when,
            )
          : vscode.l10n.t('{0} failed, {1} warning(s) · checked {2}', counts.fail, counts.warn, when);
    } else {
      this.iconPath = new vscode.ThemeIcon('pulse');
      this.description = vscode.l10n.t('not checked');
    }
    tip.appendText(
      vscode.l10n.t(
        'Run "Check Now" to check the certificate, DNS records, blocklists, services and free space.',
      ),
    );
    if (open > 0)
      tip
        .appendMarkdown('\n\n$(bell) ')
        .appendText(vscode.l10n.t('{0} open problem(s) the server alerted about', open));
    if (entry?.error) tip.appendMarkdown('\n\n$(error) ').appendText(entry.error);
    this.tooltip = tip;
  }

  override children(): MailNode[] {
    return (shownReport(this.host.name)?.checks ?? []).map((c) => new CheckNode(this.host, c));
  }
}

export class CheckNode extends MailNode {
  constructor(
    override readonly host: HostConfig,
    readonly check: Check,
  ) {
    // Titles, evidence and fixes may quote the server and DNS: shown with control characters neutralised.
    super(printable(check.title), vscode.TreeItemCollapsibleState.None);
    this.id = `check:${host.name}:${check.id}`;
    this.contextValue = `check.${check.status}`;
    this.iconPath = icon(check.status);
    this.description = printable(check.evidence[0] ?? '');
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown('**').appendText(printable(check.title)).appendMarkdown('**\n\n');
    for (const line of check.evidence) tip.appendText(printable(line)).appendMarkdown('  \n');
    if (check.fix && check.status !== 'pass')
      tip.appendMarkdown('\n').appendText(vscode.l10n.t('Fix: {0}', printable(check.fix)));
    this.tooltip = tip;
  }
}

/** How many problems the servers' own checks alerted about and are still open (the view's badge). */
export function openServerProblems(hosts: readonly HostConfig[]): number {
  const service = ChecksService.active;
  return hosts.reduce((n, h) => n + Object.keys(service?.serverState(h.name).open ?? {}).length, 0);
}
