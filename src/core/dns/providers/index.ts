// Builds the DNS provider a domain's `dns:` config names, with its credential from secret storage.
import { parseDnsServer, type DnsProviderConfig } from '../../config';
import { envNamesFor, secretKeys, type SecretStore } from '../../remote/secrets';
import { AlidnsProvider } from './alidns';
import { CloudflareProvider } from './cloudflare';
import { ManualProvider, type ManualOptions } from './manual';
import { Rfc2136Provider } from './rfc2136';
import { DnsProviderError, type DnsProvider } from './types';

export interface ProviderOptions {
  /** For the manual provider: how to show the user what to change. */
  onInstruction?: ManualOptions['onInstruction'];
  /** Authoritative servers for the manual provider (tests); NS lookup otherwise. */
  servers?: string[];
  /** Base URLs of HTTP APIs (tests point them at local servers). */
  cloudflareBaseUrl?: string;
  alidnsBaseUrl?: string;
  timeoutMs?: number;
}

export async function providerFor(
  domain: { name: string; dns: DnsProviderConfig },
  secrets: SecretStore,
  options: ProviderOptions = {},
): Promise<DnsProvider> {
  const { dns } = domain;
  if (dns.provider === 'manual')
    return new ManualProvider({
      onInstruction: options.onInstruction ?? (() => {}),
      ...(options.servers && { servers: options.servers }),
      ttl: dns.ttl,
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    });
  const secret = await secrets.get(secretKeys.dnsSecret(domain.name));
  if (!secret) {
    const env = envNamesFor(secretKeys.dnsSecret(domain.name))[0];
    throw new DnsProviderError(
      dns.provider,
      'no-credentials',
      `no credential for ${domain.name}.`,
      `Store it with Mailwright's "Set DNS Credentials" (VS Code secret storage) or, for the CLI, in ${env}.`,
    );
  }
  switch (dns.provider) {
    case 'rfc2136': {
      const server = parseDnsServer(dns.server ?? '');
      if (!server || !dns.keyName)
        throw new DnsProviderError('rfc2136', 'other', `server and keyName are required for ${domain.name}.`);
      return new Rfc2136Provider({
        ...server,
        zone: dns.zone,
        keyName: dns.keyName,
        algorithm: dns.algorithm,
        secret,
        ttl: dns.ttl,
        ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      });
    }
    case 'cloudflare':
      return new CloudflareProvider({
        token: secret,
        zone: dns.zone,
        ttl: dns.ttl,
        ...(options.cloudflareBaseUrl && { baseUrl: options.cloudflareBaseUrl }),
      });
    case 'alidns': {
      const colon = secret.indexOf(':');
      if (colon < 1)
        throw new DnsProviderError(
          'alidns',
          'no-credentials',
          `the credential for ${domain.name} is not "AccessKeyId:AccessKeySecret".`,
        );
      return new AlidnsProvider({
        accessKeyId: secret.slice(0, colon),
        accessKeySecret: secret.slice(colon + 1),
        zone: dns.zone,
        ttl: dns.ttl,
        ...(options.alidnsBaseUrl && { baseUrl: options.alidnsBaseUrl }),
      });
    }
  }
}

export { DnsProviderError, type DnsProvider, type DnsRecord } from './types';
