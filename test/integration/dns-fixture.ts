// The test "internet" a sandbox VPS sees: a real authoritative knot (scripts/testdns) on the
// host side of the sandbox's veth, where the guest's /etc/resolv.conf points. It serves
//   receiver.test  MX 10 mx.receiver.test, mx = the host side (the stand-in for gmail.com)
//   example.test   smtp.example.test = the guest, MX, and TXT records the test publishes
// Records change through TSIG-signed RFC 2136 updates (knsupdate), like a real provider API.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { SandboxInstance } from './sandbox-instances';

const run = promisify(execFile);
const SCRIPT = resolve(__dirname, '../../scripts/testdns');

export const RECEIVER_ZONE = 'receiver.test';
export const SENDER_ZONE = 'example.test';
const TTL = 5; // short: a record the test replaces must not linger in any cache

export interface TestDnsOptions {
  /** Name of the mail host in example.test (A/AAAA = the guest). */
  mailHost?: string;
  /** TXT records of example.test at start: name -> character-strings of ONE record. */
  txt?: Record<string, string[]>;
  /**
   * Also serve the reverse zones of the guest's networks (its IPv4 /24 and IPv6 /64), with a
   * PTR of each guest address naming the mail host, as a VPS provider's rDNS page would set.
   */
  reverseZones?: boolean;
  /**
   * Also serve a stand-in for Spamhaus (zone dnsbl.test): the IP list at DNSBL_IP_ZONE and the
   * domain list at DNSBL_DOMAIN_ZONE, with the fixed answers in DNSBL_TEST_ENTRIES. The guest's
   * own addresses are not listed (list them with update() to stage a listing).
   */
  dnsbl?: boolean;
  /**
   * Also serve inbox.test (INBOX_ZONE): MX 10 mx.inbox.test at these addresses, the second host
   * of scripts/inbox. No ipv6: no AAAA, as for a receiver reachable over IPv4 only.
   */
  inbox?: { ipv4: string; ipv6?: string | null };
  /** Sign example.test with DNSSEC (knot's default policy), as a DNS host that offers it does. */
  signed?: boolean;
}

export const INBOX_ZONE = 'inbox.test';

export function inboxZone(instance: SandboxInstance, inbox: { ipv4: string; ipv6?: string | null }): string {
  return [
    ...soa(INBOX_ZONE),
    `ns A ${instance.hostIpv4}`,
    `@ MX 10 mx.${INBOX_ZONE}.`,
    `mx A ${inbox.ipv4}`,
    ...(inbox.ipv6 ? [`mx AAAA ${inbox.ipv6}`] : []),
    '',
  ].join('\n');
}

export const DNSBL_ZONE = 'dnsbl.test';
export const DNSBL_IP_ZONE = `zen.${DNSBL_ZONE}`;
export const DNSBL_DOMAIN_ZONE = `dbl.${DNSBL_ZONE}`;
/** What the DNSBL stand-in answers, by what is looked up (an IP on the IP list, a domain on the domain list). */
export const DNSBL_TEST_ENTRIES = {
  /** Listed on SBL and PBL, like Spamhaus's own test address. */
  listedIp: { subject: '127.0.0.2', answers: ['127.0.0.2', '127.0.0.10'] },
  /** The "query came through a public resolver" refusal code. */
  refusedIp: { subject: '127.0.0.3', answers: ['127.255.255.254'] },
  /** A spam domain on the domain list. */
  listedDomain: { subject: 'dbltest.com', answers: ['127.0.1.2'] },
} as const;

export function dnsblZone(): string {
  const { listedIp, refusedIp, listedDomain } = DNSBL_TEST_ENTRIES;
  const ipName = (ip: string) => `${ip.split('.').reverse().join('.')}.zen`;
  return [
    ...soa(DNSBL_ZONE).map((line) => line.replace(`@ NS ns.${DNSBL_ZONE}.`, `@ NS ns.${SENDER_ZONE}.`)),
    ...listedIp.answers.map((a) => `${ipName(listedIp.subject)} A ${a}`),
    ...refusedIp.answers.map((a) => `${ipName(refusedIp.subject)} A ${a}`),
    ...listedDomain.answers.map((a) => `${listedDomain.subject}.dbl A ${a}`),
    '',
  ].join('\n');
}

