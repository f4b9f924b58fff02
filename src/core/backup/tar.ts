// The tar format as far as backups need it: a streaming reader that sees each entry of what a
// server's `tar --format=pax` writes (ustar headers, pax and GNU long-name extensions) without
// holding more than one header in memory, and a writer of the few entries Mailwright adds.
import { ExpectedError } from '../errors';

const BLOCK = 512;

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'other';

export interface TarEntry {
  /** Relative, without a leading "./" or "/", directories without a trailing "/". */
  path: string;
  type: TarEntryType;
  size: number;
  /** Permission bits (0o640). */
  mode: number;
  uname: string;
  gname: string;
  /** Seconds since the epoch. */
  mtime: number;
}

export class TarFormatError extends ExpectedError {
  override name = 'TarFormatError';
}

export interface TarHandlers {
  /** A new entry: its data follows through data(), then end(). */
  entry?(entry: TarEntry): void;
  data?(chunk: Buffer): void;
  end?(entry: TarEntry): void;
  /** Every byte of the archive up to (not including) its end-of-archive blocks, in order. */
  raw?(chunk: Buffer): void;
}

function readString(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const nul = field.indexOf(0);
  return field.subarray(0, nul < 0 ? length : nul).toString('utf8');
}

function readNumber(block: Buffer, offset: number, length: number): number {
  const field = block.subarray(offset, offset + length);
  if (field[0]! & 0x80) {
    // GNU base-256: big-endian, the top bit of the first byte set.
    let value = field[0]! & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + field[i]!;
    return value;
  }
  const text = readString(block, offset, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`a tar header holds "${text}" where a number belongs`);
  return parseInt(text, 8);
}

function checksumOf(block: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i]!;
  return sum;
}

function parsePax(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const length = Number(data.subarray(at, space).toString('ascii'));
    if (!Number.isInteger(length) || length <= 0 || at + length > data.length)
      throw new TarFormatError('a pax header record has a wrong length');
    const record = data.subarray(space + 1, at + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) records.set(record.slice(0, eq), record.slice(eq + 1));
    at += length;
  }
  return records;
}

function cleanPath(path: string): string {
  return path.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');
}

/**
 * Reads a tar stream pushed chunk by chunk. After the end-of-archive blocks it reads nothing
 * more; `finish()` throws when the stream stopped before them (a truncated archive).
 */
export class TarReader {
  private header = Buffer.alloc(0);
  private state: 'header' | 'body' | 'meta' | 'end' = 'header';
  private remaining = 0;
  private padding = 0;
  private current: TarEntry | undefined;
  private meta: Buffer[] = [];
  private metaKind = '';
  private overrides = new Map<string, string>();
  private longName: string | undefined;

  constructor(private readonly handlers: TarHandlers) {}

