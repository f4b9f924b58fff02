// A raw message's header section, unfolded, in order: enough to read who it claims to be from,
// the path it took and what the receivers said about it. The body is never parsed here.

export interface HeaderField {
  /** Lowercase. */
  name: string;
  /** Unfolded, trimmed. */
  value: string;
}

/** The header fields of a raw RFC 5322 message (CRLF or LF), topmost first. */
export function parseHeaders(raw: string | Buffer): HeaderField[] {
  const text = typeof raw === 'string' ? raw : raw.toString('latin1');
  const end = /\r?\n\r?\n/.exec(text);
  const head = end ? text.slice(0, end.index) : text;
  const fields: HeaderField[] = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && fields.length > 0) {
      fields[fields.length - 1]!.value += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.push({ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() });
  }
  return fields;
}

/** True when the text starts like a message: header fields, and at least one of From/Received/Subject/… */
export function looksLikeMessage(text: string): boolean {
  const head = text.slice(0, 64 * 1024).replace(/^\uFEFF/, '');
  const firstLine = head.split(/\r?\n/, 1)[0] ?? '';
  if (!/^[!-9;-~]+:/.test(firstLine) && !/^From \S/.test(firstLine)) return false;
  const names = new Set(parseHeaders(head.replace(/^From \S.*\r?\n/, '')).map((f) => f.name));
  return ['from', 'received', 'dkim-signature', 'message-id', 'return-path'].some((n) => names.has(n));
}

export function headerValues(fields: readonly HeaderField[], name: string): string[] {
  return fields.filter((f) => f.name === name).map((f) => f.value);
}

export function firstHeader(fields: readonly HeaderField[], name: string): string | undefined {
  return fields.find((f) => f.name === name)?.value;
}

/** RFC 2047 encoded words (=?utf-8?B?…?= / ?Q?) decoded; anything it cannot decode stays as written. */
export function decodeWords(text: string): string {
  return text
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (whole, charset: string, enc: string, data: string) => {
      try {
        const bytes =
          enc.toUpperCase() === 'B'
            ? Buffer.from(data, 'base64')
            : Buffer.from(
                data
                  .replace(/_/g, ' ')
                  .replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
                'latin1',
              );
        return new TextDecoder(charset.replace(/\*.*$/, '').toLowerCase(), { fatal: false }).decode(bytes);
      } catch {
        return whole;
      }
    });
}

/** The addr-spec of a mailbox header value: "Bob <bob@example.com>" → "bob@example.com". */
export function addressOf(value: string): string | undefined {
  const angle = /<([^<>]*)>/.exec(value);
  const text = (angle ? angle[1]! : value.replace(/\([^()]*\)/g, '')).trim();
  return text === '' ? undefined : text;
}
