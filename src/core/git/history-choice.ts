// Whether the configuration history is kept in git, as far as mailwright.yaml says. Its own file:
// the editor's main bundle asks this without loading git.
import type { GitConfig } from '../config/types';

/**
 * mailwright.yaml's decision: `git.history`, or yes when it names a remote to push the history
 * to; undefined when it leaves the choice open (the command line then keeps the history, the
 * editor asks once per workspace).
 */
export function historyChoice(git: GitConfig | undefined): boolean | undefined {
  if (git?.history !== undefined) return git.history;
  return git?.remote ? true : undefined;
}
