// DANE for the mail host (RFC 7672): one TLSA record at _25._tcp.<mail host>, "3 1 1" — the
// server's own key (DANE-EE), its SubjectPublicKeyInfo, SHA-256 — published only where the zone
// is signed, since senders ignore TLSA records that DNSSEC does not vouch for. Because the record
// names the key, not the certificate, it stays valid across renewals that keep the key.
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import { dateText } from './stages';
import { normalizeName } from '../names';
import { sameRecordValue, type DnsLookup, type Finding, type LookupAnswer } from './model';

/**
 * The second TLSA record a DANE key rollover expects beside the served key's: the next key's
 * before the certificate switches to it, the previous key's after, until it is removed.
 */
export interface RolloverRecord {
  role: 'next' | 'previous';
  spkiSha256: string;
  /** previous: when it goes. */
  until?: Date;
}

/** The SMTP port senders look the record up for (RFC 7672 2.2.3). */
export const DANE_SMTP_PORT = 25;

/** Certificate usage 3 (DANE-EE), selector 1 (SPKI), matching type 1 (SHA-256): RFC 7672 3.1. */
export const TLSA_PARAMETERS = '3 1 1';

/** SHA-256 of a public key's DER SubjectPublicKeyInfo, lowercase hex. */
export function spkiSha256(key: KeyObject): string {
  return createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** The same, for the first certificate of a PEM (the leaf of a fullchain.pem); undefined when unreadable. */
export function certificateSpkiSha256(pem: string): string | undefined {
  const block = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(pem)?.[0];
  try {
    return block ? spkiSha256(new X509Certificate(block).publicKey) : undefined;
  } catch {
    return undefined;
  }
}

export function tlsaRecordName(mailHost: string): string {
  return `_${DANE_SMTP_PORT}._tcp.${normalizeName(mailHost)}`;
}

export function tlsaRecordValue(spkiSha256Hex: string): string {
  return `${TLSA_PARAMETERS} ${spkiSha256Hex.toLowerCase()}`;
}

/**
 * Whether a zone is signed: its authoritative servers serve DNSKEY records at the apex. This is
 * what a signing DNS host does; whether the parent holds the DS record that completes the chain
 * of trust is the registrar's side and is said as a note, not checked.
 */
export type ZoneSigning = { signed: true } | { signed: false } | { signed: undefined; why: string };

export function zoneSigningOf(answer: LookupAnswer): ZoneSigning {
  if (answer.status === 'ok' && answer.values.length > 0) return { signed: true };
  if (answer.status === 'ok' || answer.status === 'nodata') return { signed: false };
  return {
    signed: undefined,
    why: `asking DNSKEY gave ${answer.status}${answer.error ? ` (${answer.error})` : ''}`,
  };
}

export async function zoneSigning(
  zone: string,
  authoritative: DnsLookup,
  signal?: AbortSignal,
): Promise<ZoneSigning> {
  return zoneSigningOf(await authoritative.query(normalizeName(zone), 'DNSKEY', signal));
}

/** Said once for the domain when its zone is not signed: no TLSA row is expected. */
export function daneUnsignedNotice(zone: string): string {
  return `DANE needs DNSSEC: zone ${normalizeName(zone)} is not signed (its name servers serve no DNSKEY), so no TLSA record is expected. Sign the zone at your DNS host to let senders verify the mail host's key with DANE.`;
}

/** Said once when the signing could not be told: the TLSA row is left out rather than guessed. */
export function daneUnknownNotice(zone: string, why: string): string {
  return `Cannot tell whether zone ${normalizeName(zone)} is signed (${why}): the TLSA (DANE) record is not checked this time.`;
}

/** On the TLSA row: what else DANE needs that the zone itself cannot show. */
export const DANE_CHAIN_NOTE =
  'senders use the record only if the chain of trust is complete: the parent zone must hold a DS record for your zone (set at your registrar)';

/**
 * The TLSA row once port 25 has been probed. The expected value comes from the certificate file
 * chasquid loads; when port 25 serves another key (chasquid not restarted since the certificate
 * changed), no record can be right both now and after the next restart: an error, with the way out.
 */
export function judgeServedKey(finding: Finding, servedSpkiSha256: string | undefined): Finding {
  // Only the served key's row: a rollover's next or previous record names another key on purpose.
  if (finding.id !== 'tlsa' || !servedSpkiSha256 || !finding.expected) return finding;
  if (
    sameRecordValue(
      { kind: 'tlsa', type: 'TLSA', value: finding.expected },
      tlsaRecordValue(servedSpkiSha256),
    )
  )
    return { ...finding, notes: [...finding.notes, `port ${DANE_SMTP_PORT} serves this key`] };
  return {
    ...finding,
    status: finding.status === 'ok' ? 'wrong' : finding.status,
    severity: 'error',
    fix: `port ${DANE_SMTP_PORT} serves another key than the certificate chasquid has on disk: restart chasquid (mailwright apply), then check again`,
    notes: [...finding.notes, `port ${DANE_SMTP_PORT} serves the key ${servedSpkiSha256.toLowerCase()}`],
  };
}

/** What the second TLSA record of a key rollover is for: which one it is, in the row and the check. */
export function rolloverPurpose(mailHost: string, record: RolloverRecord): string {
  return record.role === 'next'
    ? `DANE key rollover: the NEXT key, published ahead beside the current one; ${mailHost} serves it on port ${DANE_SMTP_PORT} after the switch (mailwright dane rollover).`
    : `DANE key rollover: the PREVIOUS key, kept${record.until ? ` until ${dateText(record.until)}` : ''} for senders that still hold the old record, then removed (mailwright dane rollover).`;
}

/** The served key's record while a rollover is under way: which one it is. */
export const CURRENT_KEY_NOTE = `the CURRENT key: the one port ${DANE_SMTP_PORT} serves now`;
