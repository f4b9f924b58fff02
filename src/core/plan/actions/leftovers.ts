// Temporary files of atomic writes that a power loss cut off between their copy and their rename
// (remote/files.ts): the file they were meant to replace is as it was, so they are only clutter
// next to managed files, and the next run removes them. Only Mailwright's own names, only in the
// folders it writes to (the facts look nowhere else), and never one whose script still runs.
import { printable } from '../../printable';
import { isWriteLeftover, shellScript } from '../../remote';
import type { Action, ActionPlanner } from '../types';

// $@ the leftovers (their names checked here): each removed unless a process of that id runs.
const REMOVE_LEFTOVERS = `for f in "$@"; do
  [ -d "/proc/\${f##*.}" ] && { echo "kept $f: its write is still running"; continue; }
  [ -f "$f" ] && [ ! -L "$f" ] && rm -f -- "$f" && echo "removed $f"
done
exit 0`;

export const planLeftovers: ActionPlanner = (ctx) => {
  const files = (ctx.facts.leftoverFiles ?? []).filter(isWriteLeftover);
  if (files.length === 0) return [];
  const action: Action = {
    id: 'leftovers',
    kind: 'leftovers',
    title: 'Remove temporary files left by interrupted writes',
    reason: `${files.length} temporary file(s) of a write that stopped before its last step (a power loss or a crash; the file it was for is unchanged): ${files.map((f) => printable(f)).join(', ')}`,
    apply: async (actx) => {
      await actx.run(shellScript(REMOVE_LEFTOVERS, files));
    },
    verify: async (actx) => {
      const r = await actx.run(
        shellScript(
          'for f in "$@"; do [ -e "$f" ] && [ ! -d "/proc/${f##*.}" ] && echo "$f"; done; exit 0',
          files,
        ),
      );
      const left = r.stdout.split('\n').filter(Boolean);
      if (left.length > 0) throw new Error(`still there: ${left.map((f) => printable(f)).join(', ')}`);
    },
  };
  return [action];
};
