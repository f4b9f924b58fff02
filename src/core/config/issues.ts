// Collecting ConfigIssues at YAML node positions, and printing them like a compiler does.
import { isCollection, type LineCounter, type Node } from 'yaml';
import type { ConfigIssue, IssueSeverity } from './types';

/** Character offsets into the source, end exclusive. */
export interface SourceSpan {
  start: number;
  end: number;
}

export class IssueCollector {
  readonly issues: ConfigIssue[] = [];

  constructor(
    private readonly file: string,
    private readonly source: string,
    private readonly lineCounter: LineCounter,
  ) {}

  error(at: Node | SourceSpan | undefined, path: string, message: string, hint: string): void {
    this.add('error', at, path, message, hint);
  }

  warning(at: Node | SourceSpan | undefined, path: string, message: string, hint: string): void {
    this.add('warning', at, path, message, hint);
  }

  add(
    severity: IssueSeverity,
    at: Node | SourceSpan | undefined,
    path: string,
    message: string,
    hint: string,
  ): void {
    const span = this.spanOf(at);
    const start = this.lineCounter.linePos(span.start);
    const end = this.lineCounter.linePos(span.end);
    this.issues.push({
      severity,
      file: this.file,
      line: start.line,
      column: start.col,
      endLine: end.line,
      endColumn: end.col,
      path,
      message,
      hint,
    });
  }

  /** Where a node starts, as `line 9, column 17`. */
  describePosition(node: Node): string {
    const { line, col } = this.lineCounter.linePos(node.range?.[0] ?? 0);
    return `line ${line}, column ${col}`;
  }

  private spanOf(at: Node | SourceSpan | undefined): SourceSpan {
    if (at === undefined) return { start: 0, end: 0 };
    if ('start' in at) return at;
    const [start = 0, valueEnd = start] = at.range ?? [];
    // A whole map or list would underline half the file; its first line says enough.
    return { start, end: isCollection(at) ? this.endOfLine(start) : valueEnd };
  }

  private endOfLine(offset: number): number {
    const newline = this.source.indexOf('\n', offset);
    return newline === -1 ? this.source.length : newline;
  }
}

export function hasErrors(issues: readonly ConfigIssue[]): boolean {
  return issues.some((issue) => issue.severity === 'error');
}

/** `mailwright.yaml:7:11: hosts[0].ssh: "root@@x" is not a valid SSH target. Expected …` */
export function formatIssue(issue: ConfigIssue): string {
  const severity = issue.severity === 'warning' ? 'warning: ' : '';
  const path = issue.path === '' ? '' : `${issue.path}: `;
  const hint = issue.hint === '' ? '' : ` ${issue.hint}`;
  return `${issue.file}:${issue.line}:${issue.column}: ${severity}${path}${issue.message}${hint}`;
}

/** One line per issue, in file order. */
export function formatIssues(issues: readonly ConfigIssue[]): string {
  return [...issues]
    .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column)
    .map(formatIssue)
    .join('\n');
}
