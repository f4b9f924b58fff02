// One class per kind of row in the "Mail Servers" tree. contextValue drives the menus in package.json.
import * as vscode from 'vscode';
import { MAIL_PORT_NUMBERS } from '../../core/ports';
import { writtenSshTarget, type HostConfig } from '../../core/config';
import type { Facts } from '../../core/facts';
// parse.ts, not the index: the index also brings the SSH fact gathering into activation.
import { listeningPorts } from '../../core/facts/parse';
import type { FactsState } from '../facts-service';
import { FactNode, MailNode, MessageNode } from './base';
export { FactNode, MailNode, MessageNode };
import { ConfigFilesNode, LogsNode } from './file-nodes';
import { BlockedNode } from './blocked-nodes';
import { DomainNode } from './domain-nodes';
import { ServerChecksNode } from './check-nodes';
import { QueueNode } from './queue-nodes';
import type { QueueState } from '../queue/queue-service';

const MAIL_PORTS = MAIL_PORT_NUMBERS;

function formatBytes(n: number): string {
  const gib = n / 1024 ** 3;
  return gib >= 1 ? `${gib.toFixed(1)} GiB` : `${Math.round(n / 1024 ** 2)} MiB`;
}

export class HostNode extends MailNode {
  constructor(
    override readonly host: HostConfig,
    readonly factsState: FactsState | undefined,
    readonly queueState?: QueueState,
  ) {
    super(host.name, vscode.TreeItemCollapsibleState.Expanded);
    this.id = `host:${host.name}`;
    const target = writtenSshTarget(host.ssh, host.sshWritten);
    const state = factsState ?? { kind: 'loading' };
    if (state.kind === 'ok') {
      const { facts } = state;
      this.description = facts.os.prettyName;
      const healthy = facts.system.state === 'ready' && facts.os.supported;
      this.iconPath = new vscode.ThemeIcon(
        healthy ? 'server' : 'warning',
        new vscode.ThemeColor(healthy ? 'charts.green' : 'charts.yellow'),
      );
      this.tooltip = hostTooltip(host, target, facts);
      this.contextValue = 'host';
    } else if (state.kind === 'loading') {
      this.description = vscode.l10n.t('connecting…');
      this.iconPath = new vscode.ThemeIcon('loading~spin');
      this.tooltip = vscode.l10n.t('Connecting to {0} and gathering facts', target);
      this.contextValue = 'host.loading';
    } else {
      this.description = vscode.l10n.t('unreachable');
      this.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('charts.red'));
      this.tooltip = new vscode.MarkdownString(
        `**${host.name}** (${target})\n\n${state.message}\n\n` +
          vscode.l10n.t('Fix the problem, then run *Mail: Refresh*.'),
      );
      this.contextValue = 'host.error';
    }
  }

  override children(): MailNode[] {
    const nodes: MailNode[] = [];
    if (this.factsState?.kind === 'ok')
      nodes.push(new StatusNode(this.factsState.facts, this.host), new ServerChecksNode(this.host));
    if (this.factsState?.kind === 'error') nodes.push(new MessageNode(this.factsState.message, 'error'));
    nodes.push(new DomainsNode(this.host), new ConfigFilesNode(this.host), new LogsNode(this.host));
    // Known when Mailwright's fail2ban jail is on the server and the facts could read it as root.
    const blocked = this.factsState?.kind === 'ok' ? this.factsState.facts.bruteForce?.blocked : undefined;
    if (blocked) nodes.push(new BlockedNode(this.host, blocked));
    if (hasQueue(this.factsState)) nodes.push(new QueueNode(this.host, this.queueState));
    return nodes;
  }
}

/** chasquid is installed: it has a queue to show. */
export function hasQueue(state: FactsState | undefined): boolean {
  return state?.kind === 'ok' && state.facts.chasquid.installed;
}

