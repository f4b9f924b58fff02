/**
 * A problem found in a chasquid file, positioned for an editor's Problems panel.
 * Lines and columns are 1-based; columns count UTF-16 code units (what VS Code's
 * `Position.character` counts, plus one). `endColumn` is exclusive.
 */
export interface ChasquidDiagnostic {
  severity: 'error' | 'warning' | 'info';
  /** Stable machine-readable id, e.g. `unknown-field`. */
  code: string;
  message: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** Maps string offsets to 1-based line/column, treating `\r\n`, `\n` and lone `\r` as line ends. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) this.starts.push(i + 1);
      else if (c === 13 && text.charCodeAt(i + 1) !== 10) this.starts.push(i + 1);
    }
  }

  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (this.starts[lo] ?? 0) + 1 };
  }

  diagnostic(
    start: number,
    end: number,
    severity: ChasquidDiagnostic['severity'],
    code: string,
    message: string,
  ): ChasquidDiagnostic {
    const a = this.position(start);
    const b = this.position(Math.max(end, start));
    return { severity, code, message, line: a.line, column: a.column, endLine: b.line, endColumn: b.column };
  }
}
