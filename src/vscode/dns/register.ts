// "Mail: Check DNS", "Mail: Show DNS Records", "Mail: Rotate DKIM Key…" and "Mail: Roll Over DANE Key…", registered at activation. The DNS core and
// the panel are the "dns" bundle, loaded on first use (src/vscode/lazy.ts).
import * as vscode from 'vscode';
import { domainOfName, type DomainConfig, type HostConfig } from '../../core/config';
import { pickHost } from '../commands/pick-host';
import type { FactsService } from '../facts-service';
import { load } from '../lazy';
import type { RemoteAccess } from '../remote-access';
import { MailNode } from '../tree/base';
import type { WorkspaceConfig } from '../workspace-config';
import { DNS_VIEW_TYPE } from '../../panels/dns/messages';
import type { DaneRolloverRun, DkimRotationRun } from './core';
import { VscodeSecretStore } from '../secrets';
import type { DnsPanelDeps } from './panel';
import { dnsCredentialStore } from './credential';
import { dnsSettings, DnsService } from './service';

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
  question = vscode.l10n.t('Which server to check the DNS of?'),
): Promise<{ host: HostConfig; domain: DomainConfig } | undefined> {
  const row = arg instanceof MailNode ? (arg as MailNode & { domain?: DomainConfig }) : undefined;
  if (row?.host && row.domain) return { host: row.host, domain: row.domain };
  const host = await pickHost(config, arg, question);
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
    run('mailwright.rotateDkim', async (arg) => {
      const target = await pickDomain(config, arg, vscode.l10n.t('Which server to rotate a DKIM key on?'));
      if (target) await rotateDkimKey(deps, service, target.host, target.domain);
    }),
    run('mailwright.rolloverDane', async (arg) => {
      const host = await pickHost(config, arg, vscode.l10n.t('Which server to roll the DANE key over on?'));
      if (host) await rolloverDaneKey(deps, service, host);
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

/**
 * Rotate DKIM Key…: the rotation's stages first (read from the server), a modal confirmation when
 * the run changes something, then the run under a cancellable progress that tells each stage; it
 * goes as far as it can now and says where it stopped and what comes next. The core does the work
 * (each stage is kept on the server, so a cancelled or stopped rotation continues on the next run).
 */
async function rotateDkimKey(
  deps: DnsFeatureDeps,
  service: DnsService,
  host: HostConfig,
  domain: DomainConfig,
): Promise<void> {
  const { authoritative } = dnsSettings();
  const secrets = await dnsCredentialStore(
    domain,
    deps.secrets,
    vscode.l10n.t('No credential given: the DKIM key was not rotated.'),
  );
  const core = (await load('dns')).dnsCore;
  const conn = (await deps.remote.get()).for(host);
  const log = (line: string) => deps.log.info(`${host.name} ${domain.name}: ${line}`);
  const common = { conn, domain, secrets, log, ...(authoritative && { servers: authoritative }) };
  const preview = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: vscode.l10n.t('Reading the DKIM keys of {0}…', domain.name),
    },
    async () => core.rotateDkim({ ...common, facts: await deps.facts.gather(host), dryRun: true }),
  );
  // Before the old key's date nothing changes: the run only says when.
  if (preview.step !== 'retain') {
    const go = preview.step === 'generate' ? vscode.l10n.t('Rotate') : vscode.l10n.t('Continue');
    const answer = await vscode.window.showInformationMessage(
      preview.step === 'generate'
        ? vscode.l10n.t('Rotate the DKIM key of {0} on {1}?', domain.name, host.name)
        : vscode.l10n.t('Continue the DKIM key rotation of {0} on {1}?', domain.name, host.name),
      { modal: true, detail: preview.stages.join('\n') },
      go,
    );
    if (answer !== go) return;
  }
  const abort = new AbortController();
  let result: DkimRotationRun;
  try {
    result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: vscode.l10n.t('Rotating the DKIM key of {0}', domain.name),
        cancellable: true,
      },
      async (progress, token) => {
        token.onCancellationRequested(() => abort.abort());
        return core.rotateDkim({
          ...common,
          facts: await deps.facts.gather(host, token),
          dryRun: false,
          signal: abort.signal,
          onProgress: (text) => progress.report({ message: text }),
          onPublishByHand: (lines) => void showRecordsToPublish(domain, lines).catch(() => undefined),
        });
      },
    );
  } catch (e) {
    if (!abort.signal.aborted) throw e;
    void vscode.window.showInformationMessage(
      vscode.l10n.t(
        'The DKIM key rotation of {0} was cancelled. The stages done so far are kept on the server: run Rotate DKIM Key again to continue.',
        domain.name,
      ),
    );
    return;
  } finally {
    // The server's DKIM keys may have changed: the tree shows them again, and a domain whose
    // DNS was checked is checked again against its new records.
    void deps.facts.gather(host).catch(() => undefined);
  }
  for (const line of result.stages) log(line);
  if (result.step !== 'wait' && service.entry(host.name, domain.name)?.report)
    void service.check(host, domain).catch(() => undefined);
  if (result.notServed) log(result.notServed);
  void vscode.window.showInformationMessage(
    result.step === 'wait'
      ? vscode.l10n.t(
          'DKIM key rotation of {0}: waiting for the new record on every authoritative server; chasquid keeps signing with the old key. Run Rotate DKIM Key again once it is served: the rotation continues from there.',
          domain.name,
        )
      : result.step === 'retain' && result.removeAfter
        ? vscode.l10n.t(
            '{0} now signs with its new DKIM key. The old record and key stay until {1}: run Rotate DKIM Key again after that date to remove them.',
            domain.name,
            result.removeAfter.toLocaleString(),
          )
        : vscode.l10n.t(
            'The DKIM key rotation of {0} is over: the old record and key are removed.',
            domain.name,
          ),
  );
}

