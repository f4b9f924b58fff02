// A plan as plain text: the same words in the CLI, the extension's output and the tests.
import type { ApplyEvent, Plan } from './types';

const indent = (text: string, by: string) =>
  text
    .split('\n')
    .map((l) => by + l)
    .join('\n');

export function formatPlan(plan: Plan, target: string): string {
  const f = plan.facts;
  const out: string[] = [`Plan for ${plan.host} (${target}, ${f.os.prettyName}):`];
  if (plan.actions.length === 0) out.push('  Nothing to do: the server already matches mailwright.yaml.');
  plan.actions.forEach((a, i) => {
    out.push(`  ${i + 1}. ${a.title}`, `     why: ${a.reason}`);
    if (a.drift) {
      out.push(`     ! ${a.drift.path} was edited on the server since Mailwright wrote it:`);
      out.push(indent(a.drift.diff.trimEnd(), '       '));
    }
  });
  if (plan.notes.length) out.push('Notes:', ...plan.notes.map((n) => `  - ${n}`));
  return out.join('\n');
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
        write(`      FAILED: ${e.message}`);
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
