// Actions on tree rows: users, aliases, config files, logs, snapshots, hosts.
import * as vscode from 'vscode';
import {
  CATCH_ALL,
  normalizeLocalPart,
  removeHost,
  setAlias,
  userRemovalText,
  type DomainConfig,
  type HostConfig,
} from '../../core/config';
import { clientSettings, gmailSendAsGuide, settingsLines } from '../../core/client-settings';
import { snapshotConf } from '../../core/git';
import { verifyUserPassword } from '../../core/smtp';
import { gatherFacts } from '../../core/facts';
import { changeMailUser, type UserChange } from '../../core/plan';
import { generatedFromYaml, userPasswordKey } from '../../core/plan/actions/domains';
import { serverAddressOf, type Connections } from '../connections';
import { confTarget } from '../fs/remote-paths';
import type { WorkspaceConfig } from '../workspace-config';
import { askNewPassword } from './ask-password';
import { editConfig } from './edit-config';
import { offerProvisioning } from './offer-provision';
import { pickUser } from './pick-user';

export interface DomainTarget {
  host: HostConfig;
  domain: DomainConfig;
}

function domainOf(arg: unknown): DomainTarget {
  const row = arg as Partial<DomainTarget> | undefined;
  if (!row?.host || !row.domain)
    throw new Error(vscode.l10n.t('Run this from a domain in the Mail Servers tree.'));
  return { host: row.host, domain: row.domain };
}

function askPassword(address: string): Promise<string | undefined> {
  return askNewPassword(
    vscode.l10n.t('Password for {0}', address),
    vscode.l10n.t('Password for {0} (again)', address),
  );
}

/** A user change through the core path the CLI uses, with a cancellable progress notification. */
function runUserChange(
  config: WorkspaceConfig,
  connections: Connections,
  host: HostConfig,
  change: Pick<UserChange, 'domain' | 'user' | 'verb' | 'password'>,
  title: string,
) {
  const uri = config.uri;
  if (!uri)
    throw new Error(vscode.l10n.t('Open a folder first: Mailwright keeps your servers in mailwright.yaml.'));
  const conn = connections.for(host);
  return vscode.window
    .withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        return changeMailUser({
          ...change,
          configPath: uri.fsPath,
          hostName: host.name,
          conn,
          gather: (signal) => gatherFacts(conn, { signal }),
          signal: abort.signal,
          // The step's title comes from src/core, in English.
          onEvent: (e) => {
            if (e.type === 'action-start') progress.report({ message: e.title });
          },
        });
      },
    )
    .then(
      async (result) => {
        await config.reload();
        return result;
      },
      async (e: unknown) => {
        await config.reload();
        throw e;
      },
    );
}

export async function addUserAction(config: WorkspaceConfig, connections: Connections, arg: unknown) {
  const { host, domain } = domainOf(arg);
  const user = await vscode.window.showInputBox({
    title: vscode.l10n.t('New user of {0}', domain.name),
    prompt: vscode.l10n.t('The part before @{0}', domain.name),
    validateInput: (v) => {
      const check = normalizeLocalPart(v);
      return check.ok ? undefined : vscode.l10n.t('This user name cannot be used: {0}.', check.reason);
    },
  });
  if (!user) return;
  const check = normalizeLocalPart(user);
  if (!check.ok) return;
  const name = check.value;
  const address = `${name}@${domain.name}`;
  const password = await askPassword(address);
  if (!password) return;
  const result = await runUserChange(
    config,
    connections,
    host,
    { domain: domain.name, user: name, verb: 'add', password },
    vscode.l10n.t('Adding {0}@{1}…', name, domain.name),
  );
  if (!result.applied) {
    // Kept in memory only, for the provision that creates the user.
    await connections.pendingInputs.set(userPasswordKey(name, domain.name), password);
    await offerProvisioning(
      host.name,
      vscode.l10n.t(
        '{0} is in mailwright.yaml; {1} does not serve {2} yet. Provision {1} to create it there: the password you gave is kept until then (in memory, not on disk).',
        address,
        host.name,
        domain.name,
      ),
    );
    return;
  }
  void vscode.window.showInformationMessage(
    vscode.l10n.t(
      '{0}@{1} can now send mail. Add an alias to forward the mail it receives.',
      name,
      domain.name,
    ),
  );
}

