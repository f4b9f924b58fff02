// chasquid.conf reader/writer that keeps the file as the user wrote it: edits splice only
// the bytes they change, so comments, blank lines, order and spacing survive.
import { CONF_FIELDS } from './conf-schema';
import { validateConfFields } from './conf-validate';
import { ConfValue, decodeConfScalar, formatConfValue, scalarsOf } from './conf-values';
import { ChasquidDiagnostic, LineIndex } from './diagnostic';
import { parseTextProto, PtDocument, PtField } from './prototext';
import { ChasquidVersion } from './version';

export type { ConfValue } from './conf-values';

interface EntryBase {
  /** Exact source text of the entry; joining every entry's `raw` gives the file back. */
  raw: string;
  /** 1-based line where the entry starts. */
  line: number;
  /** Offsets of `raw` in the file. */
  start: number;
  end: number;
}

export type ConfEntry =
  | (EntryBase & { kind: 'blank' })
  | (EntryBase & { kind: 'comment'; text: string; trailing: boolean })
  | (EntryBase & {
      kind: 'field';
      name: string;
      values: (ConfValue | undefined)[];
      list: boolean;
      field: PtField;
    })
  | (EntryBase & { kind: 'message'; name: string; field: PtField })
  | (EntryBase & { kind: 'invalid'; message: string });

type FieldEntry = ConfEntry & { kind: 'field' | 'message' };

export class ChasquidConf {
  private text = '';
  private doc!: PtDocument;
  private list: ConfEntry[] = [];

  private constructor(text: string) {
    this.load(text);
  }

  static parse(text: string): ChasquidConf {
    return new ChasquidConf(text);
  }

  get entries(): readonly ConfEntry[] {
    return this.list;
  }

  print(): string {
    return this.text;
  }

  /** First value of the field, typed by chasquid's schema; undefined when absent or malformed. */
  get(field: string): ConfValue | undefined {
    return this.getAll(field)[0];
  }

  /** Every value of a (repeated) field, in file order, including `[a, b]` list syntax. */
  getAll(field: string): ConfValue[] {
    return this.occurrences(field)
      .flatMap((e) => (e.kind === 'field' ? e.values : []))
      .filter((v): v is ConfValue => v !== undefined);
  }

  has(field: string): boolean {
    return this.occurrences(field).length > 0;
  }

  /**
   * Sets a field. An existing value is replaced in place (later duplicates are dropped);
   * otherwise a line is added after the commented-out example of the field (`#hostname: …`)
   * or at the end. Commented lines are never touched.
   */
  set(field: string, value: ConfValue): void {
    this.setAll(field, [value]);
  }

  /** Sets a repeated field to exactly these values, reusing existing lines where possible. */
  setAll(field: string, values: readonly ConfValue[]): void {
    const literals = values.map((v) => formatConfValue(field, v));
    if (literals.length > 1 && CONF_FIELDS[field] && !CONF_FIELDS[field].repeated) {
      throw new TypeError(`chasquid.conf field "${field}" takes a single value`);
    }
    const occ = this.occurrences(field);
    if (literals.length === 0) return void this.remove(field);
    if (occ.length === 0) return this.insertLines(this.insertionPoint(field), field, literals, '');

    const edits: Edit[] = [];
    const first = occ[0] as FieldEntry;
    if (occ.some((e) => e.kind === 'field' && e.list) && literals.length > 1) {
      edits.push(replaceValue(first.field, `[${literals.join(', ')}]`));
      for (const e of occ.slice(1)) edits.push(this.removal(e));
      return this.apply(edits);
    }
    occ.forEach((e, i) => {
      const lit = literals[i];
      edits.push(lit === undefined ? this.removal(e) : replaceValue(e.field, lit));
    });
    if (literals.length > occ.length) {
      const last = occ[occ.length - 1] as ConfEntry;
      this.apply(edits);
      const after = this.occurrences(field)[occ.length - 1] ?? last;
      return this.insertLines(
        this.lineEndAfter(after.end),
        field,
        literals.slice(occ.length),
        indentOf(after.raw),
      );
    }
    this.apply(edits);
  }

  /** Removes every occurrence of the field (with a comment trailing it on the same line). */
  remove(field: string): boolean {
    const occ = this.occurrences(field);
    this.apply(occ.map((e) => this.removal(e)));
    return occ.length > 0;
  }

  validate(options: { version?: ChasquidVersion | string } = {}): ChasquidDiagnostic[] {
    return validateConfFields(this.doc, new LineIndex(this.text), options.version);
  }

  private load(text: string): void {
    this.text = text;
    this.doc = parseTextProto(text);
    this.list = buildEntries(text, this.doc);
  }

  /** Entries setting the field, including a (wrong) `field { }` block so edits replace it. */
  private occurrences(field: string): FieldEntry[] {
    return this.list.filter(
      (e): e is FieldEntry => (e.kind === 'field' || e.kind === 'message') && e.name === field,
    );
  }

  private eol(): string {
    return /\r\n/.exec(this.text)?.[0] ?? '\n';
  }

