// hosts[].domains[].dns: which provider writes the domain's records. Credentials never live
// here; a key that looks like one is an error that says where the credential goes instead.
import { isIP } from 'node:net';
import type { Node } from 'yaml';
import { envNamesFor, secretKeys } from '../remote/secrets';
import { normalizeDomainName, normalizeName } from '../names';
import { acceptName } from './name-issues';
import { DNS_PROVIDERS, TSIG_ALGORITHMS, type DnsProviderConfig, type TsigAlgorithm } from './types';
import { childPath, type ConfigReader, type Field } from './yaml-reader';

export const DNS_KEYS = ['provider', 'server', 'keyName', 'algorithm', 'zone', 'ttl'] as const;
export const DEFAULT_DNS_TTL = 300;
export const DNS_TTL_LIMITS = { min: 1, max: 86400 } as const;
export const DEFAULT_TSIG_ALGORITHM: TsigAlgorithm = 'hmac-sha256';
const RFC2136_ONLY = ['server', 'keyName', 'algorithm'] as const;
const DNS_EXAMPLE = '{ provider: rfc2136, server: ns1.example.com:53, keyName: mailwright }';
const SERVER_EXAMPLE = 'ns1.example.com:53';
const KEY_NAME_EXAMPLE = 'mailwright';
/** A host name, single labels too (`localhost`, `ns1` inside a private network). */
const HOST_PATTERN =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;
/** Key names people use for credentials; `keyName` (a TSIG key's name) is not one of them. */
const SECRET_KEY_PATTERN = /secret|token|passw|credential|api[-_]?key|access[-_]?key|^key$|^tsig/i;

/** The env var the CLI reads for this domain's DNS credential. */
export function dnsSecretEnvName(domain: string): string {
  return envNamesFor(secretKeys.dnsSecret(domain))[0] ?? 'MAILWRIGHT_DNS_SECRET_<DOMAIN>';
}

export function readDnsProvider(
  reader: ConfigReader,
  node: Node,
  path: string,
  domain: string | undefined,
): DnsProviderConfig | undefined {
  const reportSecret = (entry: Field) => reportCredentialKey(reader, entry, path, domain);
  const fields = reader.fields(node, path, DNS_KEYS, DNS_EXAMPLE, reportSecret);
  if (fields === undefined) return undefined;
  const providerNode = reader.required(fields, node, path, 'provider', 'provider: rfc2136');
  const provider = providerNode && reader.choice(providerNode, childPath(path, 'provider'), DNS_PROVIDERS);
  const read = <T>(key: string, parse: (node: Node, at: string) => T | undefined) => {
    const value = fields.get(key)?.value;
    return { node: value, value: value && parse(value, childPath(path, key)) };
  };
  const server = read('server', (n, at) => readServer(reader, n, at));
  const keyName = read('keyName', (n, at) => readKeyName(reader, n, at));
  const algorithm = read('algorithm', (n, at) => reader.choice(n, at, TSIG_ALGORITHMS));
  const zone = read('zone', (n, at) => readZone(reader, n, at, domain));
  const ttl = read('ttl', (n, at) => readTtl(reader, n, at));
  const parsed = [server, keyName, algorithm, zone, ttl];
  if (!provider || parsed.some((field) => field.node !== undefined && field.value === undefined))
    return undefined;

  if (provider === 'rfc2136') {
    const needed = [
      ['server', server.value, `server: ${SERVER_EXAMPLE}`],
      ['keyName', keyName.value, `keyName: ${KEY_NAME_EXAMPLE}`],
    ] as const;
    const missing = needed.filter(([key, value]) => value === undefined && !fields.misspelled.has(key));
    for (const [key, , example] of missing)
      reader.issues.error(node, path, `provider rfc2136 needs "${key}".`, `Add it, e.g. ${example}`);
    if (missing.length > 0 || server.value === undefined || keyName.value === undefined) return undefined;
  } else {
    for (const key of RFC2136_ONLY) {
      const field = fields.get(key);
      if (field)
        reader.issues.warning(
          field.key,
          childPath(path, key),
          `is not used by provider ${provider}.`,
          `Remove it; only provider rfc2136 reads ${RFC2136_ONLY.join(', ')}.`,
        );
    }
  }
  return {
    provider,
    ...(provider === 'rfc2136' && { server: server.value, keyName: keyName.value }),
    algorithm: algorithm.value ?? DEFAULT_TSIG_ALGORITHM,
    zone: zone.value ?? domain ?? '',
    ttl: ttl.value ?? DEFAULT_DNS_TTL,
  };
}

