// Turns a NameCheck into issues at the node it came from.
import type { Node } from 'yaml';
import type { NameCheck } from '../names';
import type { IssueCollector } from './issues';

/** The normalized name, or undefined after reporting why it is invalid. Warnings are reported too. */
export function acceptName(
  issues: IssueCollector,
  check: NameCheck,
  text: string,
  node: Node,
  path: string,
  what: string,
  example: string,
): string | undefined {
  if (!check.ok) {
    issues.error(
      node,
      path,
      `"${text}" is not a valid ${what}: ${check.reason}.`,
      check.hint ?? `For example: ${example}`,
    );
    return undefined;
  }
  for (const warning of check.warnings) issues.warning(node, path, warning.message, warning.hint);
  return check.value;
}

/** Tracks names already seen in a list, reporting repeats with where the first one is. */
export class DuplicateTracker {
  private readonly seen = new Map<string, Node>();

  constructor(
    private readonly issues: IssueCollector,
    private readonly what: string,
  ) {}

  /** True when `name` is new; otherwise reports it and returns false. */
  add(name: string, node: Node, path: string): boolean {
    const first = this.seen.get(name);
    if (first === undefined) {
      this.seen.set(name, node);
      return true;
    }
    this.issues.error(
      node,
      path,
      `${this.what} "${name}" is listed twice (first at ${this.issues.describePosition(first)}).`,
      `Remove one of them, or rename this one.`,
    );
    return false;
  }
}
