// mailwright dns check|plan|publish|export: the records a mail domain needs, compared with
// DNS, published through the domain's provider, or printed for any other provider.
import { setMaxListeners } from 'node:events';
import {
  normalizeDomainName,
  type DnsProviderConfig,
  type DomainConfig,
  type HostConfig,
} from '../core/config';
import {
  checkDomainDns,
  dnsReportLines,
  publishableExpectation,
  requiredRecordsOk,
  type DomainCheckOptions,
} from '../core/dns/domain-check';
import type { DnsReport, ExpectedRecord } from '../core/dns/model';
import { waitForRecord } from '../core/dns/propagation';
import { DnsProviderError, providerFor, type DnsProvider } from '../core/dns/providers';
import { formatStages, type Stage } from '../core/dns/stages';
import { applyPublish, formatPublishPlan, planPublish } from '../core/dns/publish';
import { zoneFileSnippet } from '../core/dns/zone-export';
import { EnvSecretStore, type SecretStore } from '../core/remote';
import type { CommandFn } from './command-types';
import type { ConnectFlags } from './connect';
import { info, out, printJson, UsageError } from './output';
import { isInteractive, promptYesNo } from './prompt';
import { withContext, type CommandContext } from './context';

type DnsFlags = ConnectFlags & {
  domain?: string;
  resolver?: string[];
  authoritative?: string[];
  'outbound-probe'?: string;
  'no-dnsbl'?: boolean;
  'no-reachability'?: boolean;
  json?: boolean;
  yes?: boolean;
};

export const DNS_EXIT = { ok: 0, problems: 1, usage: 2 } as const;

type Subcommand = 'check' | 'plan' | 'publish' | 'export';

/** `dns check|plan|publish|export`. */
export const dnsCommand =
  (sub: Subcommand): CommandFn =>
  async ({ flags: given }, signal) => {
    const flags = given as DnsFlags;
    // Lookups and provider calls run in parallel, each listening for Ctrl-C: many listeners are expected.
    setMaxListeners(0, signal);
    for (const server of [...(flags.resolver ?? []), ...(flags.authoritative ?? [])]) checkServer(server);
    return withContext(flags, async (context) => {
      const host = context.host();
      const domain = domainFrom(host, flags.domain);
      return run(sub, { context, host, domain }, flags, signal);
    });
  };

/** The domain a dns command works on, with its host and the command's context. */
interface DnsTarget {
  context: CommandContext;
  host: HostConfig;
  domain: DomainConfig;
}

function run(sub: Subcommand, t: DnsTarget, flags: DnsFlags, signal: AbortSignal) {
  switch (sub) {
    case 'check':
      return checkCommand(t, flags, signal);
    case 'plan':
      return publishCommand(t, flags, signal, false);
    case 'publish':
      return publishCommand(t, flags, signal, true);
    case 'export':
      return exportCommand(t, signal);
  }
}

/**
 * The domain's DNS provider for a command that writes records (publish, DKIM rotation, DANE
 * rollover); `authoritative` (ip:port) are the servers to wait on. No credential or an incomplete
 * dns: section is a setup problem, told like bad usage.
 */
export function openDnsProvider(
  domain: { name: string; dns: DnsProviderConfig },
  secrets: SecretStore,
  authoritative?: string[],
): Promise<DnsProvider> {
  return providerFor(domain, secrets, {
    onInstruction: (text: string) => info(text),
    ...(authoritative && { servers: authoritative }),
  }).catch((error: unknown) => {
    throw error instanceof DnsProviderError ? new UsageError(error.message) : error;
  });
}

/** Prints the stages of a staged DNS run under `title` each time they change. */
export function stagePrinter(title: string): (stages: readonly Stage[]) => void {
  let shown = '';
  return (stages) => {
    const text = formatStages(stages).join('\n');
    if (text === shown) return;
    shown = text;
    out(title, ...text.split('\n'));
  };
}

/** A DNS server given on the command line: ip, ip:port or [v6]:port. */
export function checkServer(server: string, flag = '--resolver/--authoritative'): void {
  const plain = server.replace(/^\[(.*)\](:\d+)?$/, '$1');
  const ipv4 = /^\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?$/.test(plain);
  const ipv6 = plain.includes(':') && /^[0-9a-fA-F:.]+$/.test(plain) && !ipv4;
  if (!ipv4 && !ipv6)
    throw new UsageError(
      `${flag} "${server}" is not an IP address: give one like 1.1.1.1, 9.9.9.9:53 or [2606:4700::1111]:53.`,
    );
}