function reportCredentialKey(
  reader: ConfigReader,
  entry: Field,
  path: string,
  domain: string | undefined,
): boolean {
  if (!SECRET_KEY_PATTERN.test(entry.name)) return false;
  const envName = dnsSecretEnvName(domain ?? 'example.com');
  reader.issues.error(
    entry.key,
    childPath(path, entry.name),
    `"${entry.name}" looks like a credential; credentials never go in mailwright.yaml (it is kept in git).`,
    `Remove it. Store the secret in the editor's secret storage (Mailwright asks for it), or for the CLI in the environment variable ${envName}.`,
  );
  return true;
}

/** `host:port`, with IPv6 in brackets: `[2001:db8::53]:53`. */
export function parseDnsServer(text: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):([0-9]{1,5})$/.exec(text);
  if (!match) return undefined;
  const port = Number(match[3]);
  const host = match[1] ?? match[2] ?? '';
  if (port < 1 || port > 65535) return undefined;
  if (match[1] !== undefined ? isIP(host) !== 6 : !isIP(host) && !HOST_PATTERN.test(host)) return undefined;
  return { host, port };
}

function readServer(reader: ConfigReader, node: Node, path: string): string | undefined {
  const text = reader.text(node, path, SERVER_EXAMPLE);
  if (text === undefined) return undefined;
  if (parseDnsServer(text)) return text;
  const hint = /^[^:]+$/.test(text)
    ? `Add the port, e.g. server: ${text}:53`
    : `Write host:port (IPv6 in brackets), e.g. server: ${SERVER_EXAMPLE} or '[2001:db8::53]:53'`;
  reader.issues.error(node, path, `"${text}" is not a DNS server address.`, hint);
  return undefined;
}

/** A TSIG key name as compared (lowercase, no final dot), or undefined when it is not one. */
export function normalizeTsigKeyName(text: string): string | undefined {
  const name = normalizeName(text);
  return /^[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_][a-z0-9_-]{0,62})*$/.test(name) && name.length <= 253
    ? name
    : undefined;
}

/** TSIG key names are domain names (RFC 8945), often one label; compared lowercase, without the final dot. */
function readKeyName(reader: ConfigReader, node: Node, path: string): string | undefined {
  const text = reader.text(node, path, KEY_NAME_EXAMPLE);
  if (text === undefined) return undefined;
  const name = normalizeTsigKeyName(text);
  if (name !== undefined) return name;
  reader.issues.error(
    node,
    path,
    `"${text}" is not a valid TSIG key name.`,
    `Use the key's name as your DNS server knows it (letters, digits, "-", "_", dots), e.g. keyName: ${KEY_NAME_EXAMPLE}`,
  );
  return undefined;
}

/** The zone holds the domain's records: the domain itself or a parent of it. */
function readZone(reader: ConfigReader, node: Node, path: string, domain: string | undefined) {
  const text = reader.text(node, path, domain ?? 'example.com');
  if (text === undefined) return undefined;
  const zone = acceptName(reader.issues, normalizeDomainName(text), text, node, path, 'zone', 'example.com');
  if (zone === undefined || domain === undefined) return zone;
  if (domain === zone || domain.endsWith(`.${zone}`)) return zone;
  reader.issues.error(
    node,
    path,
    `zone ${zone} does not contain the domain ${domain}.`,
    `Name the zone that holds ${domain}'s records, e.g. zone: ${domain}`,
  );
  return undefined;
}

function readTtl(reader: ConfigReader, node: Node, path: string): number | undefined {
  return readInteger(reader, node, path, {
    ...DNS_TTL_LIMITS,
    what: 'TTL in seconds',
    example: `ttl: ${DEFAULT_DNS_TTL}`,
  });
}

/** A whole number within bounds (shared with acme.renewBeforeDays). */
export function readInteger(
  reader: ConfigReader,
  node: Node,
  path: string,
  limits: { min: number; max: number; what: string; example: string },
): number | undefined {
  const text = reader.text(node, path, limits.example);
  if (text === undefined) return undefined;
  const value = /^[0-9]+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (Number.isInteger(value) && value >= limits.min && value <= limits.max) return value;
  reader.issues.error(
    node,
    path,
    `"${text}" is not a valid ${limits.what} (a whole number from ${limits.min} to ${limits.max}).`,
    `For example: ${limits.example}`,
  );
  return undefined;
}
