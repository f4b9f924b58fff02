// Whether the editor keeps the servers' configuration history in the workspace's git repository.
// mailwright.yaml decides when it says (git.history, or a git.remote to push to); a workspace that
// is a git repository already keeps it, as before. Otherwise the user is asked once per workspace
// before the folder becomes a repository, and the answer is remembered in the workspace state.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { historyChoice } from '../core/git/history-choice';
import type { WorkspaceConfig } from './workspace-config';

const ANSWER_KEY = 'mailwright.gitHistory';

/** Documents of a config file at a commit: mailwright-git:/<path in the workspace>?<commit>. */
export const GIT_FILE_SCHEME = 'mailwright-git';

export class GitHistoryChoice {
  /** One question at a time: hosts provisioned side by side wait for the same answer. */
  private asking?: Thenable<boolean | undefined>;

  constructor(
    private readonly state: vscode.Memento,
    private readonly config: WorkspaceConfig,
  ) {}

  /** True when a snapshot may be committed to the workspace at `root`. */
  async keep(root: string): Promise<boolean> {
    const decided = historyChoice((await this.config.get())?.git);
    if (decided !== undefined) return decided;
    if (existsSync(join(root, '.git'))) return true;
    const answered = this.state.get<boolean>(ANSWER_KEY);
    if (answered !== undefined) return answered;
    this.asking ??= this.ask().then((answer) => {
      this.asking = undefined;
      return answer;
    });
    return (await this.asking) ?? false;
  }

  private async ask(): Promise<boolean | undefined> {
    const keep = vscode.l10n.t('Keep History in Git');
    const no = vscode.l10n.t('Not in This Workspace');
    const answer = await vscode.window.showInformationMessage(
      vscode.l10n.t("Keep the history of the servers' configuration in git?"),
      {
        modal: true,
        detail: vscode.l10n.t(
          "Mailwright can make this folder a git repository and commit each server's /etc/chasquid (secrets left out) to conf/<server>/ after every change, so that you can see what changed and when. The answer is kept for this workspace; git.history in mailwright.yaml decides for every machine.",
        ),
      },
      keep,
      no,
    );
    // Dismissed is no answer: asked again next time, and nothing is committed now.
    if (answer === undefined) return undefined;
    await this.state.update(ANSWER_KEY, answer === keep);
    return answer === keep;
  }
}
