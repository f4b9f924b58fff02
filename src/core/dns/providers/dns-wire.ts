// DNS messages on the wire for RFC 2136 updates and plain queries: dns-packet encodes the
// records; the header, class NONE (delete one value, RFC 2136 2.5.4) and TCP framing are ours.
import * as packet from 'dns-packet';
import { connect } from 'node:net';
import { splitTxt } from '../../dkim/record';
import { joinTxt } from '../model';
import {
  formatCaa,
  formatMx,
  formatTlsa,
  parseCaa,
  parseMx,
  parseTlsa,
  type CaaParts,
  type MxParts,
  type TlsaParts,
} from './record-value';
import type { DnsRecord, RecordType } from './types';
import { normalizeName } from '../../names';

/** dns-packet's per-part codecs, which its type definitions leave out. */
interface Codec<T> {
  encode(value: T, buf: Buffer, offset: number): unknown;
  decode: ((buf: Buffer, offset?: number) => T) & { bytes: number };
  encodingLength(value: T): number;
}
export const codec = packet as unknown as {
  name: Codec<string>;
  question: Codec<packet.Question>;
  answer: Codec<packet.Answer>;
};

/** Encodes into a buffer of its own (question.encode returns its input, not the bytes). */
export function encodeWith<T>(part: Codec<T>, value: T): Buffer {
  const buf = Buffer.alloc(part.encodingLength(value));
  part.encode(value, buf, 0);
  return buf;
}

export const RCODE = { NOERROR: 0, NXDOMAIN: 3, REFUSED: 5, NOTAUTH: 9, NOTZONE: 10 } as const;
export const RCODE_NAMES = [
  'NOERROR',
  'FORMERR',
  'SERVFAIL',
  'NXDOMAIN',
  'NOTIMP',
  'REFUSED',
  'YXDOMAIN',
  'YXRRSET',
  'NXRRSET',
  'NOTAUTH',
  'NOTZONE',
];
const OPCODE_UPDATE = 5;
const CLASS_IN = 1;
const CLASS_NONE = 254;

/** One change of an UPDATE: add a value, or delete exactly that value. */
export interface UpdateChange {
  op: 'add' | 'delete';
  record: DnsRecord;
  ttl: number;
}

/** An UPDATE for `zone` (RFC 2136 2): zone section = zone SOA, no prerequisites, the changes. */
export function encodeUpdate(id: number, zone: string, changes: readonly UpdateChange[]): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(OPCODE_UPDATE << 11, 2);
  header.writeUInt16BE(1, 4); // ZOCOUNT
  header.writeUInt16BE(changes.length, 8); // UPCOUNT
  const zoneSection = encodeWith(codec.question, { name: zone, type: 'SOA', class: 'IN' });
  const updates = changes.map((change) => encodeRecord(change));
  return Buffer.concat([header, zoneSection, ...updates]);
}

/** A standard query; RD off by default: we ask the authoritative server itself. */
export function encodeQuery(
  id: number,
  name: string,
  type: RecordType | 'DNSKEY',
  recursionDesired = false,
): Buffer {
  return packet.encode({
    type: 'query',
    id,
    flags: recursionDesired ? packet.RECURSION_DESIRED : 0,
    questions: [{ name, type, class: 'IN' }],
  });
}

function encodeRecord({ op, record, ttl }: UpdateChange): Buffer {
  const answer = {
    name: record.name,
    type: record.type,
    class: 'IN',
    ttl: op === 'add' ? ttl : 0,
    data: toPacketData(record),
  } as packet.Answer;
  const bytes = encodeWith(codec.answer, answer);
  if (op === 'delete') {
    // dns-packet knows no class NONE: patch it in after the owner name and type.
    const classAt = codec.name.encodingLength(record.name) + 2;
    bytes.writeUInt16BE(CLASS_NONE, classAt);
  }
  return bytes;
}

/** Our one-string value as dns-packet rdata. */
function toPacketData(record: DnsRecord): unknown {
  const value = record.value;
  switch (record.type) {
    case 'TXT':
      return splitTxt(value).map((s) => Buffer.from(s, 'utf8'));
    case 'MX':
      return parseMx(value);
    case 'CAA':
      return parseCaa(value);
    case 'TLSA':
      return parseTlsa(value);
    default:
      return stripDot(value.trim());
  }
}

/** A decoded answer as a DnsRecord, or undefined for types we do not model. */
export function fromAnswer(answer: packet.Answer): DnsRecord | undefined {
  const base = { name: normalizeName(answer.name), ttl: 'ttl' in answer ? answer.ttl : undefined };
  const data: unknown = 'data' in answer ? answer.data : undefined;
  switch (answer.type) {
    case 'TXT': {
      const parts = Array.isArray(data) ? data : [data];
      const strings = parts.map((p: unknown) => (Buffer.isBuffer(p) ? p.toString('utf8') : String(p)));
      const value = joinTxt(strings);
      return { ...base, type: 'TXT', value };
    }
    case 'MX':
      return { ...base, type: 'MX', value: formatMx(data as MxParts) };
    case 'CAA':
      return { ...base, type: 'CAA', value: formatCaa(data as CaaParts) };
    case 'TLSA':
      return { ...base, type: 'TLSA', value: formatTlsa(data as TlsaParts) };
    case 'A':
    case 'AAAA':
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return { ...base, type: answer.type, value: stripDot(String(data)) };
    default:
      return undefined;
  }
}

export function stripDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/** Sends one message over TCP (2-byte length framing, RFC 1035 4.2.2) and returns the reply. */
export function exchangeTcp(
  host: string,
  port: number,
  message: Buffer,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const socket = connect({ host, port });
    let received = Buffer.alloc(0);
    const finish = (error?: Error, reply?: Buffer) => {
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (error) reject(error);
      else resolve(reply as Buffer);
    };
    const onAbort = () => finish(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.setTimeout(timeoutMs, () =>
      finish(new Error(`no answer from ${host}:${port} in ${timeoutMs} ms`)),
    );
    socket.on('error', (error) => finish(error));
    socket.on('connect', () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(message.length);
      socket.write(Buffer.concat([length, message]));
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0))
        finish(undefined, received.subarray(2, 2 + received.readUInt16BE(0)));
    });
    socket.on('end', () => finish(new Error(`${host}:${port} closed the connection without an answer`)));
  });
}

/** Offset just past a (possibly compressed) name at `offset`. */
export function skipName(buf: Buffer, offset: number): number {
  for (;;) {
    const len = buf.readUInt8(offset);
    if (len === 0) return offset + 1;
    if ((len & 0xc0) === 0xc0) return offset + 2;
    offset += len + 1;
  }
}

/** Where the last record of the additional section starts (the TSIG RR, when there is one). */
export function lastRecordOffset(buf: Buffer): number | undefined {
  const counts = [4, 6, 8, 10].map((at) => buf.readUInt16BE(at));
  const [qd = 0, an = 0, ns = 0, ar = 0] = counts;
  if (ar === 0) return undefined;
  let offset = 12;
  for (let i = 0; i < qd; i++) offset = skipName(buf, offset) + 4;
  for (let i = 0; i < an + ns + ar - 1; i++) {
    offset = skipName(buf, offset) + 8;
    offset += 2 + buf.readUInt16BE(offset);
  }
  return offset;
}

export { CLASS_IN };
