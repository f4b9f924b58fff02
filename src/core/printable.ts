// Text that came from elsewhere (a server, a message, a DNS answer) is shown with its control
// characters made visible, so it cannot move the cursor, recolour a terminal or forge a line.

/** C0 controls except tab, DEL, and the C1 controls. */
function isControl(code: number): boolean {
  return (code < 0x20 && code !== 0x09) || (code >= 0x7f && code <= 0x9f);
}

/** Control characters written as \xNN; newlines too, unless kept. */
export function printable(text: string, opts: { keepNewlines?: boolean } = {}): string {
  let out = '';
  for (const c of text) {
    const code = c.charCodeAt(0);
    out +=
      isControl(code) && !(opts.keepNewlines && c === '\n') ? `\\x${code.toString(16).padStart(2, '0')}` : c;
  }
  return out;
}

/** The colours the product itself may put on a line (a terminal shows them, plain text drops them). */
export type Style = 'red' | 'green' | 'yellow' | 'dim';
export interface Painted {
  style: Style;
  text: string;
}
/**
 * One line of output: plain text, or pieces of which some are painted. Every piece is made
 * printable when the line is rendered — a newline inside a piece included — so text from
 * elsewhere can neither move the cursor nor start a line of its own.
 */
export type TextLine = string | readonly (string | Painted)[];

export const paint = (style: Style, text: string): Painted => ({ style, text });

const SGR: Record<Style, string> = { red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', dim: '\x1b[2m' };
const RESET = '\x1b[0m';

/** A line as terminal text: each piece printable, the product's colours added only when asked. */
export function renderLine(line: TextLine, opts: { color?: boolean } = {}): string {
  if (typeof line === 'string') return printable(line);
  return line
    .map((piece) =>
      typeof piece === 'string'
        ? printable(piece)
        : opts.color
          ? `${SGR[piece.style]}${printable(piece.text)}${RESET}`
          : printable(piece.text),
    )
    .join('');
}

/** Lines as one text (without a final newline). */
export function renderLines(lines: readonly TextLine[], opts: { color?: boolean } = {}): string {
  return lines.map((l) => renderLine(l, opts)).join('\n');
}
