// What a mail domain's DNS should say, from mailwright.yaml and the server's facts: the rows
// of the expected-vs-found table, the records the publisher writes and the zone export lists.
import { createHash } from 'node:crypto';
import {
  acmeDirectoryUrl,
  acmeSettings,
  ACME_CA_DIRECTORIES,
  DEFAULT_SPF_FORM,
  hostsServing,
  tlsReportAddress,
  type DomainConfig,
  type HostConfig,
} from '../config';
import { dkimRecordName, dkimTxtRecord, splitTxt, type DkimPublicKey } from '../dkim';
import { canonicalIp, ipFamily, isPublishableAddress, reverseName } from './address';
import {
  DANE_CHAIN_NOTE,
  rolloverPurpose,
  tlsaRecordName,
  tlsaRecordValue,
  type RolloverRecord,
} from './dane';
import { dmarcRecordFor } from './dmarc';
import type { ExpectedRecord } from './model';

export { fromReverseName, reverseName } from './address';

export interface ExpectedInput {
  host: HostConfig;
  domain: DomainConfig;
  /** The server's addresses (facts); loopback, link-local and unspecified ones are left out. */
  addresses: { ipv4: string[]; ipv6: string[] };
  dkimKeys: readonly DkimPublicKey[];
  /**
   * Every host of mailwright.yaml: the others serving this domain are its MXes too, so MX, SPF,
   * MTA-STS and CAA name them all. Their addresses, PTR and DKIM keys are their own.
   */
  fleet?: readonly HostConfig[];
  /**
   * SHA-256 of the public key of the certificate chasquid serves for the mail host (facts): the
   * DANE TLSA record names it. Absent (no certificate, or the self-signed bootstrap one, whose key
   * the first ACME certificate replaces): no TLSA record.
   */
  servedKeySha256?: string;
  /** A DANE key rollover under way: the second TLSA record it expects (the next key, or the previous one). */
  daneRollover?: RolloverRecord;
}