  get ended(): boolean {
    return this.state === 'end';
  }

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && this.state !== 'end') {
      if (this.state === 'header') {
        const take = Math.min(BLOCK - this.header.length, chunk.length - at);
        this.header = Buffer.concat([this.header, chunk.subarray(at, at + take)]);
        at += take;
        if (this.header.length < BLOCK) continue;
        const block = this.header;
        this.header = Buffer.alloc(0);
        if (block.every((b) => b === 0)) {
          this.state = 'end';
          break;
        }
        this.handlers.raw?.(block);
        this.startEntry(block);
        continue;
      }
      // Body or metadata bytes, then the padding to the block boundary.
      const inBody = Math.min(this.remaining, chunk.length - at);
      if (inBody > 0) {
        const part = chunk.subarray(at, at + inBody);
        this.handlers.raw?.(part);
        if (this.state === 'meta') this.meta.push(part);
        else this.handlers.data?.(part);
        this.remaining -= inBody;
        at += inBody;
      }
      if (this.remaining > 0) continue;
      const pad = Math.min(this.padding, chunk.length - at);
      if (pad > 0) {
        this.handlers.raw?.(chunk.subarray(at, at + pad));
        this.padding -= pad;
        at += pad;
      }
      if (this.padding > 0) continue;
      this.endEntry();
    }
  }

  /** Throws unless the end-of-archive blocks were read. */
  finish(): void {
    if (this.state !== 'end')
      throw new TarFormatError(
        'the archive stops in the middle: it is truncated (or was cut off while written)',
      );
  }

  private startEntry(block: Buffer): void {
    const stored = readNumber(block, 148, 8);
    if (stored !== checksumOf(block))
      throw new TarFormatError('a tar header is damaged (its checksum is wrong)');
    const flag = String.fromCharCode(block[156]!);
    let size = readNumber(block, 124, 12);
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      this.state = 'meta';
      this.metaKind = flag;
      this.meta = [];
      this.remaining = size;
      this.padding = (BLOCK - (size % BLOCK)) % BLOCK;
      if (size === 0) this.endEntry();
      return;
    }
    const prefix = readString(block, 345, 155);
    const name = readString(block, 0, 100);
    let path = this.longName ?? this.overrides.get('path') ?? (prefix ? `${prefix}/${name}` : name);
    path = cleanPath(path);
    const paxSize = this.overrides.get('size');
    if (paxSize !== undefined) size = Number(paxSize);
    const type: TarEntryType =
      flag === '0' || flag === '\0' || flag === '7'
        ? 'file'
        : flag === '5'
          ? 'directory'
          : flag === '2'
            ? 'symlink'
            : 'other';
    if (type !== 'file') size = type === 'other' ? size : 0;
    this.current = {
      path,
      type,
      size,
      mode: readNumber(block, 100, 8) & 0o7777,
      uname: this.overrides.get('uname') ?? readString(block, 265, 32),
      gname: this.overrides.get('gname') ?? readString(block, 297, 32),
      mtime: Math.floor(Number(this.overrides.get('mtime') ?? readNumber(block, 136, 12))),
    };
    this.overrides = new Map();
    this.longName = undefined;
    this.handlers.entry?.(this.current);
    this.state = 'body';
    this.remaining = size;
    this.padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (size === 0) this.endEntry();
  }

  private endEntry(): void {
    if (this.state === 'meta') {
      const data = Buffer.concat(this.meta);
      this.meta = [];
      if (this.metaKind === 'x') this.overrides = parsePax(data);
      else if (this.metaKind === 'L') this.longName = readString(data, 0, data.length);
    } else if (this.current) {
      this.handlers.end?.(this.current);
      this.current = undefined;
    }
    this.state = 'header';
  }
}

function writeString(block: Buffer, offset: number, length: number, value: string): void {
  block.write(value, offset, length, 'utf8');
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  writeString(block, offset, length, value.toString(8).padStart(length - 1, '0') + '\0');
}

function ustarHeader(
  name: string,
  flag: string,
  size: number,
  entry: Pick<TarEntry, 'mode' | 'uname' | 'gname' | 'mtime'>,
): Buffer {
  const block = Buffer.alloc(BLOCK);
  writeString(block, 0, 100, name);
  writeOctal(block, 100, 8, entry.mode);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, size);
  writeOctal(block, 136, 12, entry.mtime);
  block.write(flag, 156, 1, 'ascii');
  block.write('ustar\u000000', 257, 8, 'ascii');
  writeString(block, 265, 32, entry.uname);
  writeString(block, 297, 32, entry.gname);
  block.fill(0x20, 148, 156);
  writeString(block, 148, 8, checksumOf(block).toString(8).padStart(6, '0') + '\0 ');
  return block;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length++;
  return `${length}${body}`;
}

/** Zero bytes up to the next block boundary after `size` bytes of data. */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** The header of one entry (a pax header first when the path does not fit ustar's 100 bytes). */
export function tarHeader(entry: TarEntry): Buffer {
  const flag = entry.type === 'directory' ? '5' : '0';
  const size = entry.type === 'file' ? entry.size : 0;
  const path = entry.type === 'directory' ? `${entry.path}/` : entry.path;
  const fits = Buffer.byteLength(path) <= 100 && /^[\x20-\x7e]*$/.test(path) && size < 0o77777777777;
  const header = ustarHeader(fits ? path : path.slice(0, 99), flag, size, entry);
  if (fits) return header;
  const pax = Buffer.from(paxRecord('path', path) + paxRecord('size', String(size)));
  return Buffer.concat([
    ustarHeader('PaxHeader', 'x', pax.length, { ...entry, mode: 0o644 }),
    pax,
    tarPadding(pax.length),
    header,
  ]);
}

/** A whole file entry: header, content, padding. */
export function tarFile(entry: Omit<TarEntry, 'type' | 'size'>, content: Buffer): Buffer {
  return Buffer.concat([
    tarHeader({ ...entry, type: 'file', size: content.length }),
    content,
    tarPadding(content.length),
  ]);
}

/** The two zero blocks that end an archive. */
export const TAR_END = Buffer.alloc(2 * BLOCK);
