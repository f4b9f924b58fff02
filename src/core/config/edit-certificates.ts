// Edits for the DNS provider of a domain and the ACME settings of a host. Values are checked
// like the validator checks them; keys left out fall back to their defaults when read.
import { isMap, type Document, type YAMLMap } from 'yaml';
import { normalizeDomainName, normalizeEmailAddress } from '../names';
import { ConfigEditError, findDomain, findHost, setInSchemaOrder } from './edit-nodes';
import {
  ACME_CA_DIRECTORIES,
  ACME_CHALLENGES,
  DNS_PROVIDERS,
  TSIG_ALGORITHMS,
  type AcmeChallenge,
  type DnsProviderName,
  type TsigAlgorithm,
} from './types';
import { ACME_KEYS, RENEW_BEFORE_DAYS_LIMITS } from './validate-acme';
import { DNS_KEYS, DNS_TTL_LIMITS, parseDnsServer } from './validate-dns-provider';
import { DOMAIN_KEYS } from './validate-domain';
import { HOST_KEYS } from './validate-host';

export interface NewDnsProvider {
  provider: DnsProviderName;
  server?: string;
  keyName?: string;
  algorithm?: TsigAlgorithm;
  zone?: string;
  ttl?: number;
}

export interface NewAcme {
  ca?: string;
  email?: string;
  challenge?: AcmeChallenge;
  renewBeforeDays?: number;
  caCertificate?: string;
}

/** Sets (or with `undefined` removes) `dns:` of a domain. The credential goes to secret storage, never here. */
export function setDomainDns(
  document: Document,
  hostName: string,
  domainName: string,
  dns: NewDnsProvider | undefined,
): void {
  const { domain } = findDomain(document, hostName, domainName);
  if (dns === undefined) {
    domain.delete('dns');
    return;
  }
  if (!DNS_PROVIDERS.includes(dns.provider))
    throw new ConfigEditError(`"${dns.provider}" is not a DNS provider (${DNS_PROVIDERS.join(', ')}).`);
  if (dns.provider === 'rfc2136' && (!dns.server || !dns.keyName))
    throw new ConfigEditError('An rfc2136 provider needs a server (host:port) and a TSIG key name.');
  if (dns.server !== undefined && !parseDnsServer(dns.server))
    throw new ConfigEditError(`"${dns.server}" is not a DNS server address (host:port).`);
  if (dns.algorithm !== undefined && !TSIG_ALGORITHMS.includes(dns.algorithm))
    throw new ConfigEditError(`"${dns.algorithm}" is not a TSIG algorithm (${TSIG_ALGORITHMS.join(', ')}).`);
  if (dns.zone !== undefined && !normalizeDomainName(dns.zone).ok)
    throw new ConfigEditError(`"${dns.zone}" is not a valid zone name.`);
  if (dns.ttl !== undefined && !within(dns.ttl, DNS_TTL_LIMITS))
    throw new ConfigEditError(
      `TTL ${dns.ttl} is not a whole number of seconds from ${DNS_TTL_LIMITS.min} to ${DNS_TTL_LIMITS.max}.`,
    );
  setInSchemaOrder(domain, 'dns', flowMap(document, dns, DNS_KEYS), DOMAIN_KEYS);
}

/** Sets (or with `undefined` removes) `acme:` of a host. */
export function setHostAcme(document: Document, hostName: string, acme: NewAcme | undefined): void {
  const { host } = findHost(document, hostName);
  if (acme === undefined) {
    host.delete('acme');
    return;
  }
  if (acme.ca !== undefined && !(acme.ca in ACME_CA_DIRECTORIES) && !/^https:\/\/[^/]/.test(acme.ca))
    throw new ConfigEditError(`"${acme.ca}" is neither letsencrypt, letsencrypt-staging nor an https URL.`);
  if (acme.email !== undefined && !normalizeEmailAddress(acme.email).ok)
    throw new ConfigEditError(`"${acme.email}" is not a valid email address.`);
  if (acme.challenge !== undefined && !ACME_CHALLENGES.includes(acme.challenge))
    throw new ConfigEditError(`"${acme.challenge}" is not a challenge (${ACME_CHALLENGES.join(', ')}).`);
  const days = acme.renewBeforeDays;
  if (days !== undefined && !within(days, RENEW_BEFORE_DAYS_LIMITS))
    throw new ConfigEditError(
      `renewBeforeDays ${days} is not a whole number from ${RENEW_BEFORE_DAYS_LIMITS.min} to ${RENEW_BEFORE_DAYS_LIMITS.max}.`,
    );
  const existing = host.get('acme');
  const node = flowMap(document, acme, ACME_KEYS);
  if (isMap(existing)) node.flow = existing.flow; // keep the user's block or flow style
  setInSchemaOrder(host, 'acme', node, HOST_KEYS);
}

function within(value: number, limits: { min: number; max: number }): boolean {
  return Number.isInteger(value) && value >= limits.min && value <= limits.max;
}

/** The given keys in schema order, as `{ a: 1, b: 2 }`. */
function flowMap(document: Document, values: object, order: readonly string[]): YAMLMap {
  const entries = Object.entries(values).filter(([, value]) => value !== undefined);
  entries.sort(([a], [b]) => order.indexOf(a) - order.indexOf(b));
  const node = document.createNode(Object.fromEntries(entries)) as YAMLMap;
  node.flow = true;
  return node;
}
