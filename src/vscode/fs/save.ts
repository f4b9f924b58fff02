// Saving a chasquid file: validate → atomic upload → restart only when chasquid needs it →
// verify it runs (else put the previous file back) → snapshot and commit to the workspace git.
import { posix } from 'node:path';
import * as vscode from 'vscode';
import type { ChasquidDiagnostic } from '../../core/chasquid';
import type { HostConfig } from '../../core/config';
import { snapshotConf } from '../../core/git';
import { restoreRemoteFile, writeRemoteFileAtomic, type RemoteConnection } from '../../core/remote';
import { readAtStart } from '../../core/chasquid/paths';
import { CONF_ROOT, validateConfFile } from './remote-paths';
import { chasquidLog, isChasquidActive, restartChasquid } from './restart';

export interface SaveRequest {
  uri: vscode.Uri;
  host: HostConfig;
  path: string;
  content: Uint8Array;
  conn: RemoteConnection;
  chasquidVersion?: string;
  diagnostics: vscode.DiagnosticCollection;
  log: vscode.LogOutputChannel;
  /** Whether the save may be committed to the workspace at this root (asked once per workspace). */
  keepHistory(root: string): Promise<boolean>;
}

function toDiagnostic(d: ChasquidDiagnostic): vscode.Diagnostic {
  const range = new vscode.Range(
    d.line - 1,
    d.column - 1,
    d.endLine - 1,
    Math.max(d.endColumn - 1, d.column),
  );
  const severity =
    d.severity === 'error'
      ? vscode.DiagnosticSeverity.Error
      : d.severity === 'warning'
        ? vscode.DiagnosticSeverity.Warning
        : vscode.DiagnosticSeverity.Information;
  const diagnostic = new vscode.Diagnostic(range, d.message, severity);
  diagnostic.source = 'chasquid';
  diagnostic.code = d.code;
  return diagnostic;
}

export async function saveConfFile(req: SaveRequest): Promise<void> {
  const { uri, host, path, conn, log } = req;
  const name = posix.relative(CONF_ROOT, path);
  const text = Buffer.from(req.content).toString('utf8');
  const found = validateConfFile(path, text, req.chasquidVersion);
  req.diagnostics.set(uri, found.map(toDiagnostic));
  const errors = found.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    const first = errors[0]!;
    throw vscode.FileSystemError.NoPermissions(
      vscode.l10n.t(
        '{0} has {1} error(s) (line {2}: {3}); nothing was uploaded. See the Problems panel.',
        name,
        errors.length,
        first.line,
        first.message,
      ),
    );
  }

  await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: vscode.l10n.t('Saving {0} on {1}', name, host.name),
    },
    async (progress) => {
      progress.report({ message: vscode.l10n.t('uploading') });
      await writeRemoteFileAtomic(conn, path, Buffer.from(req.content));
      log.info(`Uploaded ${path} to ${host.name}`);

      const restart = readAtStart(path);
      progress.report({
        message: restart ? vscode.l10n.t('restarting chasquid') : vscode.l10n.t('checking chasquid'),
      });
      const running = restart ? await restartChasquid(conn) : await isChasquidActive(conn);
      if (!running) {
        const journal = await chasquidLog(conn, 20);
        await restoreRemoteFile(conn, path);
        const recovered = await restartChasquid(conn);
        log.error(`chasquid did not run with the new ${path}; restored the previous file.\n${journal}`);
        throw vscode.FileSystemError.Unavailable(
          vscode.l10n.t(
            "chasquid does not run with this {0}: the previous file was put back ({1}). See the Mailwright log for chasquid's messages.",
            name,
            recovered ? vscode.l10n.t('chasquid runs again') : vscode.l10n.t('chasquid still does not run'),
          ),
        );
      }

      progress.report({ message: vscode.l10n.t('committing to git') });
      const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
      if (!root || !(await req.keepHistory(root))) return;
      try {
        const snap = await snapshotConf(conn, {
          workspaceRoot: root,
          hostName: host.name,
          title: `mailwright: edit ${name} on ${host.name}`,
          actions: [restart ? `${name} saved, chasquid restarted` : `${name} saved (chasquid re-reads it)`],
        });
        log.info(`Snapshot of ${host.name}: ${snap.committed ? `commit ${snap.commit}` : 'no change'}`);
      } catch (e) {
        // The server already has the file: a failed commit is a warning, not a failed save.
        log.warn(`Snapshot of ${host.name} failed: ${(e as Error).message}`);
        void vscode.window.showWarningMessage(
          vscode.l10n.t('Saved on the server, but the git snapshot failed: {0}', (e as Error).message),
        );
      }
    },
  );
}
