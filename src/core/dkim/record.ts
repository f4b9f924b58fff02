// The DKIM TXT record (RFC 6376 3.6.1) and its split into DNS character-strings, which
// hold at most 255 bytes each; a 2048-bit RSA key alone is ~392 base64 characters.
import type { DkimKeyType } from './keys';

export const TXT_STRING_MAX_BYTES = 255;

/** `v=DKIM1; k=rsa; p=…`: one unsplit value, the way chasquid-util dkim-dns prints it. */
export function dkimTxtRecord(publicKey: string, keyType: DkimKeyType): string {
  return `v=DKIM1; k=${keyType}; p=${publicKey}`;
}

/** The DNS name of a selector's record. */
export function dkimRecordName(selector: string, domain: string): string {
  return `${selector}._domainkey.${domain}`;
}

/**
 * Splits a TXT value into strings of at most `max` bytes (UTF-8), never cutting a character.
 * Verifiers join the strings without separators (RFC 6376 3.6.2.2), so any cut point works.
 */
export function splitTxt(value: string, max = TXT_STRING_MAX_BYTES): string[] {
  if (max < 4) throw new RangeError('A TXT string must allow at least 4 bytes.');
  const parts: string[] = [];
  let current = '';
  let currentBytes = 0;
  for (const ch of value) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (currentBytes + size > max) {
      parts.push(current);
      current = '';
      currentBytes = 0;
    }
    current += ch;
    currentBytes += size;
  }
  if (current !== '' || parts.length === 0) parts.push(current);
  return parts;
}

/** The split strings in zone-file syntax: `"v=DKIM1; …" "…"`. */
export function txtZoneText(strings: readonly string[]): string {
  return strings.map((s) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(' ');
}

export interface ParsedDkimRecord {
  tags: Record<string, string>;
  keyType: string;
  publicKey: string;
}

/** Reads a (joined) DKIM record; tag names are case-sensitive, whitespace inside p= is ignored. */
export function parseDkimRecord(value: string): ParsedDkimRecord {
  const tags: Record<string, string> = {};
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    tags[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return { tags, keyType: tags.k ?? 'rsa', publicKey: (tags.p ?? '').replace(/\s+/g, '') };
}
