// The Type column of a DNS finding, in the CLI's table and the editor's table alike. No imports:
// the DNS panel's webview bundles it.

/** The record type, or what a row without one is about: a port, a blocklist listing. */
export function findingType(finding: { kind: string; type?: string }): string {
  // A blocklist answer is an A lookup, but the row is about the listing, not a record.
  if (finding.kind === 'reachability') return 'PORT';
  if (finding.kind === 'dnsbl') return 'DNSBL';
  return finding.type ?? '';
}
