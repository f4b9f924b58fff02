// A domain's rows: its users, its aliases (with the catch-all) and its DNS records.
import * as vscode from 'vscode';
import { clientSettings } from '../../core/client-settings';
import type { DomainConfig, HostConfig } from '../../core/config';
import { DnsService } from '../dns/service';
import type { DnsRowView } from '../../panels/dns/messages';
import { iconFor, needsFix, rowLabel, statusLabel, summarize, tooltipLines } from '../../panels/dns/rows';
import { MailNode, MessageNode } from './base';

/** Rows under a domain carry both, so commands know where they act. */
export interface DomainRow {
  host: HostConfig;
  domain: DomainConfig;
}

export class DomainNode extends MailNode implements DomainRow {
  constructor(
    override readonly host: HostConfig,
    readonly domain: DomainConfig,
  ) {
    super(domain.name, vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `domain:${host.name}:${domain.name}`;
    this.iconPath = new vscode.ThemeIcon('mail');
    this.contextValue = 'domain';
    const n = domain.users.length;
    this.description = n === 1 ? vscode.l10n.t('{0} user', n) : vscode.l10n.t('{0} users', n);
    this.tooltip = vscode.l10n.t('{0} on {1} ({2})', domain.name, host.name, host.mailHost);
  }
  override children(): MailNode[] {
    return [
      new UsersNode(this.host, this.domain),
      new AliasesNode(this.host, this.domain),
      new DnsRecordsNode(this.host, this.domain),
      // Only for a domain that keeps its reports: there is nothing to show otherwise.
      ...(this.domain.reports?.keep ? [new ReportsNode(this.host, this.domain)] : []),
    ];
  }
}

/** The DMARC and TLS reports the server kept about the domain (reports: keep): opens the Reports panel. */
export class ReportsNode extends MailNode implements DomainRow {
  constructor(
    override readonly host: HostConfig,
    readonly domain: DomainConfig,
  ) {
    super(vscode.l10n.t('Reports'), vscode.TreeItemCollapsibleState.None);
    this.id = `reports:${host.name}:${domain.name}`;
    this.iconPath = new vscode.ThemeIcon('graph');
    this.contextValue = 'reports';
    this.tooltip = vscode.l10n.t(
      'The DMARC and TLS reports receivers mailed about {0}, kept on {1}: who sends mail as the domain, and what fails',
      domain.name,
      host.name,
    );
    this.command = {
      command: 'mailwright.showReports',
      title: vscode.l10n.t('Show Reports'),
      arguments: [this],
    };
  }
}

export class UsersNode extends MailNode implements DomainRow {
  constructor(
    override readonly host: HostConfig,
    readonly domain: DomainConfig,
  ) {
    super(vscode.l10n.t('Users'), vscode.TreeItemCollapsibleState.Expanded);
    this.id = `users:${host.name}:${domain.name}`;
    this.iconPath = new vscode.ThemeIcon('organization');
    this.contextValue = 'users';
    this.description = String(domain.users.length);
  }
  override children(): MailNode[] {
    return this.domain.users.map((u) => new UserNode(this.host, this.domain, u));
  }
}

export class UserNode extends MailNode implements DomainRow {
  constructor(
    override readonly host: HostConfig,
    readonly domain: DomainConfig,
    readonly user: string,
  ) {
    super(`${user}@${domain.name}`, vscode.TreeItemCollapsibleState.None);
    this.id = `user:${host.name}:${domain.name}:${user}`;
    this.contextValue = 'user';
    const settings = clientSettings(host, domain, user);
    const { delivery } = settings;
    const lost = delivery.kind === 'lost';
    this.iconPath = new vscode.ThemeIcon(
      lost ? 'warning' : delivery.kind === 'mailbox' ? 'inbox' : 'account',
      lost ? new vscode.ThemeColor('charts.yellow') : undefined,
    );
    this.description =
      delivery.kind === 'mailbox'
        ? vscode.l10n.t('mailbox')
        : delivery.kind === 'forwarded'
          ? `→ ${delivery.forwardedTo.join(', ')}`
          : vscode.l10n.t('mail would be lost');
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`$(${lost ? 'warning' : 'mail'}) `).appendText(delivery.text);
    tip.appendMarkdown(`\n\n**${vscode.l10n.t('Mail program settings')}**\n\n`);
    if (settings.imap)
      tip.appendText(
        vscode.l10n.t('Incoming (IMAP): {0}, port {1}, SSL/TLS', settings.imap.host, settings.imap.port),
      );
    else tip.appendText(vscode.l10n.t('Incoming: none (this domain has no mailboxes; mail is forwarded)'));
    tip
      .appendMarkdown('\n\n')
      .appendText(
        vscode.l10n.t(
          'Outgoing (SMTP): {0}, port {1}, SSL/TLS (or port {2}, STARTTLS)',
          settings.smtp.host,
          settings.smtp.port,
          settings.smtpAlternative.port,
        ),
      );
    tip.appendMarkdown('\n\n').appendText(vscode.l10n.t('User name: {0}', settings.username));
    this.tooltip = tip;
  }
}

export class AliasesNode extends MailNode implements DomainRow {
  constructor(
    override readonly host: HostConfig,
    readonly domain: DomainConfig,
  ) {
    super(vscode.l10n.t('Aliases'), vscode.TreeItemCollapsibleState.Expanded);
    this.id = `aliases:${host.name}:${domain.name}`;
    this.iconPath = new vscode.ThemeIcon('references');
    this.contextValue = 'aliases';
    this.description = String(Object.keys(domain.aliases).length);
    this.tooltip = vscode.l10n.t(
      'Aliases forward mail: from mailwright.yaml; provision to apply them, or edit the aliases file on the server directly.',
    );
  }
  override children(): MailNode[] {
    return Object.entries(this.domain.aliases).map(
      ([from, to]) => new AliasNode(this.host, this.domain, from, to),
    );
  }
}

