// A small, position-keeping protobuf text-format parser. It knows no schema: callers
// (chasquid.conf, users files) judge names and types, so each can word its own diagnostics.
import { LineIndex } from './diagnostic';
import { decodeStringLiteral } from './prototext-string';

export type TokenKind = 'ident' | 'string' | 'number' | 'punct' | 'comment' | 'invalid';

export interface Token {
  kind: TokenKind;
  start: number;
  end: number;
  text: string;
  /** Decoded content of a string token. */
  bytes?: Uint8Array;
  error?: { start: number; end: number; message: string };
}

const isIdentStart = (c: string): boolean => /[A-Za-z_]/.test(c);
const isIdentPart = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_]/.test(c);
// Go's prototext skips exactly these; anything else (a BOM, \v, \f) is a syntax error there.
const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, start: number, end: number): Token => {
    const t: Token = { kind, start, end, text: src.slice(start, end) };
    tokens.push(t);
    return t;
  };
  while (i < src.length) {
    const c = src[i] as string;
    if (isSpace(c)) {
      i++;
    } else if (c === '#') {
      let j = i;
      while (j < src.length && src[j] !== '\n' && src[j] !== '\r') j++;
      push('comment', i, j);
      i = j;
    } else if (isIdentStart(c)) {
      let j = i + 1;
      while (isIdentPart(src[j])) j++;
      push('ident', i, j);
      i = j;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      // Take the whole run (e.g. "08", "5f", "1e+3"); whether it is a valid number is judged later.
      let j = i + 1;
      while (j < src.length) {
        const d = src[j] as string;
        if (isIdentPart(d) || d === '.') j++;
        else if ((d === '+' || d === '-') && /[eE]/.test(src[j - 1] ?? '') && !/^0[xX]/.test(src.slice(i, j)))
          j++;
        else break;
      }
      push('number', i, j);
      i = j;
    } else if (c === '"' || c === "'") {
      const d = decodeStringLiteral(src, i);
      const t = push('string', i, d.end);
      t.bytes = d.bytes;
      if (d.error) t.error = d.error;
      i = d.end;
    } else if (':{}<>[],;-'.includes(c)) {
      push('punct', i, i + 1);
      i++;
    } else {
      const len = String.fromCodePoint(src.codePointAt(i) as number).length;
      const t = push('invalid', i, i + len);
      const shown = c === '\uFEFF' ? 'a byte-order mark (BOM)' : JSON.stringify(t.text);
      t.error = { start: i, end: i + len, message: `unexpected character ${shown}` };
      i += len;
    }
  }
  return tokens;
}

export interface PtScalar {
  kind: 'string' | 'number' | 'ident';
  start: number;
  end: number;
  /** Source text of a number or identifier, with its '-' sign; for strings the raw literal(s). */
  text: string;
  /** Concatenated content of adjacent string literals. */
  bytes?: Uint8Array;
}

export type PtValue =
  | { kind: 'scalar'; scalar: PtScalar; start: number; end: number }
  | { kind: 'message'; fields: PtField[]; start: number; end: number }
  | { kind: 'list'; items: PtValue[]; start: number; end: number };

export interface PtField {
  name: string;
  nameStart: number;
  nameEnd: number;
  hasColon: boolean;
  value: PtValue;
  /** Start of the name to the end of the value or of its ',' / ';' separator. */
  start: number;
  end: number;
}

export interface PtError {
  start: number;
  end: number;
  message: string;
}

export interface PtDocument {
  fields: PtField[];
  /** Comments outside any field (top-level), in order. */
  comments: Token[];
  errors: PtError[];
  /** Source spans skipped after a syntax error, each from a field's start to the end of a line. */
  skipped: { start: number; end: number }[];
}

class PtSyntaxError extends Error {
  constructor(
    readonly start: number,
    readonly end: number,
    message: string,
  ) {
    super(message);
  }
}

export function parseTextProto(src: string): PtDocument {
  return new Parser(src).document();
}

class Parser {
  private readonly tokens: Token[];
  private readonly comments: Token[];
  private readonly lines: LineIndex;
  private pos = 0;

  constructor(private readonly src: string) {
    this.lines = new LineIndex(src);
    const all = tokenize(src);
    this.tokens = all.filter((t) => t.kind !== 'comment');
    this.comments = all.filter((t) => t.kind === 'comment');
  }

  document(): PtDocument {
    const doc: PtDocument = { fields: [], comments: [], errors: [], skipped: [] };
    while (this.pos < this.tokens.length) {
      const first = this.pos;
      try {
        doc.fields.push(this.field());
      } catch (e) {
        if (!(e instanceof PtSyntaxError)) throw e;
        doc.errors.push({ start: e.start, end: e.end, message: e.message });
        doc.skipped.push(this.recover(first, e));
      }
    }
    const inside = [...doc.fields, ...doc.skipped];
    doc.comments = this.comments.filter((c) => !inside.some((f) => c.start >= f.start && c.start < f.end));
    return doc;
  }

  private lineEnd(offset: number): number {
    let i = offset;
    while (i < this.src.length && this.src[i] !== '\n' && this.src[i] !== '\r') i++;
    return i;
  }

  private lineOf(offset: number): number {
    return this.lines.position(offset).line;
  }

