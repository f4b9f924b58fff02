// "Back Up…" and "Restore from Backup…" on a server's row: the same archive and restore plan as
// `mailwright backup` / `restore`. The passphrase comes from the quick input, or from VS Code's
// secret storage where the user agreed to keep it; the archive goes where the user saves it.
import { basename } from 'node:path';
import * as vscode from 'vscode';
import {
  archiveLock,
  backupFileName,
  createBackup,
  identityOf,
  openBackup,
  planRestore,
  restorePlanLines,
  type OpenKey,
  type OpenedBackup,
} from '../../core/backup';
import { MIN_PASSWORD_LENGTH, type HostConfig } from '../../core/config';
import { gatherFacts } from '../../core/facts';
import { applyPlan } from '../../core/plan';
import { printable } from '../../core/printable';
import { describeTarget } from '../../core/remote';
import type { Connections } from '../connections';
import { VscodeSecretStore } from '../secrets';
import type { WorkspaceConfig } from '../workspace-config';
import { askNewPassword } from './ask-password';

const passphraseKey = (host: HostConfig) => `backupPassphrase:${host.name}`;

/** The stored passphrase, or a new one from the quick input (kept only if the user says so). */
async function passphraseFor(secrets: VscodeSecretStore, host: HostConfig): Promise<string | undefined> {
  const saved = await secrets.get(passphraseKey(host));
  if (saved) return saved;
  const passphrase = await askNewPassword(
    vscode.l10n.t('Passphrase for the backup of {0}', host.name),
    vscode.l10n.t('The same passphrase again'),
    vscode.l10n.t(
      'At least {0} characters. Without it the backup cannot be restored: keep it somewhere safe.',
      MIN_PASSWORD_LENGTH,
    ),
  );
  if (!passphrase) return undefined;
  const keep = vscode.l10n.t('Keep in Secret Storage');
  const answer = await vscode.window.showInformationMessage(
    vscode.l10n.t("Keep this passphrase in VS Code's secret storage for the next backups of {0}?", host.name),
    { modal: true, detail: vscode.l10n.t('It is stored in the system keychain, never in a file.') },
    keep,
    vscode.l10n.t('Not Now'),
  );
  if (answer === keep) await secrets.set(passphraseKey(host), passphrase);
  return passphrase;
}

function formatBytes(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export async function backupAction(
  config: WorkspaceConfig,
  connections: Connections,
  storage: vscode.SecretStorage,
  host: HostConfig,
): Promise<void> {
  const secrets = new VscodeSecretStore(storage);
  const passphrase = await passphraseFor(secrets, host);
  if (!passphrase) return;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const name = backupFileName(host.name, new Date());
  const target = await vscode.window.showSaveDialog({
    title: vscode.l10n.t('Save the backup of {0}', host.name),
    ...(folder && { defaultUri: vscode.Uri.joinPath(folder, '..', name) }),
    filters: { [vscode.l10n.t('Mailwright backups')]: ['age'] },
  });
  if (!target || !config.uri) return;
  const yaml = Buffer.from(await vscode.workspace.fs.readFile(config.uri));
  const made = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: vscode.l10n.t('Backing up {0}…', host.name),
      cancellable: true,
    },
    async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      const conn = connections.for(host);
      const facts = await gatherFacts(conn, { signal: abort.signal });
      return createBackup({
        conn,
        host,
        facts,
        config: yaml,
        passphrase,
        out: target.fsPath,
        withMail: false,
        signal: abort.signal,
        onProgress: (p) =>
          progress.report({
            message: vscode.l10n.t(
              '{0} received; mail on the server: {1} (not included)',
              formatBytes(p.bytes),
              formatBytes(p.mailBytes ?? 0),
            ),
          }),
      });
    },
  );
  void vscode.window.showInformationMessage(
    vscode.l10n.t(
      'Backup of {0} written to {1} ({2}, {3} files). Copy it off this machine; restore it with "Restore from Backup…".',
      host.name,
      made.path,
      formatBytes(made.bytes),
      made.manifest.files.filter((f) => f.type === 'file').length,
    ),
  );
}

