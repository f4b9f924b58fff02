// The one DNS check of a mail domain, as the CLI and the extension run it: what the server
// has (addresses, chasquid's hostname, DKIM keys) becomes the expected records, which are
// then compared with DNS, while reachability and blocklists are probed at the same time.
import { setMaxListeners } from 'node:events';
import type { DomainConfig, HostConfig } from '../config';
import { ChasquidConf, decideChasquidPath } from '../chasquid';
import { readRolloverState, rolloverRecord } from '../dane/rollover';
import { installedDkimKeys, type InstalledDkimKey } from '../dkim';
import { gatherFacts, type Facts } from '../facts';
import type { RemoteConnection } from '../remote';
import { checkRecords, type CheckInput } from './check';
import {
  DANE_SMTP_PORT,
  daneUnknownNotice,
  daneUnsignedNotice,
  judgeServedKey,
  zoneSigning,
  type ZoneSigning,
} from './dane';
import { checkDnsbl } from './dnsbl';
import { expectedRecords } from './expected';
import { findingType } from './finding-type';
import {
  authoritativeLookup,
  type AuthoritativeLookup,
  resolverLookup,
  serversLookup,
  systemLookup,
  ZoneNotFoundError,
} from './lookup';
import type { DnsLookup, DnsReport, ExpectedRecord, Finding } from './model';
import { checkInbound, checkOutbound25 } from './reachability';
import { paint, renderLines, type Style, type TextLine } from '../printable';
import { normalizeName } from '../names';

export interface DomainCheckOptions {
  /** Recursive resolvers (`ip` or `ip:port`); default: the system's. */
  resolvers?: string[];
  /** The recursive lookup itself, instead of one made from `resolvers` (shared by several domains). */
  recursive?: DnsLookup;
  /** The zone's authoritative servers; default: found through NS (tests point them at knot). */
  authoritative?: string[];
  /** Whose MX the server connects to on port 25 to prove outbound mail works; default gmail.com. */
  outboundProbeDomain?: string;
  /** false: skip the blocklists; an object: blocklist zones to ask instead of Spamhaus's (tests). */
  dnsbl?: false | { ip?: string; domain?: string };
  /** Probe ports 25 outbound and 25/465/587 inbound (default true). */
  reachability?: boolean;
  /** How the MTA-STS policy is fetched (tests: its port and an extra CA). */
  mtaSts?: CheckInput['mtaSts'];
  signal?: AbortSignal;
  /** Facts already gathered for this host, so the check does not gather them again. */
  facts?: Facts;
  /** The expected records already read for this domain (hostExpectation), so the check reads no DKIM key again. */
  expectation?: HostExpectation;
  /**
   * Called with the expected records as soon as they are known (before the lookups finish), so
   * a caller that shows them needs no second read of the server's DKIM keys.
   */
  onExpected?: (expected: ExpectedRecord[]) => void;
  /** Every host of mailwright.yaml: the others serving the domain share its MX, SPF and MTA-STS. */
  fleet?: readonly HostConfig[];
}

/** What the server itself says the domain's DNS must contain. */
export interface HostExpectation {
  expected: ExpectedRecord[];
  facts: Facts;
  dkimKeys: InstalledDkimKey[];
  /** chasquid.conf's `hostname`, when set: PTR must name it. */
  chasquidHostname?: string;
}

export const DEFAULT_OUTBOUND_PROBE_DOMAIN = 'gmail.com';

/** The records `domain` needs, from the config and the server's facts and DKIM keys; no DNS lookups. */
export async function expectedForHost(
  conn: RemoteConnection,
  host: HostConfig,
  domain: DomainConfig,
  facts?: Facts,
  signal?: AbortSignal,
  fleet?: readonly HostConfig[],
): Promise<ExpectedRecord[]> {
  return (await hostExpectation(conn, host, domain, facts, signal, fleet)).expected;
}

