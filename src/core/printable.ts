// Text that came from elsewhere (a server, a message, a DNS answer) is shown with its control
// characters made visible, so it cannot move the cursor, recolour a terminal or forge a line.

/** Control characters (C0 except tab, DEL, C1) written as \xNN; newlines too, unless kept. */
export function printable(text: string, opts: { keepNewlines?: boolean } = {}): string {
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, (c) =>
    opts.keepNewlines && c === '\n' ? c : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}