/**
 * What opens the archive: an archive the server made (locked for a public key) asks for the
 * identity file kept on this machine; any other, the passphrase (stored, or asked).
 */
async function openKeyFor(
  secrets: VscodeSecretStore,
  host: HostConfig,
  file: vscode.Uri,
): Promise<OpenKey | undefined> {
  if ((await archiveLock(file.fsPath)) === 'recipient') {
    const picked = await vscode.window.showOpenDialog({
      title: vscode.l10n.t(
        'The identity file that opens {0} (from "mailwright backup keygen")',
        basename(file.fsPath),
      ),
      canSelectMany: false,
    });
    const identityFile = picked?.[0];
    if (!identityFile) return undefined;
    return {
      identity: identityOf(Buffer.from(await vscode.workspace.fs.readFile(identityFile)).toString('utf8')),
    };
  }
  const passphrase =
    (await secrets.get(passphraseKey(host))) ??
    (await vscode.window.showInputBox({
      title: vscode.l10n.t('Passphrase of {0}', basename(file.fsPath)),
      password: true,
      ignoreFocusOut: true,
    }));
  return passphrase ? { passphrase } : undefined;
}

export async function restoreAction(
  config: WorkspaceConfig,
  connections: Connections,
  storage: vscode.SecretStorage,
  host: HostConfig,
  log: vscode.LogOutputChannel,
): Promise<void> {
  const secrets = new VscodeSecretStore(storage);
  const picked = await vscode.window.showOpenDialog({
    title: vscode.l10n.t('Restore a backup onto {0}', host.name),
    canSelectMany: false,
    filters: { [vscode.l10n.t('Mailwright backups')]: ['age'] },
  });
  const file = picked?.[0];
  if (!file) return;
  const key = await openKeyFor(secrets, host, file);
  if (!key) return;
  const fleet = (await config.get())?.hosts ?? [host];
  const conn = connections.for(host);
  const { backup, plan } = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: vscode.l10n.t(
        'Checking {0} and planning the restore onto {1}…',
        basename(file.fsPath),
        host.name,
      ),
    },
    async () => {
      // Every checksum first: a damaged or foreign archive is refused before the server is asked.
      const opened: OpenedBackup = await openBackup(file.fsPath, key);
      return { backup: opened, plan: planRestore(host, await gatherFacts(conn), opened, fleet) };
    },
  );
  const restore = vscode.l10n.t('Restore and Provision');
  const answer = await vscode.window.showWarningMessage(
    vscode.l10n.t('Restore {0} onto {1}?', basename(backup.file), host.name),
    {
      modal: true,
      detail: restorePlanLines(plan, describeTarget(conn.target))
        .map((l) => printable(l))
        .join('\n'),
    },
    restore,
  );
  if (answer !== restore) return;
  if (plan.actions.length > 0) {
    const result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: vscode.l10n.t('Restoring onto {0}…', host.name),
        cancellable: true,
      },
      (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        return applyPlan(plan, {
          conn,
          host,
          secrets,
          signal: abort.signal,
          regather: () => gatherFacts(conn, { signal: abort.signal }),
          onEvent: (e) => {
            if (e.type === 'action-start') progress.report({ message: e.title });
            if (e.type === 'output') log.info(`${host.name}: ${e.line}`);
            if (e.type === 'action-failed') log.error(`${host.name}: ${e.message}`);
          },
        });
      },
    );
    if (!result.ok) {
      void vscode.window.showErrorMessage(
        result.cancelled
          ? vscode.l10n.t(
              'The restore onto {0} was cancelled; the files of the step it was in were put back.',
              host.name,
            )
          : vscode.l10n.t('The restore onto {0} failed: {1}', host.name, result.failed?.message ?? ''),
      );
      return;
    }
  }
  // The rest is a normal provision, in the provisioning dashboard.
  await vscode.commands.executeCommand('mailwright.provision', host.name);
}
