// Protobuf text-format string literals, with the escapes Go's prototext (used by every
// chasquid release) accepts: \a \b \f \n \r \t \v \\ \' \" \?, octal \N..\NNN (<= \377),
// hex \xN or \xNN, \uXXXX (surrogate pairs allowed) and \UXXXXXXXX.

const utf8 = new TextEncoder();

export interface DecodedString {
  bytes: Uint8Array;
  /** Offset (in the source) and message of the first problem, if any. */
  error?: { start: number; end: number; message: string };
  /** Offset just past the closing quote, or the end of the line when unterminated. */
  end: number;
}

const simpleEscapes: Record<string, number> = {
  a: 7,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
  '\\': 92,
  "'": 39,
  '"': 34,
  '?': 63,
};

const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);
const isOctal = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '7';

/** Decodes the literal starting at `start` (which must be a quote character). */
export function decodeStringLiteral(src: string, start: number): DecodedString {
  const quote = src[start];
  const out: number[] = [];
  let error: DecodedString['error'];
  const fail = (at: number, len: number, message: string): void => {
    error ??= { start: at, end: at + len, message };
  };
  let i = start + 1;
  while (i < src.length) {
    const c = src[i] as string;
    if (c === quote) return { bytes: Uint8Array.from(out), error, end: i + 1 };
    if (c === '\n' || c === '\r') break;
    if (c === '\0') {
      fail(i, 1, 'invalid NUL character in string (write it as \\0)');
      i++;
      continue;
    }
    if (c !== '\\') {
      const cp = src.codePointAt(i) as number;
      const ch = String.fromCodePoint(cp);
      out.push(...utf8.encode(ch));
      i += ch.length;
      continue;
    }
    const e = src[i + 1];
    if (e === undefined || e === '\n' || e === '\r') {
      i++;
      break;
    }
    if (e in simpleEscapes) {
      out.push(simpleEscapes[e] as number);
      i += 2;
    } else if (isOctal(e)) {
      let j = i + 1;
      let v = 0;
      while (j < i + 4 && isOctal(src[j])) v = v * 8 + Number(src[j++]);
      if (v > 255) fail(i, j - i, `invalid octal escape "${src.slice(i, j)}" (the maximum is \\377)`);
      out.push(v & 255);
      i = j;
    } else if (e === 'x') {
      let j = i + 2;
      while (j < i + 4 && isHex(src[j])) j++;
      if (j === i + 2) fail(i, 2, 'invalid hex escape "\\x": one or two hex digits must follow');
      else out.push(parseInt(src.slice(i + 2, j), 16));
      i = j;
    } else if (e === 'u' || e === 'U') {
      const r = decodeUnicodeEscape(src, i);
      if ('message' in r) fail(i, r.length, r.message);
      else out.push(...utf8.encode(String.fromCodePoint(r.codePoint)));
      i += r.length;
    } else {
      const len = 1 + String.fromCodePoint(src.codePointAt(i + 1) as number).length;
      fail(i, len, `invalid escape "${src.slice(i, i + len)}" in string`);
      i += len;
    }
  }
  // Unterminated: point at the opening quote, as that is where the user must look.
  const lineEnd = i;
  return {
    bytes: Uint8Array.from(out),
    error: { start, end: lineEnd, message: `unterminated string: missing closing ${quote}` },
    end: lineEnd,
  };
}

function decodeUnicodeEscape(
  src: string,
  i: number,
): { codePoint: number; length: number } | { message: string; length: number } {
  const digits = src[i + 1] === 'u' ? 4 : 8;
  const hex = src.slice(i + 2, i + 2 + digits);
  if (hex.length !== digits || ![...hex].every(isHex)) {
    return {
      message: `invalid escape "\\${src[i + 1]}": exactly ${digits} hex digits must follow`,
      length: 2,
    };
  }
  const cp = parseInt(hex, 16);
  const length = 2 + digits;
  if (cp >= 0xd800 && cp <= 0xdbff && digits === 4 && src.slice(i + 6, i + 8) === '\\u') {
    const low = parseInt(src.slice(i + 8, i + 12), 16);
    if (low >= 0xdc00 && low <= 0xdfff) {
      return { codePoint: 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00), length: 12 };
    }
  }
  if (cp >= 0xd800 && cp <= 0xdfff) return { message: 'invalid escape: unpaired UTF-16 surrogate', length };
  if (cp > 0x10ffff) return { message: 'invalid escape: code point above U+10FFFF', length };
  return { codePoint: cp, length };
}

const hex2 = (b: number): string => b.toString(16).padStart(2, '0');

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Quotes a text value. Non-ASCII text stays readable (as Go writes it); control characters
 * are escaped so the value always stays on one line.
 */
export function quoteString(value: string): string {
  if (LONE_SURROGATE.test(value)) throw new RangeError('string contains an unpaired UTF-16 surrogate');
  let out = '"';
  for (const ch of value) {
    const cp = ch.codePointAt(0) as number;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${hex2(cp)}`;
    else if ((cp >= 0x80 && cp <= 0x9f) || cp === 0x2028 || cp === 0x2029 || cp === 0xfeff) {
      out += `\\u${cp.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return out + '"';
}

/** Quotes raw bytes (salts, hashes) using only printable ASCII, so the file stays 7-bit clean. */
export function quoteBytes(bytes: Uint8Array): string {
  let out = '"';
  for (const b of bytes) {
    if (b === 0x22) out += '\\"';
    else if (b === 0x5c) out += '\\\\';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b === 0x09) out += '\\t';
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${hex2(b)}`;
  }
  return out + '"';
}

/** Strict UTF-8 decoding: `undefined` when the bytes are not valid UTF-8 (Go rejects those in string fields). */
export function utf8OrUndefined(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