export async function resetPasswordAction(config: WorkspaceConfig, connections: Connections, arg: unknown) {
  const { host, domain } = domainOf(arg);
  const user = (arg as { user?: string }).user;
  if (!user) return;
  const password = await askPassword(`${user}@${domain.name}`);
  if (!password) return;
  await runUserChange(
    config,
    connections,
    host,
    { domain: domain.name, user, verb: 'passwd', password },
    vscode.l10n.t('Setting the password of {0}@{1}…', user, domain.name),
  );
  void vscode.window.showInformationMessage(
    vscode.l10n.t('New password set for {0}@{1}.', user, domain.name),
  );
}

export async function removeUserAction(config: WorkspaceConfig, connections: Connections, arg: unknown) {
  const { host, domain } = domainOf(arg);
  const user = (arg as { user?: string }).user;
  if (!user) return;
  const remove = vscode.l10n.t('Remove');
  const answer = await vscode.window.showWarningMessage(
    vscode.l10n.t('Remove {0}@{1}?', user, domain.name),
    {
      modal: true,
      detail: vscode.l10n.t(
        'The user can no longer log in and is taken out of the aliases that forward to it. Mail already delivered or forwarded is not affected.',
      ),
    },
    remove,
  );
  if (answer !== remove) return;
  const { removal } = await runUserChange(
    config,
    connections,
    host,
    { domain: domain.name, user, verb: 'remove' },
    vscode.l10n.t('Removing {0}@{1}…', user, domain.name),
  );
  await connections.pendingInputs.delete(userPasswordKey(user, domain.name));
  const aliases = removal ? userRemovalText(user, domain.name, removal) : '';
  if (!aliases) return;
  const provision = vscode.l10n.t('Provision Now');
  const choice = await vscode.window.showInformationMessage(
    vscode.l10n.t('{0} Provision {1} to write the aliases on the server.', aliases, host.name),
    provision,
  );
  if (choice === provision) await vscode.commands.executeCommand('mailwright.provision', { host });
}

async function suggestProvisioning(host: HostConfig, what: string) {
  await offerProvisioning(
    host.name,
    vscode.l10n.t('{0} is in mailwright.yaml. Provision {1} to apply it on the server.', what, host.name),
  );
}

export async function addAliasAction(config: WorkspaceConfig, arg: unknown, catchAll = false) {
  const { host, domain } = domainOf(arg);
  const alias = catchAll
    ? CATCH_ALL
    : await vscode.window.showInputBox({
        title: vscode.l10n.t('New alias of {0}', domain.name),
        prompt: vscode.l10n.t('The part before @{0}', domain.name),
      });
  if (!alias) return;
  const targets = await vscode.window.showInputBox({
    title: catchAll
      ? vscode.l10n.t('Catch-all of {0}', domain.name)
      : vscode.l10n.t('{0}@{1} forwards to', alias, domain.name),
    prompt: vscode.l10n.t('Addresses or local users, separated by commas'),
    validateInput: (v) => (v.trim() ? undefined : vscode.l10n.t('Give at least one address.')),
  });
  if (!targets) return;
  await editConfig(config, (doc) => setAlias(doc, host.name, domain.name, alias.trim(), targets));
  await suggestProvisioning(
    host,
    catchAll ? vscode.l10n.t('The catch-all') : `${alias.trim()}@${domain.name}`,
  );
}

/**
 * Opens a server file; one generated from mailwright.yaml (aliases, users) first offers the
 * yaml, where the change belongs, or the file read-only.
 */
export async function openConfigFileAction(config: WorkspaceConfig, arg: unknown) {
  const uri = (arg as { uri?: vscode.Uri }).uri;
  if (!uri) return;
  // The URI's path starts with the server's name; the rule reads the server's own path.
  const target = confTarget(uri.authority, uri.path);
  const generated = target && generatedFromYaml(target.path);
  if (generated) {
    const edit = vscode.l10n.t('Edit mailwright.yaml');
    const view = vscode.l10n.t('Open Read-Only');
    const answer = await vscode.window.showInformationMessage(
      vscode.l10n.t('This file is generated from mailwright.yaml'),
      {
        modal: true,
        detail:
          generated.what === 'aliases'
            ? vscode.l10n.t(
                'The aliases of {0} come from mailwright.yaml: a change made here would be undone by the next provision. Change them in mailwright.yaml (or with Add Alias), then provision.',
                generated.domain,
              )
            : vscode.l10n.t(
                'The users of {0} come from mailwright.yaml: a change made here would be undone by the next provision. Use Add User, Reset Password and Remove User instead.',
                generated.domain,
              ),
      },
      edit,
      view,
    );
    if (answer === edit) return openYamlAt(config, generated.domain);
    if (answer !== view) return;
  }
  await vscode.window.showTextDocument(uri, { preview: false });
}