  /** Skips to the first token that starts a new line at nesting depth 0, past the error's line. */
  private recover(first: number, e: PtSyntaxError): { start: number; end: number } {
    const start = this.tokens[first]?.start ?? e.start;
    let i = first;
    // Open brackets; a closer pops up to its own opener, so "[ }" still closes the "{".
    const open: string[] = [];
    let lastEnd = Math.max(e.end, start + 1);
    const errLine = this.lineOf(e.start);
    while (i < this.tokens.length) {
      const t = this.tokens[i] as Token;
      const newLine = this.lineOf(t.start) > Math.max(errLine, this.lineOf(lastEnd - 1));
      if (t.start >= e.start && open.length === 0 && newLine) break;
      if (t.kind === 'punct' && '{<['.includes(t.text)) open.push(t.text);
      const opener = t.kind === 'punct' ? { '}': '{', '>': '<', ']': '[' }[t.text] : undefined;
      if (opener && open.includes(opener)) while (open.pop() !== opener);
      lastEnd = Math.max(lastEnd, t.end);
      i++;
    }
    this.pos = i;
    return { start, end: this.lineEnd(lastEnd - 1) };
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private isPunct(t: Token | undefined, chars: string): boolean {
    return t !== undefined && t.kind === 'punct' && chars.includes(t.text);
  }

  private fail(t: Token | undefined, message: string): never {
    if (!t) throw new PtSyntaxError(this.src.length, this.src.length, `unexpected end of file: ${message}`);
    if (t.error) throw new PtSyntaxError(t.error.start, t.error.end, t.error.message);
    throw new PtSyntaxError(t.start, t.end, message);
  }

  private field(): PtField {
    const nameTok = this.peek();
    if (!nameTok || nameTok.kind !== 'ident') {
      if (this.isPunct(nameTok, '['))
        this.fail(nameTok, 'extension and Any fields ([...]) are not supported here');
      this.fail(nameTok, `invalid field name: ${nameTok?.text ?? ''}`);
    }
    this.pos++;
    let hasColon = false;
    if (this.isPunct(this.peek(), ':')) {
      hasColon = true;
      this.pos++;
    }
    const next = this.peek();
    let value: PtValue;
    if (this.isPunct(next, '{<')) value = this.message();
    else if (hasColon && this.isPunct(next, '[')) value = this.list();
    else if (hasColon) value = this.scalarValue();
    else {
      throw new PtSyntaxError(nameTok.start, nameTok.end, `missing ':' after field name "${nameTok.text}"`);
    }
    let end = value.end;
    if (this.isPunct(this.peek(), ',;')) end = (this.tokens[this.pos++] as Token).end;
    return {
      name: nameTok.text,
      nameStart: nameTok.start,
      nameEnd: nameTok.end,
      hasColon,
      value,
      start: nameTok.start,
      end,
    };
  }

  private message(): PtValue {
    const open = this.tokens[this.pos++] as Token;
    const close = open.text === '{' ? '}' : '>';
    const fields: PtField[] = [];
    for (;;) {
      const t = this.peek();
      if (!t)
        throw new PtSyntaxError(open.start, open.end, `missing closing "${close}" for this "${open.text}"`);
      if (this.isPunct(t, close)) break;
      fields.push(this.field());
    }
    const closeTok = this.tokens[this.pos++] as Token;
    return { kind: 'message', fields, start: open.start, end: closeTok.end };
  }

  private list(): PtValue {
    const open = this.tokens[this.pos++] as Token;
    const items: PtValue[] = [];
    if (!this.isPunct(this.peek(), ']')) {
      for (;;) {
        items.push(this.isPunct(this.peek(), '{<') ? this.message() : this.scalarValue());
        const sep = this.peek();
        if (this.isPunct(sep, ',')) {
          this.pos++;
          continue;
        }
        if (this.isPunct(sep, ']')) break;
        this.fail(sep, `expected "," or "]" in list, found ${sep?.text ?? 'nothing'}`);
      }
    }
    const closeTok = this.tokens[this.pos++] as Token;
    return { kind: 'list', items, start: open.start, end: closeTok.end };
  }

  private scalarValue(): PtValue {
    const s = this.scalar();
    return { kind: 'scalar', scalar: s, start: s.start, end: s.end };
  }

  private scalar(): PtScalar {
    const t = this.peek();
    if (!t) this.fail(t, 'a value is missing');
    if (t.error) this.fail(t, t.error.message);
    if (this.isPunct(t, '-')) {
      this.pos++;
      const n = this.peek();
      if (!n || (n.kind !== 'number' && n.kind !== 'ident'))
        this.fail(n, `invalid value after "-": ${n?.text ?? ''}`);
      if (n.start !== t.end) {
        this.fail(n, 'no space is allowed between "-" and the number (chasquid 1.11 rejects it)');
      }
      this.pos++;
      return { kind: n.kind, start: t.start, end: n.end, text: '-' + n.text };
    }
    if (t.kind === 'string') {
      const parts: Uint8Array[] = [];
      let end = t.end;
      while (this.peek()?.kind === 'string') {
        const s = this.tokens[this.pos] as Token;
        if (s.error) this.fail(s, s.error.message);
        parts.push(s.bytes ?? new Uint8Array());
        end = s.end;
        this.pos++;
      }
      const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) {
        bytes.set(p, o);
        o += p.length;
      }
      return { kind: 'string', start: t.start, end, text: this.src.slice(t.start, end), bytes };
    }
    if (t.kind === 'number' || t.kind === 'ident') {
      this.pos++;
      return { kind: t.kind, start: t.start, end: t.end, text: t.text };
    }
    this.fail(t, `invalid value: ${t.text}`);
  }
}

/** Reads an integer literal as Go's prototext does (decimal, 0x hex, 0-prefixed octal). */
export function parseIntLiteral(text: string): bigint | undefined {
  const m = /^(-?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!m) return undefined;
  const body = m[2] as string;
  const v = /^0[xX]/.test(body)
    ? BigInt(body.toLowerCase())
    : body.length > 1 && body.startsWith('0')
      ? BigInt('0o' + body.slice(1))
      : BigInt(body);
  return m[1] ? -v : v;
}
