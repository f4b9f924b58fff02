// Saving a chasquid file from the editor: the core's save (src/core/plan/conf-save.ts) under a
// progress notification, its findings as diagnostics, and its refusals as errors VS Code shows.
import * as vscode from 'vscode';
import type { ChasquidDiagnostic } from '../../core/chasquid';
import type { HostConfig } from '../../core/config';
import {
  ConfFileInvalidError,
  ConfFileOwnedError,
  ConfFileRejectedError,
  confFileName,
  saveConfFile as saveOnServer,
  validateConfFile,
  type ConfSaveStep,
} from '../../core/plan/conf-save';
import type { RemoteConnection } from '../../core/remote';

export interface SaveRequest {
  uri: vscode.Uri;
  host: HostConfig;
  path: string;
  content: Uint8Array;
  conn: RemoteConnection;
  chasquidVersion?: string;
  socketUnits?: readonly string[];
  diagnostics: vscode.DiagnosticCollection;
  log: vscode.LogOutputChannel;
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

/** The problems of a document's text now, as the save would find them (none: cleared). */
export function showProblems(
  diagnostics: vscode.DiagnosticCollection,
  uri: vscode.Uri,
  path: string,
  text: string,
  version?: string,
): void {
  const found = validateConfFile(path, text, version);
  if (found.length === 0) diagnostics.delete(uri);
  else diagnostics.set(uri, found.map(toDiagnostic));
}

const STEPS: Record<ConfSaveStep, () => string> = {
  uploading: () => vscode.l10n.t('uploading'),
  restarting: () => vscode.l10n.t('restarting chasquid'),
  checking: () => vscode.l10n.t('checking chasquid'),
  committing: () => vscode.l10n.t('committing to git'),
};

export async function saveConfFile(req: SaveRequest): Promise<void> {
  const { uri, host, path, conn, log } = req;
  const name = confFileName(path);
  showProblems(req.diagnostics, uri, path, Buffer.from(req.content).toString('utf8'), req.chasquidVersion);
  try {
    const result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: vscode.l10n.t('Saving {0} on {1}', name, host.name),
      },
      (progress) =>
        saveOnServer({
          conn,
          hostName: host.name,
          path,
          content: req.content,
          version: req.chasquidVersion,
          mailHost: host.mailHost,
          socketUnits: req.socketUnits,
          workspaceRoot: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
          progress: (step) => progress.report({ message: STEPS[step]() }),
        }),
    );
    log.info(`Saved ${path} on ${host.name}${result.commit ? `, commit ${result.commit}` : ''}`);
    if (result.commitError) {
      log.warn(`Snapshot of ${host.name} failed: ${result.commitError}`);
      void vscode.window.showWarningMessage(
        vscode.l10n.t('Saved on the server, but the git snapshot failed: {0}', result.commitError),
      );
    }
  } catch (e) {
    // VS Code shows a provider's message for Unavailable ("Unable to write file … (Unavailable
    // (FileSystemError): …)"); for NoPermissions it shows its own text and drops the message.
    if (e instanceof ConfFileInvalidError) {
      const first = e.errors[0]!;
      throw vscode.FileSystemError.Unavailable(
        vscode.l10n.t(
          '{0} has {1} error(s) (line {2}: {3}); nothing was uploaded. See the Problems panel.',
          name,
          e.errors.length,
          first.line,
          first.message,
        ),
      );
    }
    if (e instanceof ConfFileOwnedError) {
      throw vscode.FileSystemError.Unavailable(
        vscode.l10n.t(
          '{0} sets {1} to "{2}", but mailwright.yaml says "{3}" (mailHost): change it in mailwright.yaml and provision; nothing was uploaded.',
          name,
          e.field,
          e.found,
          e.wanted,
        ),
      );
    }
    if (e instanceof ConfFileRejectedError) {
      log.error(`chasquid did not run with the new ${path}; restored the previous file.\n${e.journal}`);
      throw vscode.FileSystemError.Unavailable(
        vscode.l10n.t(
          "chasquid does not run with this {0}: the previous file was put back ({1}). See the Mailwright log for chasquid's messages.",
          name,
          e.recovered ? vscode.l10n.t('chasquid runs again') : vscode.l10n.t('chasquid still does not run'),
        ),
      );
    }
    throw e;
  }
}
