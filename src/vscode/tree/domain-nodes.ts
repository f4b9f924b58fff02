// A domain's rows: its users, its aliases (with the catch-all) and its DNS records.
import * as vscode from 'vscode';
import type { DomainConfig, HostConfig } from '../../core/config';
import { MailNode } from './base';

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
    this.description = `${n} user${n === 1 ? '' : 's'}`;
    this.tooltip = `${domain.name} on ${host.name} (${host.mailHost})`;
  }
  override children(): MailNode[] {
    return [
      new UsersNode(this.host, this.domain),
      new AliasesNode(this.host, this.domain),
      new DnsRecordsNode(this.host, this.domain),
    ];
  }
}

export class UsersNode extends MailNode implements DomainRow {
  constructor(
    override readonly host: HostConfig,
    readonly domain: DomainConfig,
  ) {
    super('Users', vscode.TreeItemCollapsibleState.Expanded);
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
    // chasquid ships no delivery agent: mail for a user nobody forwards is accepted, then lost.
    const covered = Object.keys(domain.aliases).some((a) => a === user || a === '*');
    this.iconPath = new vscode.ThemeIcon(
      covered ? 'account' : 'warning',
      covered ? undefined : new vscode.ThemeColor('charts.yellow'),
    );
    this.tooltip = covered
      ? `${user}@${domain.name} can send with SMTP AUTH; mail to it is forwarded by an alias.`
      : `${user}@${domain.name} can send, but no alias forwards mail sent to it and chasquid has no local delivery agent: add an alias for ${user} (or a catch-all) that forwards to a real mailbox.`;
  }
}

export class AliasesNode extends MailNode implements DomainRow {
  constructor(
    override readonly host: HostConfig,
    readonly domain: DomainConfig,
  ) {
    super('Aliases', vscode.TreeItemCollapsibleState.Expanded);
    this.id = `aliases:${host.name}:${domain.name}`;
    this.iconPath = new vscode.ThemeIcon('references');
    this.contextValue = 'aliases';
    this.description = String(Object.keys(domain.aliases).length);
    this.tooltip =
      'Aliases forward mail: from mailwright.yaml; provision to apply them, or edit the aliases file on the server directly.';
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
      catchAll ? `*@${domain.name} (catch-all)` : `${alias}@${domain.name}`,
      vscode.TreeItemCollapsibleState.None,
    );
    this.id = `alias:${host.name}:${domain.name}:${alias}`;
    this.description = `→ ${targets.join(', ')}`;
    this.iconPath = new vscode.ThemeIcon(catchAll ? 'asterisk' : 'arrow-right');
    this.contextValue = catchAll ? 'alias.catchAll' : 'alias';
    this.tooltip = catchAll
      ? `Every address of ${domain.name} without its own user or alias goes to ${targets.join(', ')}.`
      : `${alias}@${domain.name} forwards to ${targets.join(', ')}.`;
  }
}

/** Placeholder rows until the DNS checks land: the records the domain needs, unchecked. */
export class DnsRecordsNode extends MailNode implements DomainRow {
  constructor(
    override readonly host: HostConfig,
    readonly domain: DomainConfig,
  ) {
    super('DNS Records', vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `dns:${host.name}:${domain.name}`;
    this.iconPath = new vscode.ThemeIcon('symbol-namespace');
    this.contextValue = 'dnsRecords';
    this.description = 'check DNS';
    this.tooltip =
      'Not checked yet: live DNS checks (MX, SPF, DKIM, DMARC, A/AAAA, reverse DNS) come with the DNS work in progress. The rows list what the domain needs.';
  }
  override children(): MailNode[] {
    const d = this.domain.name;
    const rows: [string, string][] = [
      ['MX', `${d} → ${this.host.mailHost}`],
      ['A / AAAA', this.host.mailHost],
      ['SPF (TXT)', d],
      ['DKIM (TXT)', `<selector>._domainkey.${d}`],
      ['DMARC (TXT)', `_dmarc.${d}`],
      ['Reverse DNS (PTR)', `server address → ${this.host.mailHost}`],
    ];
    return rows.map(([kind, name]) => new DnsRecordNode(this.host, this.domain, kind, name));
  }
}

export class DnsRecordNode extends MailNode implements DomainRow {
  constructor(
    override readonly host: HostConfig,
    readonly domain: DomainConfig,
    kind: string,
    name: string,
  ) {
    super(kind, vscode.TreeItemCollapsibleState.None);
    this.description = `${name} · check DNS`;
    this.iconPath = new vscode.ThemeIcon('circle-large-outline');
    this.contextValue = 'dnsRecord';
    this.tooltip = `${kind} for ${name}: not checked yet. Checking DNS records arrives with the DNS issue; until then publish the records the provisioning summary lists.`;
  }
}
