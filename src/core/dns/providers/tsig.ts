// TSIG (RFC 8945): HMAC signatures over DNS messages with a shared key. Neither dns-packet nor
// dns2 signs, so this adds the TSIG record to a request and checks the one on a response.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { codec, encodeWith, lastRecordOffset, skipName } from './dns-wire';
import { normalizeName } from '../../names';

export type TsigAlgorithm = 'hmac-sha256' | 'hmac-sha512';

export interface TsigKey {
  name: string;
  algorithm: TsigAlgorithm;
  /** The raw key bytes (the base64 secret decoded). Kept in memory only. */
  secret: Buffer;
}

const TYPE_TSIG = 250;
const CLASS_ANY = 255;
const FUDGE_SECONDS = 300;
export const TSIG_ERRORS: Record<number, string> = {
  16: 'BADSIG',
  17: 'BADKEY',
  18: 'BADTIME',
  22: 'BADTRUNC',
};

function nameWire(name: string): Buffer {
  return encodeWith(codec.name, name.toLowerCase()); // canonical form: lowercase, uncompressed
}

function hashOf(algorithm: TsigAlgorithm): string {
  return algorithm === 'hmac-sha512' ? 'sha512' : 'sha256';
}

function uint48(value: number): Buffer {
  const buf = Buffer.alloc(6);
  buf.writeUIntBE(value, 0, 6);
  return buf;
}

function uint16(value: number): Buffer {
  const buf = Buffer.alloc(2);
  buf.writeUInt16BE(value);
  return buf;
}

/** The TSIG variables (RFC 8945 4.3.3) that the MAC covers after the message. */
function variables(key: TsigKey, timeSigned: number, fudge: number, error: number, other: Buffer): Buffer {
  return Buffer.concat([
    nameWire(key.name),
    uint16(CLASS_ANY),
    Buffer.alloc(4), // TTL 0
    nameWire(key.algorithm),
    uint48(timeSigned),
    uint16(fudge),
    uint16(error),
    uint16(other.length),
    other,
  ]);
}

/** Appends a TSIG record to `message`; returns the signed message and the MAC (needed to check the reply). */
export function signMessage(
  message: Buffer,
  key: TsigKey,
  now = Date.now(),
): { signed: Buffer; mac: Buffer } {
  const timeSigned = Math.floor(now / 1000);
  const hmac = createHmac(hashOf(key.algorithm), key.secret);
  hmac.update(message);
  hmac.update(variables(key, timeSigned, FUDGE_SECONDS, 0, Buffer.alloc(0)));
  const mac = hmac.digest();
  const rdata = Buffer.concat([
    nameWire(key.algorithm),
    uint48(timeSigned),
    uint16(FUDGE_SECONDS),
    uint16(mac.length),
    mac,
    message.subarray(0, 2), // original ID
    uint16(0), // error
    uint16(0), // other len
  ]);
  const record = Buffer.concat([
    nameWire(key.name),
    uint16(TYPE_TSIG),
    uint16(CLASS_ANY),
    Buffer.alloc(4),
    uint16(rdata.length),
    rdata,
  ]);
  const signed = Buffer.concat([message, record]);
  signed.writeUInt16BE(message.readUInt16BE(10) + 1, 10); // ARCOUNT
  return { signed, mac };
}

export type TsigCheck =
  { ok: true } | { ok: false; reason: 'unsigned' | 'bad-mac' | 'wrong-key' | 'server-error'; error?: string };

/** Checks the TSIG of a reply to a request whose MAC was `requestMac` (RFC 8945 5.3). */
export function verifyResponse(response: Buffer, requestMac: Buffer, key: TsigKey): TsigCheck {
  const at = lastRecordOffset(response);
  if (at === undefined) return { ok: false, reason: 'unsigned' };
  let offset = skipName(response, at);
  const ownerName = codec.name.decode(response, at);
  if (response.readUInt16BE(offset) !== TYPE_TSIG) return { ok: false, reason: 'unsigned' };
  if (normalizeName(ownerName) !== normalizeName(key.name)) return { ok: false, reason: 'wrong-key' };
  offset += 10; // type, class, ttl, rdlength
  const algorithm = codec.name.decode(response, offset);
  offset += codec.name.decode.bytes;
  const timeSigned = response.readUIntBE(offset, 6);
  const fudge = response.readUInt16BE(offset + 6);
  const macSize = response.readUInt16BE(offset + 8);
  const mac = response.subarray(offset + 10, offset + 10 + macSize);
  offset += 10 + macSize;
  const originalId = response.readUInt16BE(offset);
  const error = response.readUInt16BE(offset + 2);
  const other = response.subarray(offset + 6, offset + 6 + response.readUInt16BE(offset + 4));
  if (error !== 0)
    return { ok: false, reason: 'server-error', error: TSIG_ERRORS[error] ?? `TSIG error ${error}` };
  if (algorithm.toLowerCase() !== key.algorithm) return { ok: false, reason: 'wrong-key' };

  const unsigned = Buffer.from(response.subarray(0, at));
  unsigned.writeUInt16BE(originalId, 0);
  unsigned.writeUInt16BE(unsigned.readUInt16BE(10) - 1, 10);
  const hmac = createHmac(hashOf(key.algorithm), key.secret);
  hmac.update(uint16(requestMac.length));
  hmac.update(requestMac);
  hmac.update(unsigned);
  hmac.update(variables(key, timeSigned, fudge, error, other));
  const expected = hmac.digest();
  if (expected.length !== mac.length || !timingSafeEqual(expected, mac))
    return { ok: false, reason: 'bad-mac' };
  return { ok: true };
}