/** Every record `domain` needs, required ones first, in table order. */
export function expectedRecords(input: ExpectedInput): ExpectedRecord[] {
  const { host, domain } = input;
  const mailHost = host.mailHost;
  // The hosts serving the domain in file order, whichever of them asks: each then expects the same values.
  const fleet = input.fleet ?? [];
  const servers = hostsServing(
    fleet.some((h) => h.name === host.name) ? fleet : [host, ...fleet],
    domain.name,
  );
  if (!servers.some((h) => h.name === host.name)) servers.unshift(host);
  const peers = servers.filter((h) => h.name !== host.name);
  const mailHosts = [...new Set(servers.map((h) => h.mailHost))];
  const apex = domain.name;
  const ttl = domain.dns?.ttl;
  const records: ExpectedRecord[] = [];
  const add = (record: Omit<ExpectedRecord, 'ttl' | 'publishedAt'> & { publishedAt?: 'reverse' }): void => {
    const strings = record.type === 'TXT' ? splitTxt(record.value) : undefined;
    records.push({
      ...record,
      ...(strings && { strings }),
      ...(ttl !== undefined && { ttl }),
      publishedAt: record.publishedAt ?? 'zone',
    });
  };
  const { ipv4, ipv6 } = publishableAddresses(input.addresses);

  for (const ip of ipv4)
    add({
      id: `a:${ip}`,
      kind: 'a',
      name: mailHost,
      type: 'A',
      value: ip,
      required: true,
      purpose: `Points the mail host ${mailHost} at the server's IPv4 address, so other servers can reach it.`,
    });
  for (const ip of ipv6)
    add({
      id: `aaaa:${ip}`,
      kind: 'aaaa',
      name: mailHost,
      type: 'AAAA',
      value: ip,
      required: true,
      purpose: `Points the mail host ${mailHost} at the server's IPv6 address, so mail can travel over IPv6.`,
    });
  add({
    id: 'mx',
    kind: 'mx',
    name: apex,
    type: 'MX',
    value: `10 ${mailHost}`,
    required: true,
    purpose: `Tells other servers that mail for @${apex} is delivered to ${mailHost}.`,
  });
  for (const other of mailHosts.filter((m) => m !== mailHost))
    add({
      id: `mx:${other}`,
      kind: 'mx',
      name: apex,
      type: 'MX',
      value: `10 ${other}`,
      required: true,
      purpose: `${other} serves @${apex} too (another host of mailwright.yaml): senders may deliver to either.`,
    });
  for (const spf of spfRecords(domain, mailHosts)) add(spf);
  for (const key of input.dkimKeys)
    add({
      id: `dkim:${key.selector}`,
      kind: 'dkim',
      name: dkimRecordName(key.selector, apex),
      type: 'TXT',
      value: dkimTxtRecord(key.publicKey, key.keyType),
      required: true,
      purpose: `Publishes the public key (selector ${key.selector}) receivers use to verify the server's DKIM signatures.`,
    });
  add({
    id: 'dmarc',
    kind: 'dmarc',
    name: `_dmarc.${apex}`,
    type: 'TXT',
    value: dmarcRecordFor(domain),
    required: true,
    purpose: 'Tells receivers what to do with mail that fails SPF and DKIM, and where to send reports.',
  });
  for (const ip of [...ipv4, ...ipv6])
    add({
      id: `ptr:${ip}`,
      kind: 'ptr',
      name: reverseName(ip),
      type: 'PTR',
      value: mailHost,
      required: true,
      publishedAt: 'reverse',
      purpose: `Reverse DNS: ${ip} must name ${mailHost}, or many receivers mark the mail as spam or refuse it.`,
    });

  if (input.servedKeySha256)
    add({
      id: 'tlsa',
      kind: 'tlsa',
      name: tlsaRecordName(mailHost),
      type: 'TLSA',
      value: tlsaRecordValue(input.servedKeySha256),
      // Without it mail still flows (no DANE); a wrong one is worse, and the check says so.
      required: false,
      purpose: `DANE: names the public key ${mailHost} serves on port 25, so senders that check DNSSEC insist on TLS with exactly this key.`,
      details: [DANE_CHAIN_NOTE],
    });
  if (input.servedKeySha256 && input.daneRollover)
    add({
      id: `tlsa:${input.daneRollover.role}`,
      kind: 'tlsa',
      name: tlsaRecordName(mailHost),
      type: 'TLSA',
      value: tlsaRecordValue(input.daneRollover.spkiSha256),
      required: false,
      purpose: rolloverPurpose(mailHost, input.daneRollover),
      details: [DANE_CHAIN_NOTE],
    });

  const policy = mtaStsPolicy(apex, mailHosts);
  add({
    id: 'mta-sts',
    kind: 'mta-sts',
    name: `_mta-sts.${apex}`,
    type: 'TXT',
    value: `v=STSv1; id=${policy.id}`,
    required: false,
    purpose: `MTA-STS: tells senders to insist on TLS to ${mailHosts.join(', ')}; needs the policy file at ${policy.url}.`,
    details: mtaStsInstructions(policy),
  });
  add({
    id: 'tls-rpt',
    kind: 'tls-rpt',
    name: `_smtp._tls.${apex}`,
    type: 'TXT',
    value: `v=TLSRPTv1; rua=${tlsReportAddress(domain)}`,
    required: false,
    purpose: 'TLS reporting: senders send daily reports of TLS failures when delivering to this domain.',
  });
  // CAA allows only the CAs it lists: every host's CA, or no record when one of them is unknown.
  const issuers = [host, ...peers].map((h) => caaIssuerFor(h).issuer);
  if (issuers.every((issuer) => issuer !== undefined))
    [...new Set(issuers)].forEach((issuer, index) =>
      add({
        id: index === 0 ? 'caa' : `caa:${issuer}`,
        kind: 'caa',
        name: apex,
        type: 'CAA',
        value: `0 issue "${issuer}"`,
        required: false,
        purpose: `Allows ${issuer} to issue certificates for ${apex}; other CAs listed in CAA stay allowed.`,
      }),
    );
  return records;
}

/** The server's addresses that belong in DNS, canonical and without duplicates. */
export function publishableAddresses(addresses: { ipv4: string[]; ipv6: string[] }): {
  ipv4: string[];
  ipv6: string[];
} {
  const keep = (list: string[], family: 4 | 6): string[] => [
    ...new Set(list.filter((ip) => ipFamily(ip) === family && isPublishableAddress(ip)).map(canonicalIp)),
  ];
  return { ipv4: keep(addresses.ipv4, 4), ipv6: keep(addresses.ipv6, 6) };
}

/** The `_spf.<domain>` record of the split form: the one place that names the mail host. */
export function spfIncludeName(domain: string): string {
  return `_spf.${domain}`;
}