/** mailwright.yaml, with the cursor on the domain's entry when it is found. */
async function openYamlAt(config: WorkspaceConfig, domain: string) {
  const uri = config.uri;
  if (!uri)
    throw new Error(vscode.l10n.t('Open a folder first: Mailwright keeps your servers in mailwright.yaml.'));
  const editor = await vscode.window.showTextDocument(uri, { preview: false });
  const line = editor.document
    .getText()
    .split('\n')
    .findIndex((l) => l.replace(/^[\s-]*name:\s*/, '').replace(/['"\s]/g, '') === domain);
  if (line < 0) return;
  const position = new vscode.Position(line, 0);
  editor.selection = new vscode.Selection(position, position);
  editor.revealRange(new vscode.Range(position, position), vscode.TextEditorRevealType.InCenter);
}

export async function commitConfAction(connections: Connections, host: HostConfig) {
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!root)
    throw new Error(vscode.l10n.t('Open a folder first: snapshots are committed to its git repository.'));
  const result = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: vscode.l10n.t('Committing /etc/chasquid of {0}…', host.name),
    },
    () =>
      snapshotConf(connections.for(host), {
        workspaceRoot: root,
        hostName: host.name,
        title: `mailwright: snapshot of ${host.name}`,
      }),
  );
  void vscode.window.showInformationMessage(
    result.committed
      ? vscode.l10n.t('Committed {0} changed file(s) of {1} to conf/{1}.', result.changed.length, host.name)
      : vscode.l10n.t('conf/{0} already matches the server: nothing to commit.', host.name),
  );
}

export async function removeHostAction(config: WorkspaceConfig, host: HostConfig) {
  const remove = vscode.l10n.t('Remove from mailwright.yaml');
  const answer = await vscode.window.showWarningMessage(
    vscode.l10n.t('Remove {0} from mailwright.yaml?', host.name),
    { modal: true, detail: vscode.l10n.t('Nothing changes on the server: it keeps running as it is.') },
    remove,
  );
  if (answer !== remove) return;
  await editConfig(config, (doc) => removeHost(doc, host.name));
}

/** Checks a password with SMTP AUTH on the server, as a mail program would; nothing changes. */
export async function verifyUserAction(config: WorkspaceConfig, arg: unknown) {
  const target = await pickUser(config, arg);
  if (!target) return;
  const address = `${target.user}@${target.domain.name}`;
  const password = await vscode.window.showInputBox({
    title: vscode.l10n.t('Check the password of {0}', address),
    prompt: vscode.l10n.t(
      'Checked with SMTP AUTH on {0}, port 465. Nothing on the server changes.',
      target.host.mailHost,
    ),
    password: true,
    ignoreFocusOut: true,
  });
  if (!password) return;
  const result = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: vscode.l10n.t('Checking the password of {0}…', address),
    },
    () => verifyUserPassword({ host: target.host, address, password, server: serverAddressOf(target.host) }),
  );
  if (result.accepted) void vscode.window.showInformationMessage(result.message);
  else void vscode.window.showWarningMessage(result.message);
}

/** Mail program settings and Gmail's "Send mail as" steps for one user, with this server's values. */
export async function mailSettingsAction(config: WorkspaceConfig, arg: unknown) {
  const target = await pickUser(config, arg);
  if (!target) return;
  const settings = clientSettings(target.host, target.domain, target.user);
  const content = [
    gmailSendAsGuide(settings),
    `## ${vscode.l10n.t('Mail program settings')}`,
    '',
    ...settingsLines(settings).map((line) => `- ${line}`),
    '',
  ].join('\n');
  const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content });
  await vscode.commands.executeCommand('markdown.showPreview', doc.uri);
}
