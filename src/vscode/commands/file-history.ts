// A config file's history, from the snapshots in the workspace repository: "Show History" (the
// commits that changed it; one opens as the change it made) and "Compare with Previous Version"
// (the last committed text that differs from the server's file, beside the server's file).
import { posix } from 'node:path';
import * as vscode from 'vscode';
import { fileAt, fileHistory, snapshotPath, type FileCommit } from '../../core/git';
import { confTarget, SCHEME as CONF_SCHEME } from '../fs/remote-paths';
import { GIT_FILE_SCHEME } from '../git-history';

interface ConfFile {
  hostName: string;
  /** On the server, e.g. /etc/chasquid/chasquid.conf. */
  path: string;
  uri: vscode.Uri;
}

/** The file of a Config files row, or of the active editor when it shows a server file. */
function confFileOf(arg: unknown): ConfFile | undefined {
  const node = arg as { host?: { name?: string }; path?: string; uri?: vscode.Uri } | undefined;
  if (node?.host?.name && node.path && node.uri)
    return { hostName: node.host.name, path: node.path, uri: node.uri };
  const uri = vscode.window.activeTextEditor?.document.uri;
  if (uri?.scheme !== CONF_SCHEME) return undefined;
  const target = confTarget(uri.authority, uri.path);
  return target && { ...target, uri };
}

function workspaceRoot(): string {
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!root)
    throw new Error(vscode.l10n.t('Open a folder first: snapshots are committed to its git repository.'));
  return root;
}

function gitUri(relPath: string, commit: string): vscode.Uri {
  return vscode.Uri.from({ scheme: GIT_FILE_SCHEME, path: `/${relPath}`, query: commit });
}

/** The text of a mailwright-git document (empty where the file did not exist yet). */
export async function gitFileContent(uri: vscode.Uri): Promise<string> {
  return (await fileAt(workspaceRoot(), uri.query, uri.path.slice(1))) ?? '';
}

/** The file's commits, or an explanation when there are none. */
async function historyOf(file: ConfFile): Promise<{ rel: string; commits: FileCommit[] } | undefined> {
  const rel = snapshotPath(file.hostName, file.path);
  if (!rel) throw new Error(vscode.l10n.t('{0} is not kept in the configuration snapshots.', file.path));
  const commits = await fileHistory(workspaceRoot(), rel);
  if (commits.length === 0) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t(
        'No history of {0} on {1} yet: it is kept in git (conf/{1}/) from the first provisioning or save.',
        posix.basename(file.path),
        file.hostName,
      ),
    );
    return undefined;
  }
  return { rel, commits };
}

const short = (commit: string) => commit.slice(0, 7);

export async function showFileHistoryAction(arg: unknown): Promise<void> {
  const file = confFileOf(arg);
  if (!file) return;
  const found = await historyOf(file);
  if (!found) return;
  const name = posix.basename(file.path);
  const picked = await vscode.window.showQuickPick(
    found.commits.map((c) => ({
      label: c.subject,
      description: `${short(c.commit)} · ${new Date(c.date).toLocaleString()}`,
      commit: c,
    })),
    {
      title: vscode.l10n.t('History of {0} on {1}', name, file.hostName),
      placeHolder: vscode.l10n.t('Choose a commit to see what it changed in {0}', name),
      matchOnDescription: true,
    },
  );
  if (!picked) return;
  const c = picked.commit.commit;
  await vscode.commands.executeCommand(
    'vscode.diff',
    gitUri(found.rel, `${c}^`),
    gitUri(found.rel, c),
    vscode.l10n.t('{0} — {1}: {2}', name, file.hostName, `${short(c)}^ ↔ ${short(c)}`),
  );
}

export async function compareWithPreviousAction(arg: unknown): Promise<void> {
  const file = confFileOf(arg);
  if (!file) return;
  const found = await historyOf(file);
  if (!found) return;
  const name = posix.basename(file.path);
  const current = new TextDecoder().decode(await vscode.workspace.fs.readFile(file.uri));
  // The newest committed text that differs from the server's: the version before the present one.
  let previous: FileCommit | undefined;
  for (const c of found.commits) {
    if ((await fileAt(workspaceRoot(), c.commit, found.rel)) !== current) {
      previous = c;
      break;
    }
  }
  if (!previous) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t(
        '{0} on {1} has no earlier version in git: every commit has its present text.',
        name,
        file.hostName,
      ),
    );
    return;
  }
  await vscode.commands.executeCommand(
    'vscode.diff',
    gitUri(found.rel, previous.commit),
    file.uri,
    vscode.l10n.t(
      '{0} — {1}: {2}',
      name,
      file.hostName,
      vscode.l10n.t('{0} ↔ server', short(previous.commit)),
    ),
  );
}