/** The expected records with what they were made from: one facts round trip (skipped when given), then the DKIM keys. */
export async function hostExpectation(
  conn: RemoteConnection,
  host: HostConfig,
  domain: DomainConfig,
  facts?: Facts,
  signal?: AbortSignal,
  fleet?: readonly HostConfig[],
): Promise<HostExpectation> {
  const known = facts ?? (await gatherFacts(conn, { signal }));
  const version = known.chasquid.version;
  const path = version ? decideChasquidPath(version).path : 'unsupported';
  // The bootstrap certificate's key is replaced by the first ACME certificate: no TLSA for it.
  const cert = known.chasquidState?.certs[host.mailHost];
  const servedKeySha256 = cert && !cert.selfSigned ? cert.spkiSha256 : undefined;
  const [dkimKeys, rollover] = await Promise.all([
    // Without a chasquid that signs, there is no key to publish: the check says so (noDkimKeyFinding).
    path === 'unsupported' ? [] : installedDkimKeys(conn, path, domain.name, signal),
    // A DANE key rollover under way expects a second TLSA record; a state that cannot be read is
    // the rollover command's to refuse, not the check's.
    // Read only where the facts list one: most checks then cost the server one command (the DKIM keys).
    servedKeySha256 && known.daneRollovers?.includes(host.mailHost)
      ? readRolloverState(conn, host.mailHost).catch(() => undefined)
      : Promise.resolve(undefined),
  ]);
  const daneRollover = rolloverRecord(rollover, servedKeySha256);
  const expected = expectedRecords({
    host,
    domain,
    addresses: { ipv4: known.addresses.ipv4, ipv6: known.addresses.ipv6 },
    dkimKeys,
    ...(fleet && { fleet }),
    ...(servedKeySha256 && { servedKeySha256 }),
    ...(daneRollover && { daneRollover }),
  });
  return { expected, facts: known, dkimKeys, chasquidHostname: chasquidHostnameOf(known) };
}

function chasquidHostnameOf(facts: Facts): string | undefined {
  const text = facts.chasquidState?.conf;
  if (!text) return undefined;
  const value = ChasquidConf.parse(text).get('hostname');
  return typeof value === 'string' && value !== '' ? normalizeName(value) : undefined;
}

/** The resolvers given (`ip` or `ip:port`), or else the system's. */
export function recursiveLookup(resolvers?: readonly string[]): DnsLookup {
  return resolvers?.length ? resolverLookup([...resolvers]) : systemLookup();
}

/** Every check of one domain; the findings follow the expected records, then reachability, then DNSBL. */
export async function checkDomainDns(
  conn: RemoteConnection,
  host: HostConfig,
  domain: DomainConfig,
  options: DomainCheckOptions = {},
): Promise<DnsReport> {
  const started = performance.now();
  const { signal } = options;
  // Every parallel query listens for the cancel: dozens at once are expected, not a leak.
  if (signal) setMaxListeners(0, signal);
  const facts = options.expectation?.facts ?? options.facts ?? (await gatherFacts(conn, { signal }));
  const addresses = { ipv4: facts.addresses.ipv4, ipv6: facts.addresses.ipv6 };
  const recursive: DnsLookup = options.recursive ?? recursiveLookup(options.resolvers);

  // Reachability and blocklists need only the addresses: they start now, beside the DKIM read.
  let servedKey: string | undefined;
  const reachability =
    options.reachability === false
      ? Promise.resolve([] as Finding[])
      : Promise.all([
          checkOutbound25(conn, options.outboundProbeDomain ?? DEFAULT_OUTBOUND_PROBE_DOMAIN, {
            lookup: recursive,
            signal,
          }),
          // The server's own address, as senders reach it after the A/AAAA lookup (checked above).
          checkInbound(addresses.ipv4[0] ?? addresses.ipv6[0] ?? host.mailHost, [25, 465, 587], {
            servername: host.mailHost,
            signal,
            onServedKey: (port, key) => {
              if (port === DANE_SMTP_PORT) servedKey = key;
            },
          }),
        ]).then(([outbound, inbound]) => [outbound, ...inbound]);
  const blocklists =
    options.dnsbl === false
      ? Promise.resolve([] as Finding[])
      : checkDnsbl({
          ipv4: addresses.ipv4,
          ipv6: addresses.ipv6,
          domain: domain.name,
          lookup: recursive,
          ...(options.dnsbl && { zones: options.dnsbl }),
          signal,
        });
  const notices: string[] = [];
  const records = (async () => {
    const [expectation, authoritative] = await Promise.all([
      options.expectation ?? hostExpectation(conn, host, domain, facts, signal, options.fleet),
      options.authoritative?.length
        ? serversLookup(domain.name, options.authoritative)
        : zoneServers(domain.name, recursive, signal),
    ]);
    const { chasquidHostname, dkimKeys, facts: known } = expectation;
    const dane = await daneExpectation(expectation.expected, { recursive, authoritative, signal });
    if (dane.notice) notices.push(dane.notice);
    const expected = dane.expected;
    options.onExpected?.(expected);
    const findings = await checkRecords({
      domain: domain.name,
      mailHost: host.mailHost,
      expected,
      authoritative,
      recursive,
      addresses,
      chasquidHostname,
      ...(options.mtaSts && { mtaSts: options.mtaSts }),
      signal,
      onZoneProblem: (problem) =>
        notices.push(
          `${domain.name} is not delegated, or its name servers do not answer (${problem}): set the domain's name servers at your registrar. Until they answer, nobody can find these records; the rows below come from your resolver only.`,
        ),
    });
    if (findings.length > 0 && findings.every((f) => f.status === 'not-checkable'))
      notices.push(
        `DNS did not answer for any record of ${domain.name}: check this machine's network and the resolvers (setting mailwright.dns.resolvers), then check again.`,
      );
    const ordered = orderLike(expected, findings);
    if (dkimKeys.length > 0) return ordered;
    // Where the DKIM rows would be: right before DMARC.
    const at = ordered.findIndex((f) => f.kind === 'dmarc');
    ordered.splice(at < 0 ? ordered.length : at, 0, noDkimKeyFinding(domain.name, known));
    return ordered;
  })();
  // Settled together: a failure of one part must not leave the others running unobserved.
  const [recordFindings, reachFindings, dnsblFindings] = await Promise.all([
    records,
    reachability,
    blocklists,
  ]);
  return {
    domain: domain.name,
    host: host.name,
    mailHost: host.mailHost,
    checkedAt: new Date().toISOString(),
    durationMs: Math.round(performance.now() - started),
    // The DANE row against the key port 25 really serves (when it was probed).
    findings: [
      ...recordFindings.map((f) => judgeServedKey(f, servedKey)),
      ...reachFindings,
      ...dnsblFindings,
    ],
    ...(notices.length > 0 && { notices }),
  };
}

