// hosts[].acme: where the mail host's TLS certificate comes from (an ACME CA) and how the CA
// checks we own the name (DNS-01 needs a DNS provider for the name's domain; HTTP-01 does not).
import type { Node } from 'yaml';
import { normalizeEmailAddress } from './mailbox';
import { acceptName } from './name-issues';
import { closestMatch } from './suggest';
import {
  ACME_CA_DIRECTORIES,
  ACME_CHALLENGES,
  ACME_RENEW_ON,
  type AcmeChallenge,
  type AcmeConfig,
  type DomainConfig,
  type HostConfig,
} from './types';
import { readInteger } from './validate-dns-provider';
import { childPath, type ConfigReader } from './yaml-reader';

export const ACME_KEYS = ['ca', 'email', 'challenge', 'renewBeforeDays', 'caCertificate', 'renewOn'] as const;
export const DEFAULT_RENEW_BEFORE_DAYS = 30;
/** Let's Encrypt certificates last 90 days: renewing 90 days ahead would never stop. */
export const RENEW_BEFORE_DAYS_LIMITS = { min: 1, max: 89 } as const;
const ACME_EXAMPLE = '{ ca: letsencrypt, email: you@example.com }';
const CA_NAMES = Object.keys(ACME_CA_DIRECTORIES);

/** The configured domain a certificate name belongs to (the longest matching suffix). */
export function domainOfName<D extends { name: string }>(name: string, domains: readonly D[]): D | undefined {
  const matches = domains.filter((d) => name === d.name || name.endsWith(`.${d.name}`));
  return matches.sort((a, b) => b.name.length - a.name.length)[0];
}

/** dns-01 when every certificate name's domain has a DNS provider, else http-01. */
export function defaultChallenge(mailHost: string, domains: readonly DomainConfig[]): AcmeChallenge {
  return domainOfName(mailHost, domains)?.dns ? 'dns-01' : 'http-01';
}

/** The host's ACME settings with defaults filled in, whether or not `acme:` is in the file. */
export function acmeSettings(host: HostConfig): AcmeConfig {
  return (
    host.acme ?? {
      ca: 'letsencrypt',
      challenge: defaultChallenge(host.mailHost, host.domains),
      renewBeforeDays: DEFAULT_RENEW_BEFORE_DAYS,
    }
  );
}

/** The CA directory URL of a `ca` value. */
export function acmeDirectoryUrl(ca: string): string {
  return (ACME_CA_DIRECTORIES as Record<string, string>)[ca] ?? ca;
}

export function readAcme(
  reader: ConfigReader,
  node: Node,
  path: string,
  mailHost: string | undefined,
  domains: readonly DomainConfig[] | undefined,
): AcmeConfig | undefined {
  const fields = reader.fields(node, path, ACME_KEYS, ACME_EXAMPLE);
  if (fields === undefined) return undefined;
  const at = (key: string) => childPath(path, key);
  const caNode = fields.get('ca')?.value;
  const ca = caNode ? readCa(reader, caNode, at('ca')) : 'letsencrypt';
  const emailNode = fields.get('email')?.value;
  const email = emailNode && readEmail(reader, emailNode, at('email'));
  const challengeNode = fields.get('challenge')?.value;
  const challenge = challengeNode && reader.choice(challengeNode, at('challenge'), ACME_CHALLENGES);
  const renewNode = fields.get('renewBeforeDays')?.value;
  const renewBeforeDays = renewNode
    ? readInteger(reader, renewNode, at('renewBeforeDays'), {
        ...RENEW_BEFORE_DAYS_LIMITS,
        what: 'number of days',
        example: `renewBeforeDays: ${DEFAULT_RENEW_BEFORE_DAYS}`,
      })
    : DEFAULT_RENEW_BEFORE_DAYS;
  const caCertNode = fields.get('caCertificate')?.value;
  const caCertificate = caCertNode && readCaCertificate(reader, caCertNode, at('caCertificate'));
  const renewOnNode = fields.get('renewOn')?.value;
  const renewOn = renewOnNode && reader.choice(renewOnNode, at('renewOn'), ACME_RENEW_ON);

  if (challenge === 'dns-01' && challengeNode && mailHost && domains) {
    const domain = domainOfName(mailHost, domains);
    if (!domain?.dns) {
      const target = domain?.name ?? mailHost;
      reader.issues.error(
        challengeNode,
        at('challenge'),
        `dns-01 needs a DNS provider for ${target}, and it has none.`,
        `Add one to the domain, e.g. dns: { provider: manual }, or use challenge: http-01.`,
      );
      return undefined;
    }
  }
  if (!ca || (emailNode && !email) || (challengeNode && !challenge) || !renewBeforeDays) return undefined;
  if (caCertNode && !caCertificate) return undefined;
  if (renewOnNode && !renewOn) return undefined;
  return {
    ca,
    ...(email && { email }),
    challenge: challenge ?? (mailHost && domains ? defaultChallenge(mailHost, domains) : 'http-01'),
    renewBeforeDays,
    ...(caCertificate && { caCertificate }),
    ...(renewOn && { renewOn }),
  };
}

function readCa(reader: ConfigReader, node: Node, path: string): string | undefined {
  const text = reader.text(node, path, 'letsencrypt');
  if (text === undefined) return undefined;
  if (CA_NAMES.includes(text)) return text;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url?.protocol === 'https:') return text;
  const suggestion = url ? undefined : closestMatch(text, CA_NAMES);
  const expected = `Use ${CA_NAMES.join(', ')} or the https URL of an ACME directory, e.g. ca: https://localhost:14000/dir`;
  const hint = suggestion
    ? `Did you mean "${suggestion}"? ${expected}`
    : url
      ? `ACME directories are served over https. ${expected}`
      : expected;
  reader.issues.error(node, path, `"${text}" is not a known CA or an https URL.`, hint);
  return undefined;
}

function readEmail(reader: ConfigReader, node: Node, path: string): string | undefined {
  const example = 'you@example.com';
  const text = reader.text(node, path, example);
  if (text === undefined) return undefined;
  const bare = text.replace(/^mailto:/i, '');
  return acceptName(reader.issues, normalizeEmailAddress(bare), text, node, path, 'email address', example);
}

function readCaCertificate(reader: ConfigReader, node: Node, path: string): string | undefined {
  const example = 'caCertificate: ./pebble-root.pem';
  const text = reader.text(node, path, example);
  if (text === undefined) return undefined;
  if (text.trim() !== '' && !text.includes('-----BEGIN')) return text;
  const what = text.includes('-----BEGIN') ? 'holds a PEM certificate itself' : 'is empty';
  reader.issues.error(node, path, `${what}; give the path of the PEM file.`, `For example: ${example}`);
  return undefined;
}
