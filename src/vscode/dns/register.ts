// "Mail: Check DNS" and "Mail: Show DNS Records", registered at activation. The DNS core and
// the panel are the "dns" bundle, loaded on first use (src/vscode/lazy.ts).
import * as vscode from 'vscode';
import type { DomainConfig, HostConfig } from '../../core/config';
import { pickHost } from '../commands/pick-host';
import type { FactsService } from '../facts-service';
import { load } from '../lazy';
import type { RemoteAccess } from '../remote-access';
import { MailNode } from '../tree/base';
import type { WorkspaceConfig } from '../workspace-config';
import { DNS_VIEW_TYPE } from '../../panels/dns/messages';
import type { DnsPanelDeps } from './panel';
import { DnsService } from './service';

export interface DnsFeatureDeps {
  config: WorkspaceConfig;
  remote: RemoteAccess;
  facts: FactsService;
  log: vscode.LogOutputChannel;
  /** Redraws the Mail Servers tree. */
  refreshTree: () => void;
  extensionUri: vscode.Uri;
  secrets: vscode.SecretStorage;
  run: (name: string, fn: (...args: unknown[]) => unknown) => vscode.Disposable;
}

/** The domain a command acts on: the tree row it was run from, the only one, or the user's pick. */
async function pickDomain(
  config: WorkspaceConfig,
  arg: unknown,
): Promise<{ host: HostConfig; domain: DomainConfig } | undefined> {
  const row = arg instanceof MailNode ? (arg as MailNode & { domain?: DomainConfig }) : undefined;
  if (row?.host && row.domain) return { host: row.host, domain: row.domain };
  const host = await pickHost(config, arg, vscode.l10n.t('Which server to check the DNS of?'));
  if (!host) return undefined;
  if (host.domains.length === 0) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t('{0} has no domain in mailwright.yaml yet.', host.name),
    );
    return undefined;
  }
  if (host.domains.length === 1) return { host, domain: host.domains[0]! };
  const picked = await vscode.window.showQuickPick(
    host.domains.map((d) => ({ label: d.name, domain: d })),
    { placeHolder: vscode.l10n.t('Which domain?') },
  );
  return picked && { host, domain: picked.domain };
}

export function registerDnsFeatures(deps: DnsFeatureDeps): vscode.Disposable[] {
  const { config, remote, facts, log, run } = deps;
  const core = async () => (await load('dns')).dnsCore;
  const service = new DnsService(
    async (host) => (await remote.get()).for(host),
    facts,
    log,
    core,
    async () => (await config.get())?.hosts ?? [],
  );
  const panelDeps: DnsPanelDeps = {
    extensionUri: deps.extensionUri,
    config,
    service,
    core,
    secrets: deps.secrets,
    log,
  };
  return [
    service,
    service.onDidChange(() => deps.refreshTree()),
    // The records a changed mailwright.yaml asks for are read again; the last results stay.
    config.onDidChange(() => void config.get().then((loaded) => service.configChanged(loaded?.hosts ?? []))),
    run('mailwright.checkDns', async (arg) => {
      const target = await pickDomain(config, arg);
      if (!target) return;
      // The table shows the check as it runs and its results (from the palette, a domain's menu or
      // a DNS row alike): opened, or brought forward when it is already open.
      (await load('dns')).DnsPanel.show(panelDeps, target.host, target.domain);
      await service.check(target.host, target.domain);
    }),
    run('mailwright.showDnsRecords', async (arg) => {
      const target = await pickDomain(config, arg);
      if (target) (await load('dns')).DnsPanel.show(panelDeps, target.host, target.domain);
    }),
    // A DNS panel left open comes back after a reload, attached to its domain again.
    vscode.window.registerWebviewPanelSerializer(DNS_VIEW_TYPE, {
      async deserializeWebviewPanel(panel, saved: unknown) {
        await (await load('dns')).DnsPanel.restore(panelDeps, panel, saved);
      },
    }),
  ];
}