/** No DKIM record can be expected while the server has no key: an error with the way to get one. */
export function noDkimKeyFinding(domain: string, facts: Facts): Finding {
  const version = facts.chasquid.version;
  const path = version ? decideChasquidPath(version).path : 'unsupported';
  const why = !facts.chasquid.installed
    ? 'chasquid is not installed on the server'
    : path === 'unsupported'
      ? `chasquid ${version ?? '(unknown version)'} on the server cannot sign with DKIM`
      : `the server has no DKIM key for ${domain}`;
  return {
    id: 'dkim',
    kind: 'dkim',
    name: `*._domainkey.${domain}`,
    type: 'TXT',
    status: 'not-checkable',
    severity: 'error',
    found: [],
    fix: `${why}: run \`mailwright apply\` (or Mail: Provision Server) to create the key, then publish its record`,
    notes: ['Without a DKIM signature, receivers such as Gmail rate the mail as unauthenticated.'],
  };
}

/** Where the DNS questions of a check go: the recursive resolvers, and the domain's zone servers when known. */
export interface DaneLookups {
  recursive: DnsLookup;
  authoritative?: AuthoritativeLookup;
  signal?: AbortSignal;
}

/**
 * The expected records as they stand once the mail host's zone is asked whether it is signed:
 * the TLSA row stays only in a signed zone (DANE without DNSSEC is ignored by senders); otherwise
 * it goes, with one notice for the domain. The check and the publisher both ask here.
 */
export async function daneExpectation(
  expected: ExpectedRecord[],
  lookups: DaneLookups,
): Promise<{ expected: ExpectedRecord[]; signing?: ZoneSigning; notice?: string }> {
  const tlsa = expected.find((r) => r.kind === 'tlsa');
  if (!tlsa) return { expected };
  const name = normalizeName(tlsa.name);
  const known = lookups.authoritative;
  let zone: { name: string; lookup: DnsLookup } | undefined =
    known && name.endsWith(`.${known.zone}`) ? { name: known.zone, lookup: known } : undefined;
  if (!zone) {
    try {
      const found = await authoritativeLookup(name, lookups.recursive, { signal: lookups.signal });
      zone = { name: found.zone, lookup: found.lookup };
    } catch (error) {
      if (!(error instanceof ZoneNotFoundError)) throw error;
    }
  }
  const signing: ZoneSigning = zone
    ? await zoneSigning(zone.name, zone.lookup, lookups.signal)
    : { signed: undefined, why: `the name servers of ${name} cannot be found` };
  if (signing.signed) return { expected, signing };
  const zoneName = zone?.name ?? name;
  return {
    expected: expected.filter((r) => r.kind !== 'tlsa'),
    signing,
    notice:
      signing.signed === false ? daneUnsignedNotice(zoneName) : daneUnknownNotice(zoneName, signing.why),
  };
}

/**
 * The records publishing may write for `domain`: the expected ones, the TLSA row only where the
 * zone is signed (asked through these resolvers, or the given authoritative servers).
 */
export async function publishableExpectation(
  expected: ExpectedRecord[],
  domain: string,
  options: Pick<DomainCheckOptions, 'resolvers' | 'authoritative' | 'signal'> = {},
): Promise<{ expected: ExpectedRecord[]; notice?: string }> {
  if (!expected.some((r) => r.kind === 'tlsa')) return { expected };
  const recursive = recursiveLookup(options.resolvers);
  const authoritative = options.authoritative?.length
    ? serversLookup(domain, options.authoritative)
    : await zoneServers(domain, recursive, options.signal);
  return daneExpectation(expected, { recursive, authoritative, signal: options.signal });
}

