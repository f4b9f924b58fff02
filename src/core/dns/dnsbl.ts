// Blocklists (DNSBL): is the server's IP on Spamhaus ZEN, is the domain on Spamhaus DBL? A listing
// makes receivers refuse or junk the mail. A blocklist answers an A query under its zone: no such
// name = not listed, 127.0.0.x / 127.0.1.x = listed (the last byte says why), 127.255.255.x = the
// list refused to answer (typically because the query came through a big public resolver).
import { ipFamily, reverseName } from './address';
import { normalizeName, type DnsLookup, type Finding } from './model';

export const DEFAULT_IP_BLOCKLIST = 'zen.spamhaus.org';
export const DEFAULT_DOMAIN_BLOCKLIST = 'dbl.spamhaus.org';
export const SPAMHAUS_REMOVAL_PAGE = 'https://check.spamhaus.org/';

export interface DnsblInput {
  ipv4?: string | string[];
  ipv6?: string | string[];
  domain: string;
  /** Should be your own recursive resolver: Spamhaus refuses queries from big public ones. */
  lookup: DnsLookup;
  /** Blocklist zones to ask instead of Spamhaus's (tests use their own). */
  zones?: { ip?: string; domain?: string };
  signal?: AbortSignal;
}

/** What each ZEN answer means, in plain words. */
const ZEN_LISTS: Record<string, string> = {
  '127.0.0.2': 'SBL (Spamhaus Block List: addresses Spamhaus saw sending spam or run by spammers)',
  '127.0.0.3': 'CSS (a low-reputation sender: mail from this address looked like spam recently)',
  '127.0.0.4': 'XBL (exploits list: the address looks like an infected or hijacked machine)',
  '127.0.0.5': 'XBL (exploits list: the address looks like an infected or hijacked machine)',
  '127.0.0.6': 'XBL (exploits list: the address looks like an infected or hijacked machine)',
  '127.0.0.7': 'XBL (exploits list: the address looks like an infected or hijacked machine)',
  '127.0.0.9': 'DROP (a hijacked or spammer-controlled network block)',
  '127.0.0.10':
    'PBL, listed by the network owner (an address range meant for end users, not for sending mail directly)',
  '127.0.0.11': 'PBL, listed by Spamhaus (an address range that should not send mail directly)',
};

const DBL_LISTS: Record<string, string> = {
  '127.0.1.2': 'DBL as a spam domain',
  '127.0.1.4': 'DBL as a phishing domain',
  '127.0.1.5': 'DBL as a malware domain',
  '127.0.1.6': 'DBL as a botnet command-and-control domain',
  '127.0.1.102': 'DBL as an abused legitimate domain (used in spam)',
  '127.0.1.103': 'DBL as an abused legitimate domain (a redirector used in spam)',
  '127.0.1.104': 'DBL as an abused legitimate domain (used in phishing)',
  '127.0.1.105': 'DBL as an abused legitimate domain (used for malware)',
  '127.0.1.106': 'DBL as an abused legitimate domain (used for botnet command and control)',
};

/** The list's "I will not tell you" answers: not a listing. */
const REFUSALS: Record<string, string> = {
  '127.255.255.252': 'the blocklist says the query was malformed (a typo in the blocklist name?)',
  '127.255.255.254':
    'the blocklist refused the query because it came through a public or open resolver (such as 8.8.8.8 or 1.1.1.1)',
  '127.255.255.255': 'the blocklist refused the query: too many queries from your resolver',
};

/** The name a blocklist is asked for an address: IPv4 octets or IPv6 nibbles reversed, then the zone. */
export function dnsblQueryName(ip: string, zone: string): string {
  if (!ipFamily(ip)) {
    throw new RangeError(`dnsbl: "${ip}" is not an IPv4 or IPv6 address; pass the server's public address.`);
  }
  return `${reverseName(ip).replace(/\.(in-addr|ip6)\.arpa$/, '')}.${zone}`;
}

const list = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** One finding per address on the IP list and one for the domain on the domain list, asked in parallel. */
export async function checkDnsbl(input: DnsblInput): Promise<Finding[]> {
  const ipZone = input.zones?.ip ?? DEFAULT_IP_BLOCKLIST;
  const domainZone = input.zones?.domain ?? DEFAULT_DOMAIN_BLOCKLIST;
  const addresses = [...list(input.ipv4), ...list(input.ipv6)];
  const domain = normalizeName(input.domain);
  return Promise.all([
    ...addresses.map((ip) =>
      askList(
        input,
        { id: `dnsbl:${ipZone}:${ip}`, subject: ip, zone: ipZone, query: dnsblQueryName(ip, ipZone) },
        ZEN_LISTS,
      ),
    ),
    askList(
      input,
      {
        id: `dnsbl:${domainZone}:${domain}`,
        subject: domain,
        zone: domainZone,
        query: `${domain}.${domainZone}`,
      },
      DBL_LISTS,
    ),
  ]);
}

interface Question {
  id: string;
  /** The IP or domain being looked up. */
  subject: string;
  zone: string;
  query: string;
}

async function askList(input: DnsblInput, q: Question, meanings: Record<string, string>): Promise<Finding> {
  const answer = await input.lookup.query(q.query, 'A', input.signal);
  const base = {
    id: q.id,
    kind: 'dnsbl' as const,
    name: q.subject,
    type: 'A' as const,
    found: answer.values,
  };
  const asked = `asked ${q.query} (A)${answer.server ? ` via ${answer.server}` : ''}`;
  if (answer.status === 'nxdomain' || answer.status === 'nodata') {
    return {
      ...base,
      status: 'ok',
      severity: 'info',
      notes: [`${q.subject} is not listed on ${q.zone}`, asked],
    };
  }
  if (answer.status !== 'ok') {
    return {
      ...base,
      status: 'not-checkable',
      severity: 'warning',
      fix: `try again later; if it persists, check that your resolver can reach ${q.zone}`,
      notes: [`${q.zone} did not answer (${answer.status}${answer.error ? `: ${answer.error}` : ''})`, asked],
    };
  }
  const refusal = answer.values.map((v) => REFUSALS[v]).find(Boolean);
  if (refusal) {
    return {
      ...base,
      status: 'not-checkable',
      severity: 'warning',
      fix: 'use your own resolver, not a public one (set the resolvers of the DNS check to one you run or your provider runs)',
      notes: [`unknown, not listed: ${refusal}`, asked],
    };
  }
  const listings = answer.values.map((v) => meanings[v]).filter((m): m is string => Boolean(m));
  if (listings.length === 0) {
    return {
      ...base,
      status: 'not-checkable',
      severity: 'warning',
      fix: 'use a resolver that does not rewrite answers (some redirect unknown names to an ad page)',
      notes: [`unexpected answer ${answer.values.join(', ')}: not a code ${q.zone} uses`, asked],
    };
  }
  return {
    ...base,
    status: 'wrong',
    severity: 'error',
    fix: `look up ${q.subject} at ${SPAMHAUS_REMOVAL_PAGE} and follow its removal steps (fix the cause first)`,
    notes: [
      ...listings.map(
        (listing) => `${q.subject} is listed on ${listing}: many receivers refuse or junk its mail`,
      ),
      asked,
    ],
  };
}