/**
 * Roll Over DANE Key…: as Rotate DKIM Key… — the stages first, a modal confirmation when the run
 * changes something, the run under a cancellable progress, and where it stopped. The switch issues
 * the certificate through ACME with the staged key, so it takes the ACME account key and the DNS
 * credential from secret storage as provisioning does.
 */
async function rolloverDaneKey(deps: DnsFeatureDeps, service: DnsService, host: HostConfig): Promise<void> {
  const { authoritative } = dnsSettings();
  const domain = domainOfName(host.mailHost, host.domains);
  const refused = vscode.l10n.t('No credential given: the DANE key was not rolled over.');
  const secrets = domain
    ? await dnsCredentialStore(domain, deps.secrets, refused)
    : new VscodeSecretStore(deps.secrets);
  const core = (await load('dns')).dnsCore;
  const conn = (await deps.remote.get()).for(host);
  const log = (line: string) => deps.log.info(`${host.name} ${host.mailHost}: ${line}`);
  const common = { conn, host, secrets, log, ...(authoritative && { servers: authoritative }) };
  const preview = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: vscode.l10n.t('Reading the DANE key rollover of {0}…', host.mailHost),
    },
    async () => core.rolloverDane({ ...common, facts: await deps.facts.gather(host), dryRun: true }),
  );
  // Before a date nothing changes: the run only says when.
  if (preview.step !== 'hold' && preview.step !== 'keep') {
    const go = preview.step === 'generate' ? vscode.l10n.t('Roll Over') : vscode.l10n.t('Continue');
    const answer = await vscode.window.showInformationMessage(
      preview.step === 'generate'
        ? vscode.l10n.t('Roll over the DANE key of {0} on {1}?', host.mailHost, host.name)
        : vscode.l10n.t('Continue the DANE key rollover of {0} on {1}?', host.mailHost, host.name),
      { modal: true, detail: preview.stages.join('\n') },
      go,
    );
    if (answer !== go) return;
  }
  const abort = new AbortController();
  let result: DaneRolloverRun;
  let refreshed: Promise<unknown> = Promise.resolve();
  try {
    result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: vscode.l10n.t('Rolling over the DANE key of {0}', host.mailHost),
        cancellable: true,
      },
      async (progress, token) => {
        token.onCancellationRequested(() => abort.abort());
        return core.rolloverDane({
          ...common,
          facts: await deps.facts.gather(host, token),
          dryRun: false,
          signal: abort.signal,
          onProgress: (text) => progress.report({ message: text }),
          onPublishByHand: (lines) =>
            void showLinesToPublish(
              lines,
              vscode.l10n.t(
                'Publish these records at the DNS host of {0} (its domain has no dns: provider in mailwright.yaml). Port 25 keeps serving the current key until every authoritative server serves them; then run Roll Over DANE Key again.',
                host.mailHost,
              ),
            ).catch(() => undefined),
        });
      },
    );
  } catch (e) {
    if (!abort.signal.aborted) throw e;
    void vscode.window.showInformationMessage(
      vscode.l10n.t(
        'The DANE key rollover of {0} was cancelled. The stages done so far are kept on the server: run Roll Over DANE Key again to continue.',
        host.mailHost,
      ),
    );
    return;
  } finally {
    // The certificate and the rollover's state may have changed: the tree shows them again.
    refreshed = deps.facts.gather(host).catch(() => undefined);
  }
  for (const line of result.stages) log(line);
  // A check from now on expects the records of the rollover as it stands: from the new facts.
  await refreshed;
  // A domain whose DNS was checked is checked again against the records the rollover expects now.
  if (domain && result.step !== 'wait' && service.entry(host.name, domain.name)?.report)
    void service.check(host, domain).catch(() => undefined);
  if (result.notServed) log(result.notServed);
  void vscode.window.showInformationMessage(
    result.step === 'wait'
      ? vscode.l10n.t(
          'DANE key rollover of {0}: waiting for the next TLSA record on every authoritative server; port 25 keeps serving the current key. Run Roll Over DANE Key again once it is served.',
          host.mailHost,
        )
      : result.step === 'hold' && result.switchAfter
        ? vscode.l10n.t(
            "DANE key rollover of {0}: both TLSA records are served. The certificate switches to the next key after {1} (the record's TTL): run Roll Over DANE Key again then.",
            host.mailHost,
            result.switchAfter.toLocaleString(),
          )
        : result.step === 'keep' && result.retireAfter
          ? vscode.l10n.t(
              '{0} serves its next key on port 25. The old TLSA record stays until {1}: run Roll Over DANE Key again after that date to remove it.',
              host.mailHost,
              result.retireAfter.toLocaleString(),
            )
          : vscode.l10n.t(
              'The DANE key rollover of {0} is over: the old TLSA record is removed.',
              host.mailHost,
            ),
  );
}

/** The new DKIM records in an untitled editor, to publish by hand at the domain's DNS host. */
function showRecordsToPublish(domain: DomainConfig, lines: readonly string[]): Promise<void> {
  return showLinesToPublish(
    lines,
    vscode.l10n.t(
      'Publish these records at the DNS host of {0} (it has no dns: provider in mailwright.yaml). chasquid keeps signing with the current key until every authoritative server serves them; then run Rotate DKIM Key again.',
      domain.name,
    ),
  );
}

/** Records in an untitled editor in zone-file syntax, under a note of what to do with them. */
async function showLinesToPublish(lines: readonly string[], note: string): Promise<void> {
  const content = [`; ${note}`, ...lines, ''].join('\n');
  const doc = await vscode.workspace.openTextDocument({ content, language: 'plaintext' });
  await vscode.window.showTextDocument(doc, { preview: false });
}