/**
 * The zone's own servers; undefined when they cannot be found (an unregistered domain, a
 * broken delegation): the records are then checked through the recursive resolvers alone.
 */
export async function zoneServers(
  domain: string,
  recursive: DnsLookup,
  signal?: AbortSignal,
): Promise<AuthoritativeLookup | undefined> {
  try {
    return (await authoritativeLookup(domain, recursive, { signal })).lookup;
  } catch (error) {
    if (error instanceof ZoneNotFoundError) return undefined;
    throw error;
  }
}

/** Findings of expected records in the expected order; extras (not expected) after them. */
function orderLike(expected: readonly ExpectedRecord[], findings: readonly Finding[]): Finding[] {
  const rank = new Map(expected.map((record, index) => [record.id, index]));
  return findings
    .map((finding, index) => ({ finding, index }))
    .sort(
      (a, b) =>
        (rank.get(a.finding.id) ?? expected.length) - (rank.get(b.finding.id) ?? expected.length) ||
        a.index - b.index,
    )
    .map(({ finding }) => finding);
}

/** True when every required record is ok: what `mailwright dns check` exits 0 on. */
export function requiredRecordsOk(report: DnsReport): boolean {
  return !report.findings.some((f) => f.severity === 'error');
}

const STATUS_LABEL: Record<Finding['status'], string> = {
  ok: 'ok',
  missing: 'MISSING',
  wrong: 'WRONG',
  extra: 'extra',
  'not-checkable': 'unknown',
  'self-signed': 'SELF-SIGNED',
};

/** The report as a terminal table: status, type, name, found/expected, fix; notes indented under each row. */
export function formatDnsReport(
  report: DnsReport,
  options: { color?: boolean; width?: number } = {},
): string {
  return renderLines(dnsReportLines(report), options);
}

/** The report's lines, coloured where the product says so; DNS answers stay text (made printable when shown). */
export function dnsReportLines(report: DnsReport): TextLine[] {
  const statusStyle = (f: Finding): Style =>
    f.status === 'ok' ? 'green' : f.severity === 'error' ? 'red' : 'yellow';
  const rows = report.findings.map((f) => ({
    finding: f,
    status: STATUS_LABEL[f.status],
    type: findingType(f),
    name: f.name,
  }));
  const widthOf = (pick: (r: (typeof rows)[number]) => string, title: string) =>
    Math.max(title.length, ...rows.map((r) => pick(r).length));
  const statusWidth = widthOf((r) => r.status, 'STATUS');
  const typeWidth = widthOf((r) => r.type, 'TYPE');
  const nameWidth = Math.min(
    48,
    widthOf((r) => r.name, 'NAME'),
  );
  const indent = ' '.repeat(statusWidth + typeWidth + 4);
  const lines: TextLine[] = [
    `DNS of ${report.domain} (mail host ${report.mailHost}, server ${report.host}), checked in ${report.durationMs} ms`,
    // Said once for the domain, not on each row.
    ...(report.notices ?? []).flatMap((notice): TextLine[] => ['', [paint('yellow', 'note:'), ` ${notice}`]]),
    '',
    [
      paint(
        'dim',
        `${'STATUS'.padEnd(statusWidth)}  ${'TYPE'.padEnd(typeWidth)}  ${'NAME'.padEnd(nameWidth)}  FOUND / EXPECTED`,
      ),
    ],
  ];
  for (const row of rows) {
    const f = row.finding;
    const found = f.found.length > 0 ? f.found.map((value) => shorten(value)).join(' | ') : '(none)';
    const comparison =
      f.status === 'ok' || f.expected === undefined ? found : `${found}  ≠  expected ${shorten(f.expected)}`;
    lines.push([
      paint(statusStyle(f), row.status.padEnd(statusWidth)),
      `  ${row.type.padEnd(typeWidth)}  ${row.name.padEnd(nameWidth)}  ${comparison}`,
    ]);
    if (f.fix) lines.push([indent, paint('yellow', 'fix:'), ` ${f.fix}`]);
    for (const note of f.notes) lines.push([indent, paint('dim', '-'), ` ${note}`]);
  }
  const count = (pick: (f: Finding) => boolean) => report.findings.filter(pick).length;
  const errors = count((f) => f.severity === 'error');
  const warnings = count((f) => f.severity === 'warning');
  lines.push(
    '',
    errors === 0
      ? [paint('green', `Every required record is right${warnings ? ` (${warnings} warning(s))` : ''}.`)]
      : [paint('red', `${errors} problem(s) to fix${warnings ? `, ${warnings} warning(s)` : ''}.`)],
  );
  return lines;
}

/** Long values (DKIM keys) are cut in the middle: the table stays readable, the JSON has them whole. */
function shorten(value: string, max = 90): string {
  return value.length <= max ? value : `${value.slice(0, 60)}…${value.slice(-20)}`;
}