export class AliasNode extends MailNode implements DomainRow {
  constructor(
    override readonly host: HostConfig,
    readonly domain: DomainConfig,
    readonly alias: string,
    targets: readonly string[],
  ) {
    const catchAll = alias === '*';
    super(
      catchAll ? vscode.l10n.t('*@{0} (catch-all)', domain.name) : `${alias}@${domain.name}`,
      vscode.TreeItemCollapsibleState.None,
    );
    this.id = `alias:${host.name}:${domain.name}:${alias}`;
    this.description = `→ ${targets.join(', ')}`;
    this.iconPath = new vscode.ThemeIcon(catchAll ? 'asterisk' : 'arrow-right');
    this.contextValue = catchAll ? 'alias.catchAll' : 'alias';
    this.tooltip = catchAll
      ? vscode.l10n.t(
          'Every address of {0} without its own user or alias goes to {1}.',
          domain.name,
          targets.join(', '),
        )
      : vscode.l10n.t('{0}@{1} forwards to {2}.', alias, domain.name, targets.join(', '));
  }
}

/**
 * The records the domain needs: unchecked (expected values) until "Check DNS" runs, then the
 * findings of the last check with a status icon each. State lives in the DnsService.
 */
export class DnsRecordsNode extends MailNode implements DomainRow {
  constructor(
    override readonly host: HostConfig,
    readonly domain: DomainConfig,
  ) {
    super(vscode.l10n.t('DNS Records'), vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `dns:${host.name}:${domain.name}`;
    const dns = DnsService.active;
    const entry = dns?.entry(host.name, domain.name);
    const rows = dns?.rows(host.name, domain.name) ?? [];
    this.contextValue = entry?.report ? 'dnsRecords.checked' : 'dnsRecords';
    if (entry?.checking) {
      this.iconPath = new vscode.ThemeIcon('loading~spin');
      this.description = vscode.l10n.t('checking…');
    } else if (entry?.report) {
      const worst = rows.find((r) => needsFix(r) === 'error') ?? rows.find((r) => needsFix(r) === 'warning');
      const icon = iconFor(worst ?? { status: 'ok', severity: 'info' });
      this.iconPath = new vscode.ThemeIcon(
        icon.icon,
        icon.color ? new vscode.ThemeColor(icon.color) : undefined,
      );
      // The results stay until the next check: when they were taken is part of them.
      this.description = vscode.l10n.t(
        '{0} · checked {1}',
        summarize(rows, vscode.l10n),
        new Date(entry.report.checkedAt).toLocaleTimeString(vscode.env.language),
      );
    } else {
      this.iconPath = new vscode.ThemeIcon('symbol-namespace');
      this.description = vscode.l10n.t('not checked');
    }
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`**${vscode.l10n.t('DNS records of {0}', domain.name)}**\n\n`);
    if (entry?.report)
      tip.appendText(
        vscode.l10n.t(
          '{0} — checked {1} in {2} ms.',
          summarize(rows, vscode.l10n),
          new Date(entry.report.checkedAt).toLocaleString(vscode.env.language),
          entry.report.durationMs,
        ),
      );
    else
      tip.appendText(vscode.l10n.t('Not checked yet: run "Check DNS" to compare them with what DNS says.'));
    if (entry?.checkError) tip.appendMarkdown('\n\n$(error) ').appendText(entry.checkError);
    this.tooltip = tip;
  }

  override children(): MailNode[] {
    const dns = DnsService.active;
    if (!dns) return [];
    const entry = dns.entry(this.host.name, this.domain.name);
    const rows = dns.rows(this.host.name, this.domain.name);
    if (rows.length > 0) return rows.map((r) => new DnsRecordNode(this.host, this.domain, r));
    if (entry?.expectedError) return [new MessageNode(entry.expectedError, 'error')];
    dns.ensureExpected(this.host, this.domain);
    return [
      new MessageNode(vscode.l10n.t('Reading the records {0} needs…', this.domain.name), 'loading~spin'),
    ];
  }
}

/** One expected record or finding; the tooltip says what was found, what is expected and how to fix it. */
export class DnsRecordNode extends MailNode implements DomainRow {
  constructor(
    override readonly host: HostConfig,
    readonly domain: DomainConfig,
    readonly row: DnsRowView,
  ) {
    super(rowLabel(row, vscode.l10n), vscode.TreeItemCollapsibleState.None);
    this.id = `dnsrec:${host.name}:${domain.name}:${row.id}`;
    const icon = iconFor(row);
    this.iconPath = new vscode.ThemeIcon(
      icon.icon,
      icon.color ? new vscode.ThemeColor(icon.color) : undefined,
    );
    this.contextValue = row.status === 'unchecked' ? 'dnsRecord.unchecked' : 'dnsRecord';
    this.description = `${row.name} · ${statusLabel(row.status, vscode.l10n)}`;
    const [head, ...rest] = tooltipLines(row, vscode.l10n);
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`$(${icon.icon}) `).appendText(head ?? '');
    for (const line of rest) tip.appendMarkdown('\n\n').appendText(line);
    this.tooltip = tip;
    this.command = {
      command: 'mailwright.showDnsRecords',
      title: vscode.l10n.t('Show DNS Records'),
      arguments: [this],
    };
  }
}