  /** After the last comment block mentioning `#field:`; else at the end of the file. */
  private insertionPoint(field: string): number {
    const example = new RegExp(`^#\\s*${field}\\s*[:{<]`);
    const isLineComment = (e: ConfEntry | undefined): boolean => e?.kind === 'comment' && !e.trailing;
    let idx = -1;
    this.list.forEach((e, i) => {
      if (e.kind === 'comment' && !e.trailing && example.test(e.text)) idx = i;
    });
    if (idx < 0) return this.text.length;
    while (isLineComment(this.list[idx + 1])) idx++;
    return (this.list[idx] as ConfEntry).end;
  }

  /** Start of the line after the one holding `offset` (or the end of the file). */
  private lineEndAfter(offset: number): number {
    if (offset > 0 && /[\r\n]/.test(this.text[offset - 1] ?? '')) return offset;
    const nl = /\r\n|\n|\r/g;
    nl.lastIndex = offset;
    const m = nl.exec(this.text);
    return m ? m.index + m[0].length : this.text.length;
  }

  private insertLines(offset: number, field: string, literals: string[], indent: string): void {
    const eol = this.eol();
    const needsBreak = offset > 0 && !/[\r\n]/.test(this.text[offset - 1] ?? '');
    const lines = literals.map((l) => `${indent}${field}: ${l}${eol}`).join('');
    this.apply([{ start: offset, end: offset, text: (needsBreak ? eol : '') + lines }]);
  }

  /** Deletes an entry and a comment trailing it; keeps the line break when other content shares the line. */
  private removal(e: ConfEntry): Edit {
    let end = e.end;
    const next = this.list[this.list.indexOf(e) + 1];
    if (next?.kind === 'comment' && next.trailing && next.start === e.end) end = next.end;
    const atLineStart = e.start === 0 || /[\r\n]/.test(this.text[e.start - 1] ?? '');
    if (!atLineStart) end -= /(\r\n|\n|\r)$/.exec(this.text.slice(e.start, end))?.[0].length ?? 0;
    return { start: e.start, end, text: '' };
  }

  private apply(edits: Edit[]): void {
    let text = this.text;
    for (const e of [...edits].sort((a, b) => b.start - a.start)) {
      text = text.slice(0, e.start) + e.text + text.slice(e.end);
    }
    this.load(text);
  }
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

function replaceValue(f: PtField, literal: string): Edit {
  return f.hasColon
    ? { start: f.value.start, end: f.value.end, text: literal }
    : { start: f.nameEnd, end: f.value.end, text: `: ${literal}` };
}

function indentOf(raw: string): string {
  return /^[ \t]*/.exec(raw.replace(/^(?:[ \t]*(?:\r\n|\n|\r))*/, ''))?.[0] ?? '';
}

function lineStartOf(text: string, offset: number): number {
  return Math.max(text.lastIndexOf('\n', offset - 1), text.lastIndexOf('\r', offset - 1)) + 1;
}

function buildEntries(text: string, doc: PtDocument): ConfEntry[] {
  const lines = new LineIndex(text);
  type Item = { start: number; end: number; make: (b: EntryBase) => ConfEntry };
  const items: Item[] = [
    ...doc.fields.map((f): Item => ({
      start: f.start,
      end: f.end,
      make: (b) =>
        f.value.kind === 'message'
          ? { ...b, kind: 'message', name: f.name, field: f }
          : {
              ...b,
              kind: 'field',
              name: f.name,
              list: f.value.kind === 'list',
              values: scalarsOf(f.value).map((s) => decodeConfScalar(s, CONF_FIELDS[f.name]?.type).value),
              field: f,
            },
    })),
    ...doc.skipped.map((r, i): Item => ({
      ...r,
      make: (b) => ({ ...b, kind: 'invalid', message: doc.errors[i]?.message ?? 'syntax error' }),
    })),
    ...doc.comments.map((c): Item => ({
      start: c.start,
      end: c.end,
      make: (b) => ({
        ...b,
        kind: 'comment',
        text: c.text,
        trailing: !/^[ \t]*$/.test(text.slice(lineStartOf(text, c.start), c.start)),
      }),
    })),
  ].sort((a, b) => a.start - b.start);

  const out: ConfEntry[] = [];
  const blankLine = /[ \t]*(?:\r\n|\n|\r)/y;
  const pushBlanks = (from: number, to: number): number => {
    let p = from;
    blankLine.lastIndex = p;
    for (let m = blankLine.exec(text); m && m.index + m[0].length <= to; m = blankLine.exec(text)) {
      const end = m.index + m[0].length;
      out.push({ kind: 'blank', raw: text.slice(p, end), line: lines.position(p).line, start: p, end });
      p = end;
      blankLine.lastIndex = p;
    }
    return p;
  };
  let cursor = 0;
  for (const item of items) {
    const start = pushBlanks(cursor, item.start);
    let end = item.end;
    const after = /[ \t]*(\r\n|\n|\r|$)/y;
    after.lastIndex = end;
    const m = after.exec(text);
    if (m) end = m.index + m[0].length;
    out.push(item.make({ raw: text.slice(start, end), line: lines.position(item.start).line, start, end }));
    cursor = end;
  }
  const p = pushBlanks(cursor, text.length);
  if (p < text.length) {
    out.push({ kind: 'blank', raw: text.slice(p), line: lines.position(p).line, start: p, end: text.length });
  }
  return out;
}
