// The report inside a mail: receivers send a DMARC or TLS report as an attachment (gzip, zip,
// XML or JSON), usually in a multipart/mixed or multipart/report message, sometimes as the whole
// body. The message was mailed by a stranger, so the walk is bounded: nesting depth, parts.
import { firstHeader, parseHeaders } from '../analyze/headers';

/** Multipart nesting a report message needs: mixed → (alternative) → attachment. */
const MAX_DEPTH = 4;
/** Parts looked at in one message; a report message has two or three. */
const MAX_PARTS = 32;

export interface MessagePart {
  /** The part's file name, when it gives one. */
  name?: string;
  contentType: string;
  /** The part's content, transfer encoding undone. */
  bytes: Buffer;
}

/** `type/subtype` lowercased, and the parameters (`boundary`, `name`) of a Content-Type or Content-Disposition. */
function parseStructured(value: string | undefined): { value: string; params: Record<string, string> } {
  const [head = '', ...rest] = (value ?? '').split(';');
  const params: Record<string, string> = {};
  for (const param of rest) {
    const eq = param.indexOf('=');
    if (eq < 0) continue;
    const key = param.slice(0, eq).trim().toLowerCase();
    params[key] = param
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/s, '$1');
  }
  return { value: head.trim().toLowerCase(), params };
}

function decodeBody(body: Buffer, encoding: string | undefined): Buffer {
  switch ((encoding ?? '').trim().toLowerCase()) {
    case 'base64':
      return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
    case 'quoted-printable':
      return Buffer.from(
        body
          .toString('latin1')
          .replace(/=\r?\n/g, '')
          .replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
        'latin1',
      );
    default:
      return body;
  }
}

/** Splits a raw entity at its blank line: header text and body bytes. */
function splitEntity(raw: Buffer): { head: string; body: Buffer } {
  const text = raw.toString('latin1');
  const end = /\r?\n\r?\n/.exec(text);
  if (!end) return { head: text, body: Buffer.alloc(0) };
  return { head: text.slice(0, end.index), body: raw.subarray(end.index + end[0].length) };
}

/** The body parts between `--boundary` lines (the preamble and epilogue left out). */
function splitMultipart(body: Buffer, boundary: string): Buffer[] {
  const text = body.toString('latin1');
  const delimiter = `--${boundary}`;
  const parts: Buffer[] = [];
  let start = -1;
  let at = 0;
  while (at <= text.length) {
    const next = text.indexOf(delimiter, at);
    if (next < 0) break;
    const lineStart = next === 0 || text[next - 1] === '\n';
    if (!lineStart) {
      at = next + delimiter.length;
      continue;
    }
    if (start >= 0) {
      // The line break before the delimiter belongs to the delimiter.
      const end = text[next - 2] === '\r' ? next - 2 : next - 1;
      parts.push(body.subarray(start, Math.max(start, end)));
      if (parts.length >= MAX_PARTS) break;
    }
    const after = next + delimiter.length;
    if (text.startsWith('--', after)) break;
    const eol = text.indexOf('\n', after);
    if (eol < 0) break;
    start = eol + 1;
    at = start;
  }
  return parts;
}

/** The leaf parts of a message (multipart walked to a bounded depth), in order. */
export function messageParts(raw: Buffer): MessagePart[] {
  const out: MessagePart[] = [];
  const walk = (entity: Buffer, depth: number) => {
    if (out.length >= MAX_PARTS) return;
    const { head, body } = splitEntity(entity);
    const fields = parseHeaders(head);
    const type = parseStructured(firstHeader(fields, 'content-type') ?? 'text/plain');
    if (type.value.startsWith('multipart/')) {
      const boundary = type.params.boundary;
      if (!boundary || depth >= MAX_DEPTH) return;
      for (const part of splitMultipart(body, boundary)) walk(part, depth + 1);
      return;
    }
    const disposition = parseStructured(firstHeader(fields, 'content-disposition'));
    const name = disposition.params.filename ?? type.params.name;
    out.push({
      ...(name !== undefined && { name }),
      contentType: type.value,
      bytes: decodeBody(body, firstHeader(fields, 'content-transfer-encoding')),
    });
  };
  walk(raw, 0);
  return out;
}

const REPORT_TYPES =
  /^(application\/(.*gzip|.*zip|xml|json|tlsrpt\+json|tlsrpt\+gzip|octet-stream)|text\/xml)$/;
const REPORT_NAMES = /\.(xml|json|gz|gzip|zip)$/i;

/** The parts of a message that can be a report (by type or file name); their bytes say which kind. */
export function reportAttachments(raw: Buffer): MessagePart[] {
  return messageParts(raw).filter(
    (p) => p.bytes.length > 0 && (REPORT_TYPES.test(p.contentType) || REPORT_NAMES.test(p.name ?? '')),
  );
}
