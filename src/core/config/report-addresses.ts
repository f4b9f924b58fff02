// Where the reports that receivers send about a domain's mail go: DMARC aggregate and failure
// reports (rua/ruf) and TLS-RPT. The DNS records publish these addresses and the mail-flow
// check makes sure the server accepts and keeps mail for them, so both read them here.
import type { DomainConfig } from './types';

/** Where reports go when mailwright.yaml has no dmarc section. */
export function defaultReportAddress(domain: string): string {
  // postmaster@ exists at every mail domain (RFC 5321 4.5.1), so reports reach a person
  // without asking the user for another address first.
  return `mailto:postmaster@${domain}`;
}

/** Where TLS-RPT reports go: the first DMARC aggregate address, else postmaster@ the domain. */
export function tlsReportAddress(domain: DomainConfig): string {
  const rua = domain.dmarc?.rua[0]?.replace(/!.*$/, '');
  return rua ?? defaultReportAddress(domain.name);
}

/** The email addresses (no `mailto:`, no `!size` limit) of every report kind of a domain. */
export function reportAddresses(domain: DomainConfig): Array<{ address: string; kind: string }> {
  const bare = (uri: string) => uri.replace(/^mailto:/i, '').replace(/!.*$/, '');
  const dmarc = domain.dmarc ?? {
    rua: [defaultReportAddress(domain.name)],
    ruf: [defaultReportAddress(domain.name)],
  };
  return [
    ...dmarc.rua.map((uri) => ({ address: bare(uri), kind: 'a DMARC aggregate report address' })),
    ...dmarc.ruf.map((uri) => ({ address: bare(uri), kind: 'a DMARC failure report address' })),
    { address: bare(tlsReportAddress(domain)), kind: 'the TLS report address (TLS-RPT)' },
  ];
}
