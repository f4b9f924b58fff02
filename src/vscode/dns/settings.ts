// The mailwright.dns.* settings as DNS check options. Pure (the caller passes a reader over
// the workspace configuration), so what each setting does is unit-tested without VS Code.
import type { DomainCheckOptions } from '../../core/dns/domain-check';
import { normalizeName } from '../../core/dns/model';

/** Reads one setting under `mailwright.`; undefined when it is not set anywhere. */
export type SettingReader = (key: string) => unknown;

export type DnsCheckSettings = Pick<
  DomainCheckOptions,
  'resolvers' | 'authoritative' | 'outboundProbeDomain' | 'dnsbl'
>;

/** A setting with a value the check cannot use: which one, what is wrong, how to fix it. */
export class DnsSettingError extends Error {
  constructor(
    readonly setting: string,
    /** The value as set, for the message shown in the editor's language. */
    readonly value: string,
    message: string,
  ) {
    super(message);
    this.name = 'DnsSettingError';
  }
}

const DOMAIN_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

/**
 * mailwright.dns.resolvers / .authoritative (empty: the system's resolver, NS),
 * .outboundProbeDomain (empty: the core's default, gmail.com) and .blocklists (false: no DNSBL lookups).
 */
export function dnsCheckSettings(read: SettingReader): DnsCheckSettings {
  const list = (key: string): string[] => {
    const value = read(key);
    return Array.isArray(value)
      ? value
          .filter((s): s is string => typeof s === 'string')
          .map((s) => s.trim())
          .filter((s) => s !== '')
      : [];
  };
  const resolvers = list('dns.resolvers');
  const authoritative = list('dns.authoritative');
  const probe = read('dns.outboundProbeDomain');
  const outboundProbeDomain = typeof probe === 'string' ? normalizeName(probe) : undefined;
  if (outboundProbeDomain && !DOMAIN_NAME.test(outboundProbeDomain))
    throw new DnsSettingError(
      'mailwright.dns.outboundProbeDomain',
      String(probe),
      `Setting mailwright.dns.outboundProbeDomain "${String(probe)}" is not a domain name: ` +
        'set a domain whose mail servers accept connections on port 25, such as gmail.com, or clear it for the default.',
    );
  return {
    ...(resolvers.length > 0 && { resolvers }),
    ...(authoritative.length > 0 && { authoritative }),
    ...(outboundProbeDomain && { outboundProbeDomain }),
    ...(read('dns.blocklists') === false && { dnsbl: false as const }),
  };
}
