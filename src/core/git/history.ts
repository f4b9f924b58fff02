// A config file's history in the workspace repository: the commits that touched its snapshot,
// and its text at one of them. Read-only: nothing here changes the repository.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { git } from './git-command';

export interface FileCommit {
  commit: string;
  /** ISO 8601, the author's date. */
  date: string;
  subject: string;
}

const FIELD = '\x1f';

/** The commits that changed `relPath` (relative to the workspace), newest first; none without a repository. */
export async function fileHistory(workspaceRoot: string, relPath: string, max = 100): Promise<FileCommit[]> {
  if (!existsSync(join(workspaceRoot, '.git'))) return [];
  const r = await git(workspaceRoot, ['log', `-n${max}`, '--format=%H%x1f%aI%x1f%s', '--', relPath], {
    allowFailure: true,
  });
  if (r.exitCode !== 0) return []; // a repository without commits yet
  return r.stdout
    .split('\n')
    .filter((l) => l.includes(FIELD))
    .map((l) => {
      const [commit = '', date = '', subject = ''] = l.split(FIELD);
      return { commit, date, subject };
    });
}

/** The text of `relPath` at `commit` (`<commit>^` for the one before); undefined where it did not exist. */
export async function fileAt(
  workspaceRoot: string,
  commit: string,
  relPath: string,
): Promise<string | undefined> {
  if (!/^[0-9a-f]{7,40}\^?$/.test(commit)) throw new Error(`not a commit: ${commit}`);
  const r = await git(workspaceRoot, ['show', `${commit}:${relPath}`], {
    allowFailure: true,
    exactOutput: true,
  });
  return r.exitCode === 0 ? r.stdout : undefined;
}