function hostTooltip(host: HostConfig, target: string, facts: Facts): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${host.name}** — ${target}\n\n`);
  md.appendMarkdown(vscode.l10n.t('{0}, mail host `{1}`', facts.os.prettyName, host.mailHost) + '\n\n');
  if (facts.system.reason) md.appendMarkdown(`$(warning) ${facts.system.reason}\n\n`);
  if (!facts.os.supported)
    md.appendMarkdown(
      `$(warning) ${vscode.l10n.t('Mailwright is made for Debian 12/13 and Ubuntu 22.04/24.04.')}\n\n`,
    );
  md.appendMarkdown(vscode.l10n.t('Facts gathered in {0} ms', facts.durationMs));
  return md;
}

export class StatusNode extends MailNode {
  constructor(
    private readonly facts: Facts,
    override readonly host: HostConfig,
  ) {
    super(vscode.l10n.t('Status'), vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `status:${host.name}`;
    const active = facts.chasquid.active === 'active';
    this.iconPath = new vscode.ThemeIcon(
      active ? 'pulse' : 'warning',
      new vscode.ThemeColor(active ? 'charts.green' : 'charts.yellow'),
    );
    this.tooltip = active
      ? vscode.l10n.t('chasquid is running.')
      : facts.chasquid.installed
        ? vscode.l10n.t(
            'chasquid is {0}. Tail the logs to see why, fix the configuration, then provision again.',
            facts.chasquid.active ?? vscode.l10n.t('not running'),
          )
        : vscode.l10n.t('chasquid is not installed yet: run Mail: Provision Server.');
    this.contextValue = 'status';
    const c = facts.chasquid;
    // The version and systemd's state word ("active", "failed") are the server's, as it says them.
    this.description = c.installed
      ? `chasquid ${c.version ?? ''} ${c.active ?? ''}`.trim()
      : vscode.l10n.t('chasquid not installed');
  }

  override children(): MailNode[] {
    const f = this.facts;
    const ports = listeningPorts(f);
    const mailPorts = MAIL_PORTS.map((p) => `${p} ${ports.includes(p) ? '✓' : '✗'}`).join('  ');
    const ready = f.system.state === 'ready';
    const stateUnknown = vscode.l10n.t('state unknown');
    return [
      new FactNode(
        vscode.l10n.t('System'),
        ready ? f.os.prettyName : f.system.state,
        ready ? 'vm' : 'warning',
        f.system.reason,
      ),
      new FactNode(vscode.l10n.t('Hostname'), f.fqdn, 'symbol-string'),
      new FactNode('IPv4', f.addresses.ipv4.join(', ') || vscode.l10n.t('none'), 'globe'),
      new FactNode(
        'IPv6',
        f.addresses.ipv6.join(', ') || vscode.l10n.t('none'),
        f.addresses.ipv6.length ? 'globe' : 'warning',
        f.addresses.ipv6.length
          ? undefined
          : vscode.l10n.t(
              'No global IPv6 address: provisioning will try to enable it (Gmail prefers mail over IPv6 with matching reverse DNS).',
            ),
      ),
      new FactNode(
        'chasquid',
        f.chasquid.installed
          ? vscode.l10n.t(
              '{0} ({1})',
              f.chasquid.version ?? vscode.l10n.t('unknown version'),
              f.chasquid.active ?? stateUnknown,
            )
          : vscode.l10n.t('not installed'),
        f.chasquid.active === 'active' ? 'mail' : 'warning',
        f.chasquid.installed
          ? vscode.l10n.t(
              '{0}: {1}, {2}',
              f.chasquid.binary ?? 'chasquid',
              f.chasquid.active ?? stateUnknown,
              f.chasquid.enabled ?? '',
            )
          : vscode.l10n.t('Not installed: run Mail: Provision Server.'),
      ),
      ...certificateNodes(f, this.host),
      new FactNode(
        vscode.l10n.t('Mail ports'),
        mailPorts,
        'plug',
        vscode.l10n.t(
          'Listening TCP ports on the server: 25 (SMTP), 465 (submission over TLS), 587 (submission).',
        ),
      ),
      new FactNode(vscode.l10n.t('Disk free'), formatBytes(f.resources.diskFreeBytes), 'database'),
      new FactNode(
        vscode.l10n.t('Memory'),
        vscode.l10n.t(
          '{0} free of {1}',
          formatBytes(f.resources.memAvailableBytes),
          formatBytes(f.resources.memTotalBytes),
        ),
        'circuit-board',
      ),
      new FactNode(vscode.l10n.t('Login'), vscode.l10n.t('{0} (sudo: {1})', f.login.user, f.sudo), 'account'),
    ];
  }
}

export class DomainsNode extends MailNode {
  constructor(override readonly host: HostConfig) {
    super(vscode.l10n.t('Domains'), vscode.TreeItemCollapsibleState.Expanded);
    this.iconPath = new vscode.ThemeIcon('globe');
    this.contextValue = 'domains';
    this.id = `domains:${host.name}`;
    if (host.domains.length === 0) this.description = vscode.l10n.t('none yet');
  }
  override children(): MailNode[] {
    return this.host.domains.map((d) => new DomainNode(this.host, d));
  }
}

const DAY_MS = 86_400_000;

/**
 * One row per certificate chasquid serves, coloured by how soon it expires; a self-signed one
 * (the bootstrap certificate) is a warning whatever its date, with the action that replaces it.
 */
function certificateNodes(f: Facts, host: HostConfig): MailNode[] {
  const certs = Object.entries(f.chasquidState?.certs ?? {});
  if (certs.length === 0)
    return [
      new FactNode(
        vscode.l10n.t('Certificates'),
        vscode.l10n.t('none'),
        'warning',
        vscode.l10n.t(
          'chasquid has no certificate and will not start without one: run Mail: Provision Server.',
        ),
        'charts.yellow',
      ),
    ];
  return certs.map(([name, cert]) => {
    if (cert.selfSigned) return selfSignedNode(name, host);
    const days = cert.notAfter ? Math.floor((Date.parse(cert.notAfter) - Date.now()) / DAY_MS) : undefined;
    const bad = days === undefined || days < 14;
    const tip =
      days === undefined
        ? vscode.l10n.t('certs/{0}: the expiry date could not be read.', name)
        : days < 0
          ? vscode.l10n.t(
              'certs/{0} expired on {1}: clients refuse TLS. Provision again to renew it.',
              name,
              cert.notAfter!,
            )
          : days < 14
            ? vscode.l10n.t(
                'certs/{0} expires in {1} days ({2}): provision again to renew it.',
                name,
                days,
                cert.notAfter!,
              )
            : vscode.l10n.t('certs/{0} is valid until {1}.', name, cert.notAfter!);
    return new FactNode(
      vscode.l10n.t('Certificate {0}', name),
      days === undefined
        ? vscode.l10n.t('unknown expiry')
        : days < 0
          ? vscode.l10n.t('expired')
          : vscode.l10n.t('{0} days left', days),
      bad ? 'warning' : 'lock',
      tip,
      bad ? 'charts.red' : 'charts.green',
    );
  });
}

function selfSignedNode(name: string, host: HostConfig): MailNode {
  const node = new FactNode(
    vscode.l10n.t('Certificate {0}', name),
    vscode.l10n.t('self-signed'),
    'warning',
    host.acme
      ? vscode.l10n.t(
          'certs/{0} is self-signed: mail is accepted, but mail programs warn and other servers do not trust it. mailwright.yaml asks for a trusted certificate: provision {1} to get it.',
          name,
          host.name,
        )
      : vscode.l10n.t(
          "certs/{0} is self-signed: mail is accepted, but mail programs warn and other servers do not trust it. Get a trusted certificate (Let's Encrypt) from this row.",
          name,
        ),
    'charts.yellow',
  );
  node.host = host;
  node.contextValue = 'certificate.selfSigned';
  return node;
}
