// Actions on tree rows: users, aliases, config files, logs, snapshots, hosts.
import * as vscode from 'vscode';
import {
  addUser,
  CATCH_ALL,
  normalizeLocalPart,
  MIN_PASSWORD_LENGTH,
  passwordProblem,
  removeHost,
  removeUser,
  setAlias,
  userRemovalText,
  type DomainConfig,
  type HostConfig,
} from '../../core/config';
import { clientSettings, gmailSendAsGuide, settingsLines } from '../../core/client-settings';
import { snapshotConf } from '../../core/git';
import { verifyUserPassword } from '../../core/smtp';
import {
  removeUser as removeUserOnServer,
  setUserPassword,
  userStoreOf,
} from '../../core/plan/actions/domains';
import type { Connections } from '../connections';
import type { WorkspaceConfig } from '../workspace-config';
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

async function askPassword(address: string): Promise<string | undefined> {
  const first = await vscode.window.showInputBox({
    title: vscode.l10n.t('Password for {0}', address),
    prompt: vscode.l10n.t(
      'At least {0} characters. Stored on the server only as a hash, never in mailwright.yaml.',
      MIN_PASSWORD_LENGTH,
    ),
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => {
      const problem = passwordProblem(v);
      return problem ? vscode.l10n.t('This password cannot be used: {0}.', problem) : undefined;
    },
  });
  if (!first) return undefined;
  const again = await vscode.window.showInputBox({
    title: vscode.l10n.t('Password for {0} (again)', address),
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => (v === first ? undefined : vscode.l10n.t('The passwords differ.')),
  });
  return again === first ? first : undefined;
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
  const password = await askPassword(`${name}@${domain.name}`);
  if (!password) return;
  const listed = domain.users.includes(name);
  await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: vscode.l10n.t('Adding {0}@{1}…', name, domain.name),
    },
    () =>
      editConfig(
        config,
        (doc) => (listed ? undefined : addUser(doc, host.name, domain.name, name)),
        () => setUserPassword(connections.for(host), domain.name, name, password, userStoreOf(domain)),
      ),
  );
  void vscode.window.showInformationMessage(
    vscode.l10n.t(
      '{0}@{1} can now send mail. Add an alias to forward the mail it receives.',
      name,
      domain.name,
    ),
  );
}

export async function resetPasswordAction(connections: Connections, arg: unknown) {
  const { host, domain } = domainOf(arg);
  const user = (arg as { user?: string }).user;
  if (!user) return;
  const password = await askPassword(`${user}@${domain.name}`);
  if (!password) return;
  await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: vscode.l10n.t('Setting the password of {0}@{1}…', user, domain.name),
    },
    () => setUserPassword(connections.for(host), domain.name, user, password, userStoreOf(domain), 'change'),
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
  const removal = await editConfig(
    config,
    (doc) => removeUser(doc, host.name, domain.name, user),
    async () => {
      await removeUserOnServer(connections.for(host), domain.name, user, userStoreOf(domain));
    },
  );
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

export async function openConfigFileAction(arg: unknown) {
  const uri = (arg as { uri?: vscode.Uri }).uri;
  if (uri) await vscode.window.showTextDocument(uri, { preview: false });
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
    () => verifyUserPassword({ host: target.host, address, password }),
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
