// A plan as plain text: the same words in the CLI, the extension's output and the tests.
import type { ApplyEvent, Plan } from './types';

export function formatPlan(plan: Plan, target: string): string {
  return planLines(plan, target).join('\n');
}

/**
 * The plan one line per element. What comes from the server (its OS name, a reason quoting a
 * fact, a drift diff's lines) stays inside its line: a terminal writer shows it escaped there.
 */
export function planLines(plan: Plan, target: string): string[] {
  const f = plan.facts;
  const out: string[] = [`Plan for ${plan.host} (${target}, ${f.os.prettyName}):`];
  if (plan.actions.length === 0) out.push('  Nothing to do: the server already matches mailwright.yaml.');
  plan.actions.forEach((a, i) => {
    out.push(`  ${i + 1}. ${a.title}`, `     why: ${a.reason}`);
    if (a.drift) {
      out.push(`     ! ${a.drift.path} was edited on the server since Mailwright wrote it:`);
      out.push(
        ...a.drift.diff
          .trimEnd()
          .split('\n')
          .map((l) => `       ${l}`),
      );
    }
  });
  if (plan.notes.length) out.push('Notes:', ...plan.notes.map((n) => `  - ${n}`));
  return out;
}

/** Apply progress as lines of text: a function to call per event. */
export function eventPrinter(write: (line: string) => void): (e: ApplyEvent) => void {
  return (e) => {
    switch (e.type) {
      case 'action-start':
        write(`[${e.index + 1}/${e.total}] ${e.title}`);
        break;
      case 'output':
        write(`      | ${e.line}`);
        break;
      case 'action-done':
        write(`      done${e.changedFiles.length ? ` (changed ${e.changedFiles.join(', ')})` : ''}`);
        break;
      case 'action-skipped':
        write(`      skipped: ${e.reason}`);
        break;
      case 'action-failed':
        // A message's own lines (a command's last stderr lines) stay under it, indented.
        e.message
          .split('\n')
          .forEach((line, i) => write(`${i === 0 ? '      FAILED: ' : '        '}${line}`));
        if (e.restored.length) write(`      put back: ${e.restored.join(', ')}`);
        if (e.hint) write(`      what to do: ${e.hint}`);
        break;
      case 'run-done':
        write(`Applied ${e.applied.length} action(s).`);
        break;
      case 'run-failed':
        write(
          `Stopped at "${e.failedAction}". Run apply again once the cause is fixed; finished steps are not repeated.`,
        );
        break;
      case 'run-cancelled':
        write(
          `Cancelled${e.atAction ? ` at "${e.atAction}"` : ''}. Files of the interrupted step were put back.`,
        );
        break;
    }
  };
}