/** SPF authorizing every mail host of the domain (the fleet's, when several hosts serve it). */
function spfRecords(
  domain: DomainConfig,
  mailHosts: readonly string[],
): Array<Omit<ExpectedRecord, 'ttl' | 'publishedAt'>> {
  const hosts = mailHosts.map((mailHost) => `a:${mailHost}`);
  const extra = domain.spf.include.map((include) => `include:${include}`);
  const apexPurpose =
    'SPF: lists the servers allowed to send mail as @' + domain.name + '; others soft-fail (~all).';
  if ((domain.spf.form ?? DEFAULT_SPF_FORM) === 'simple')
    return [
      {
        id: 'spf',
        kind: 'spf',
        name: domain.name,
        type: 'TXT',
        value: ['v=spf1', ...hosts, 'mx', ...extra, '~all'].join(' '),
        required: true,
        purpose: apexPurpose,
      },
    ];
  const includeName = spfIncludeName(domain.name);
  return [
    {
      id: 'spf',
      kind: 'spf',
      name: domain.name,
      type: 'TXT',
      value: ['v=spf1', 'a', 'mx', `include:${includeName}`, ...extra, '~all'].join(' '),
      required: true,
      purpose: apexPurpose,
    },
    {
      id: 'spf-include',
      kind: 'spf-include',
      name: includeName,
      type: 'TXT',
      value: ['v=spf1', ...hosts, '~all'].join(' '),
      required: true,
      purpose: `SPF, included by the domain's record: authorizes the addresses of ${mailHosts.join(', ')} to send.`,
    },
  ];
}

export interface MtaStsPolicy {
  /** The policy file's text (RFC 8461 3.2). */
  text: string;
  /** Where it must be served over HTTPS with a valid certificate. */
  url: string;
  /** The host name that needs an A/AAAA record and a certificate to serve it. */
  policyHost: string;
  /** The `id=` of the `_mta-sts` TXT record: changes exactly when the policy text changes. */
  id: string;
}

/** A week: long enough to matter, short enough to recover from a mistake while in testing mode. */
export const MTA_STS_MAX_AGE_SECONDS = 604800;

/**
 * The MTA-STS policy for a domain. Mode `testing`: senders report failures (TLS-RPT) but still
 * deliver, which is the safe start; switching to `enforce` is the user's decision.
 */
export function mtaStsPolicy(domain: string, mailHosts: string | readonly string[]): MtaStsPolicy {
  const text = [
    'version: STSv1',
    'mode: testing',
    ...[mailHosts].flat().map((mx) => `mx: ${mx}`),
    `max_age: ${MTA_STS_MAX_AGE_SECONDS}`,
    '',
  ].join('\r\n');
  // RFC 8461 allows 1-32 alphanumerics; a hash prefix is stable for the same policy.
  const id = createHash('sha256').update(text).digest('hex').slice(0, 20);
  const policyHost = `mta-sts.${domain}`;
  return { text, url: `https://${policyHost}/.well-known/mta-sts.txt`, policyHost, id };
}

/** What the `_mta-sts` TXT needs besides itself: the policy file's exact text, where and how to serve it. */
export function mtaStsInstructions(policy: MtaStsPolicy): string[] {
  return [
    `serve this policy at ${policy.url} over HTTPS with a valid certificate for ${policy.policyHost}, as text/plain:`,
    ...policy.text.split('\r\n').filter((line) => line !== ''),
    `${policy.policyHost} needs an A/AAAA record pointing at the web server that serves it`,
  ];
}

/** The CA domain a CAA `issue` record must name, or why Mailwright cannot say. */
export interface CaaIssuer {
  issuer?: string;
  /** Set when there is no issuer: why no CAA record is expected. */
  reason?: string;
}

const CAA_ISSUERS: Record<string, string> = {
  [ACME_CA_DIRECTORIES.letsencrypt]: 'letsencrypt.org',
  // The staging CA checks CAA against the production name too.
  [ACME_CA_DIRECTORIES['letsencrypt-staging']]: 'letsencrypt.org',
};

/** The CAA issuer of the host's ACME CA; an unknown directory URL gives no record and a reason. */
export function caaIssuerFor(host: HostConfig): CaaIssuer {
  const directory = acmeDirectoryUrl(acmeSettings(host).ca);
  const issuer = CAA_ISSUERS[directory];
  if (issuer) return { issuer };
  return {
    reason:
      `Mailwright does not know which CAA name the CA at ${directory} checks, so it expects no CAA record; ` +
      `if you publish CAA records, add one with that CA's issuer domain (see its documentation).`,
  };
}