/** The domain --domain names among the host's (or its only one); refused with the list. */
export function domainFrom(host: HostConfig, name: string | undefined): DomainConfig {
  const domains = host.domains;
  const list = domains.map((d) => d.name).join(', ') || 'none';
  if (!name) {
    if (domains.length === 1) return domains[0]!;
    throw new UsageError(`${host.name} has ${domains.length} domains: choose one with --domain (${list}).`);
  }
  const checked = normalizeDomainName(name);
  const domain = checked.ok ? domains.find((d) => d.name === checked.value) : undefined;
  if (!domain) throw new UsageError(`--domain "${name}" is not a domain of ${host.name} (domains: ${list}).`);
  return domain;
}

/**
 * The domain's other hosts (a fleet) come from mailwright.yaml: their mail hosts share MX and SPF.
 * The facts and the expected records are the context's, read once for the whole command.
 */
async function checkOptions(t: DnsTarget, flags: DnsFlags, signal: AbortSignal): Promise<DomainCheckOptions> {
  return {
    fleet: t.context.fleet,
    expectation: await t.context.expectation(t.host, t.domain, signal),
    ...(flags.resolver && { resolvers: flags.resolver }),
    ...(flags.authoritative && { authoritative: flags.authoritative }),
    ...(flags['outbound-probe'] && { outboundProbeDomain: flags['outbound-probe'] }),
    ...(flags['no-dnsbl'] && { dnsbl: false as const }),
    ...(flags['no-reachability'] && { reachability: false }),
    signal,
  };
}

async function checkCommand(t: DnsTarget, flags: DnsFlags, signal: AbortSignal) {
  const conn = await t.context.connection(t.host);
  const report = await checkDomainDns(conn, t.host, t.domain, await checkOptions(t, flags, signal));
  printReport(report, flags);
  return requiredRecordsOk(report) ? DNS_EXIT.ok : DNS_EXIT.problems;
}

function printReport(report: DnsReport, flags: DnsFlags): void {
  if (flags.json) printJson(report);
  else out(...dnsReportLines(report));
}

/** plan (dry run) and publish: the changes the domain's provider needs, applied only by publish. */
async function publishCommand(
  t: DnsTarget,
  flags: DnsFlags,
  signal: AbortSignal,
  publish: boolean,
): Promise<number> {
  const { domain } = t;
  if (!domain.dns)
    throw new UsageError(
      `${domain.name} has no dns: provider in mailwright.yaml (e.g. dns: { provider: cloudflare }). ` +
        'Add one to publish, or print the records with `mailwright dns export`.',
    );
  const dane = await publishableExpectation(
    (await t.context.expectation(t.host, domain, signal)).expected,
    domain.name,
    { resolvers: flags.resolver, authoritative: flags.authoritative, signal },
  );
  if (dane.notice) info(dane.notice);
  const { expected } = dane;
  const provider = await openDnsProvider(
    { name: domain.name, dns: domain.dns },
    new EnvSecretStore(),
    flags.authoritative,
  );
  const changes = await planPublish(expected, provider, signal);
  // With --json, stdout carries only the report; the plan is for the person, on stderr.
  const planText = formatPublishPlan(changes).split('\n');
  if (flags.json) info(...planText);
  else out(...planText);
  const writes = changes.filter((c) => c.action === 'create' || c.action === 'update');
  if (!publish) {
    if (writes.length > 0)
      info('', `${writes.length} change(s). Run \`mailwright dns publish\` to make them.`);
    return DNS_EXIT.ok;
  }
  if (writes.length > 0) {
    if (!flags.yes) {
      if (!isInteractive()) throw new UsageError('Not a terminal: pass --yes to publish without asking.');
      if (!(await promptYesNo(`Make ${writes.length} change(s) to the DNS of ${domain.name}?`))) {
        info('Nothing changed.');
        return DNS_EXIT.problems;
      }
    }
    await applyPublish(changes, provider, { signal });
    info(`Published; waiting until every authoritative server of ${domain.name} serves the records…`);
    await Promise.all(
      writes.map((c) =>
        waitForRecord(c.record, true, {
          signal,
          ...(flags.authoritative && { servers: flags.authoritative }),
        }),
      ),
    );
  }
  const conn = await t.context.connection(t.host);
  const report = await checkDomainDns(conn, t.host, domain, await checkOptions(t, flags, signal));
  printReport(report, flags);
  // PTR records are set at the VPS provider, not in the zone: publish cannot fix those.
  return zoneRecordsOk(report, expected) ? DNS_EXIT.ok : DNS_EXIT.problems;
}

function zoneRecordsOk(report: DnsReport, expected: readonly ExpectedRecord[]): boolean {
  const inZone = new Set(expected.filter((r) => r.publishedAt === 'zone').map((r) => r.id));
  return !report.findings.some((f) => inZone.has(f.id) && f.severity === 'error');
}

async function exportCommand(t: DnsTarget, signal: AbortSignal): Promise<number> {
  const { expected } = await t.context.expectation(t.host, t.domain, signal);
  out(...zoneFileSnippet(expected, { origin: t.domain.name }).split('\n'));
  return DNS_EXIT.ok;
}