export interface TestDns {
  /** The testdns instance name (scripts/testdns stop NAME). */
  name: string;
  stateDir: string;
  /** knsupdate -k file (`hmac-sha256:NAME:SECRET`, mode 0600) for RFC 2136 updates, e.g. ACME DNS-01. */
  tsigKeyFile: string;
  /** Where the guest's resolver (and our Node resolver) asks: host-side addresses, port 53. */
  servers: string[];
  /** A resolver that asks only the test DNS. */
  resolver(): Resolver;
  /** Replaces every TXT record at `fqdn` (in either zone) with one record made of these character-strings. */
  setTxt(fqdn: string, strings: string[]): Promise<void>;
  /** Removes every TXT record at `fqdn`. */
  deleteTxt(fqdn: string): Promise<void>;
  /** Zones served (forward and, with reverseZones, reverse). */
  zones: string[];
  /** One signed RFC 2136 update of `zone`: knsupdate lines such as `update add NAME TTL TYPE VALUE`. */
  update(zone: string, lines: string[]): Promise<void>;
  stop(): Promise<void>;
}

/** The testdns name for a sandbox (scripts/test-integration stops it by this name too). */
export function testDnsName(instance: SandboxInstance): string {
  return `mw-${instance.name}`;
}

/** Zone-file character-strings: quoted, with " and \ escaped. */
function quoteTxt(strings: readonly string[]): string {
  return strings.map((s) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(' ');
}

function absolute(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

function soa(zone: string): string[] {
  return [
    `$ORIGIN ${zone}.`,
    `$TTL ${TTL}`,
    `@ SOA ns.${zone}. hostmaster.${zone}. 1 60 60 600 ${TTL}`,
    `@ NS ns.${zone}.`,
  ];
}

export function receiverZone(instance: SandboxInstance): string {
  return [
    ...soa(RECEIVER_ZONE),
    `ns A ${instance.hostIpv4}`,
    `ns AAAA ${instance.hostIpv6}`,
    `@ MX 10 mx.${RECEIVER_ZONE}.`,
    `mx A ${instance.hostIpv4}`,
    `mx AAAA ${instance.hostIpv6}`,
    '',
  ].join('\n');
}

export function senderZone(instance: SandboxInstance, opts: TestDnsOptions = {}): string {
  const mailHost = absolute(opts.mailHost ?? `smtp.${SENDER_ZONE}`);
  return [
    ...soa(SENDER_ZONE),
    `ns A ${instance.hostIpv4}`,
    `ns AAAA ${instance.hostIpv6}`,
    `@ MX 10 ${mailHost}`,
    `${mailHost} A ${instance.ipv4}`,
    `${mailHost} AAAA ${instance.ipv6}`,
    ...Object.entries(opts.txt ?? {}).map(([name, strings]) => `${absolute(name)} TXT ${quoteTxt(strings)}`),
    '',
  ].join('\n');
}

/** The reverse zone of an address's network: the /24 of IPv4, the /64 of IPv6. */
export function reverseZoneOf(ip: string): string {
  const labels = reverseName(ip).split('.');
  return labels.slice(ip.includes(':') ? 16 : 1).join('.');
}

/** The PTR owner name of an address: 6.100.51.198.in-addr.arpa, or 32 nibbles under ip6.arpa. */
export function reverseName(ip: string): string {
  if (!ip.includes(':')) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  const [head = '', tail] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  const nibbles = [...left, ...zeros, ...right].map((g) => g.padStart(4, '0')).join('');
  return `${[...nibbles].reverse().join('.')}.ip6.arpa`;
}

export function reverseZone(instance: SandboxInstance, zone: string, opts: TestDnsOptions = {}): string {
  const mailHost = absolute(opts.mailHost ?? `smtp.${SENDER_ZONE}`);
  const ptrs = [instance.ipv4, instance.ipv6]
    .filter((ip) => reverseZoneOf(ip) === zone)
    .map((ip) => `${reverseName(ip)}. PTR ${mailHost}`);
  return [...soa(zone), ...ptrs, ''].join('\n').replace(`@ NS ns.${zone}.`, `@ NS ns.${SENDER_ZONE}.`);
}

/** Starts knot for `instance` on hostIpv4:53 and [hostIpv6]:53; stop() leaves nothing behind. */
export async function startTestDns(instance: SandboxInstance, opts: TestDnsOptions = {}): Promise<TestDns> {
  const name = testDnsName(instance);
  const zoneDir = mkdtempSync(join(tmpdir(), 'mw-zones-'));
  try {
    writeFileSync(join(zoneDir, `${RECEIVER_ZONE}.zone`), receiverZone(instance));
    writeFileSync(join(zoneDir, `${SENDER_ZONE}.zone`), senderZone(instance, opts));
    const reverseZones = opts.reverseZones ? [instance.ipv4, instance.ipv6].map(reverseZoneOf) : [];
    for (const zone of reverseZones)
      writeFileSync(join(zoneDir, `${zone}.zone`), reverseZone(instance, zone, opts));
    const extraZones = [
      ...reverseZones,
      ...(opts.dnsbl ? [DNSBL_ZONE] : []),
      ...(opts.inbox ? [INBOX_ZONE] : []),
    ];
    if (opts.dnsbl) writeFileSync(join(zoneDir, `${DNSBL_ZONE}.zone`), dnsblZone());
    if (opts.inbox) writeFileSync(join(zoneDir, `${INBOX_ZONE}.zone`), inboxZone(instance, opts.inbox));
    // A leftover from a killed run would hold port 53: stop is idempotent.
    await run('bash', [SCRIPT, 'stop', name]);
    const { stdout } = await run(
      'bash',
      [
        SCRIPT,
        'start',
        name,
        '--listen',
        `${instance.hostIpv4},${instance.hostIpv6}`,
        '--port',
        '53',
        '--zone-dir',
        zoneDir,
        ...(opts.signed ? ['--signed', SENDER_ZONE] : []),
      ],
      { timeout: 180_000 }, // may apt-get install knot first
    );
    const stateDir = stdout.trim().split('\n').at(-1) ?? '';
    const primary = instance.hostIpv4;
    const servers = [instance.hostIpv4, instance.hostIpv6];

    const zoneOf = (fqdn: string) => {
      const name = fqdn.replace(/\.$/, '').toLowerCase();
      const zone = [SENDER_ZONE, RECEIVER_ZONE, ...extraZones].find(
        (z) => name === z || name.endsWith(`.${z}`),
      );
      if (!zone) throw new RangeError(`${fqdn} is in neither ${SENDER_ZONE} nor ${RECEIVER_ZONE}`);
      return zone;
    };
    const tsigKeyFile = join(stateDir, 'tsig.key');
    // knsupdate reads the key from the 0600 file and the commands from stdin: no secret in argv.
    const update = (zone: string, lines: string[]) =>
      new Promise<void>((resolveUpdate, reject) => {
        const child = spawn('knsupdate', ['-t', '5', '-k', tsigKeyFile], {
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        let output = '';
        child.stdout.on('data', (d: Buffer) => (output += d.toString()));
        child.stderr.on('data', (d: Buffer) => (output += d.toString()));
        child.on('error', reject);
        child.on('close', (code) =>
          code === 0 ? resolveUpdate() : reject(new Error(`knsupdate failed (${code}): ${output.trim()}`)),
        );
        child.stdin.end([`server ${primary} 53`, `zone ${zone}.`, ...lines, 'send', 'answer', ''].join('\n'));
      });

    return {
      name,
      stateDir,
      tsigKeyFile,
      servers,
      resolver() {
        const r = new Resolver({ timeout: 2000, tries: 2 });
        r.setServers([primary]);
        return r;
      },
      setTxt: (fqdn, strings) =>
        update(zoneOf(fqdn), [
          `update delete ${absolute(fqdn)} TXT`,
          `update add ${absolute(fqdn)} ${TTL} TXT ${quoteTxt(strings)}`,
        ]),
      deleteTxt: (fqdn) => update(zoneOf(fqdn), [`update delete ${absolute(fqdn)} TXT`]),
      zones: [SENDER_ZONE, RECEIVER_ZONE, ...extraZones],
      update,
      stop: async () => {
        await run('bash', [SCRIPT, 'stop', name]);
      },
    };
  } finally {
    rmSync(zoneDir, { recursive: true, force: true });
  }
}
