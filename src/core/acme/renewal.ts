// Whether a host's certificate needs ACME now, and why (the plan shows the reason), and whether
// the new certificate keeps the current key. Pure.
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { spkiSha256 } from '../dns/dane';
import type { CertificateFacts } from '../facts';

const DAY_MS = 86_400_000;

export interface RenewalInput {
  mailHost: string;
  cert?: CertificateFacts;
  /** sha256 of fullchain.pem on the server, and of what Mailwright last wrote there. */
  currentHash?: string;
  managedHash?: string;
  renewBeforeDays: number;
  now: Date;
}

export function daysLeft(notAfter: string, now: Date): number {
  return Math.floor((Date.parse(notAfter) - now.getTime()) / DAY_MS);
}

/** The name a certificate is for (its subject's CN, lowercase); undefined when it has none. */
export function certificateName(cert: CertificateFacts): string | undefined {
  return /CN\s*=\s*([^,/]+)/
    .exec(cert.subject ?? '')?.[1]
    ?.trim()
    .toLowerCase();
}

/** undefined when the certificate is fine; else the reason to issue a new one. */
export function renewalReason(i: RenewalInput): string | undefined {
  if (!i.cert?.notAfter) return `there is no certificate for ${i.mailHost}`;
  // Mailwright writes ACME certificates through its journal; anything else (the self-signed
  // bootstrap certificate, a hand-installed one) has no matching managed hash.
  if (!i.managedHash || i.managedHash !== i.currentHash) {
    return `the certificate for ${i.mailHost} is self-signed or was not issued through ACME by Mailwright`;
  }
  const cn = certificateName(i.cert);
  if (cn && cn !== i.mailHost.toLowerCase()) return `the certificate is for ${cn}, not ${i.mailHost}`;
  const days = daysLeft(i.cert.notAfter, i.now);
  if (days < 0) return `the certificate expired ${-days} days ago`;
  if (days < i.renewBeforeDays)
    return `certificate expires in ${days} days (renewing ${i.renewBeforeDays} days ahead)`;
  return undefined;
}

/** True when the server's certificate is the one Mailwright installed through ACME. */
function isManaged(i: Pick<RenewalInput, 'currentHash' | 'managedHash'>): boolean {
  return !!i.managedHash && i.managedHash === i.currentHash;
}

/**
 * Whether the new certificate keeps the current private key: a renewal of Mailwright's own ACME
 * certificate does, so a DANE (TLSA 3 1 1) record naming the key stays valid; the first issuance
 * (the bootstrap certificate's key is never carried over) and an explicit new key make one.
 */
export function keepsKey(i: Pick<RenewalInput, 'currentHash' | 'managedHash'>, newKey = false): boolean {
  return !newKey && isManaged(i);
}

/** A new certificate key (ECDSA P-256, PKCS#8 PEM): for a first certificate, --new-key, and a DANE rollover's next key. */
export function newCertificateKeyPem(): Buffer {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
}

/** SHA-256 of the SubjectPublicKeyInfo of a private key (PEM); undefined when it is not one. */
export function privateKeySpkiSha256(keyPem: string | Buffer): string | undefined {
  try {
    return spkiSha256(createPublicKey(createPrivateKey(keyPem)));
  } catch {
    return undefined;
  }
}

/**
 * Why `keyPem` cannot be reused for `cert`, or undefined when it can: it must be a private key
 * whose public half is the certificate's (a key replaced by hand would break the new certificate).
 */
export function unusableKeyReason(
  keyPem: string | Buffer,
  cert: CertificateFacts | undefined,
): string | undefined {
  let publicHash: string;
  try {
    publicHash = spkiSha256(createPublicKey(createPrivateKey(keyPem)));
  } catch (e) {
    return `the current key cannot be read (${(e as Error).message.split('\n')[0]})`;
  }
  if (!cert?.spkiSha256) return 'the current certificate cannot be read';
  if (cert.spkiSha256 !== publicHash) return 'the current key is not the key of the current certificate';
  return undefined;
}
