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
