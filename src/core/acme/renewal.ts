// Whether a host's certificate needs ACME now, and why (the plan shows the reason). Pure.
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
