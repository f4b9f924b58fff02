// The part of the DNS core the editor uses. Part of the "dns" bundle, loaded on first use only:
// activation must not pay for the resolvers, linters and providers (the extension loads features lazily).
import * as vscode from 'vscode';
import type { DomainConfig, HostConfig } from '../../core/config';
import type { DnsReport, ExpectedRecord } from '../../core/dns/model';
import type { Facts } from '../../core/facts';
import type { RemoteConnection, SecretStore } from '../../core/remote';
import { checkDomainDns, expectedForHost, publishableExpectation } from '../../core/dns/domain-check';
import { providerFor } from '../../core/dns/providers';
import { applyPublish, planPublish, type PublishChange } from '../../core/dns/publish';
import { zoneFileSnippet } from '../../core/dns/zone-export';
import type { PublishChangeView } from '../../panels/dns/messages';

export interface CheckOptions {
  signal?: AbortSignal;
  facts?: Facts;
  /** Recursive resolvers (ip or ip:port); default: the system's. */
  resolvers?: string[];
  /** The zone's authoritative servers (ip:port); default: found through NS. */
  authoritative?: string[];
  /** The expected records, as soon as the check has read them from the server. */
  onExpected?: (expected: ExpectedRecord[]) => void;
  /** Every host of mailwright.yaml: the others serving the domain share its MX, SPF and MTA-STS. */
  fleet?: readonly HostConfig[];
}

export interface PublishDryRun {
  changes: PublishChangeView[];
  notes: string[];
  /** Applies exactly these changes. */
  apply(signal?: AbortSignal): Promise<{ applied: number }>;
}

/** The editor's façade over the DNS core: the one place that knows its exact signatures. */
export interface DnsCore {
  expectedForHost(
    conn: RemoteConnection,
    host: HostConfig,
    domain: DomainConfig,
    facts?: Facts,
    signal?: AbortSignal,
    fleet?: readonly HostConfig[],
  ): Promise<ExpectedRecord[]>;
  checkDomainDns(
    conn: RemoteConnection,
    host: HostConfig,
    domain: DomainConfig,
    options: CheckOptions,
  ): Promise<DnsReport>;
  zoneFileSnippet(domain: string, records: readonly ExpectedRecord[]): string;
  /** The dry run of publishing through the domain's `dns:` provider (credential from `secrets`). */
  planPublish(
    domain: DomainConfig,
    records: readonly ExpectedRecord[],
    secrets: SecretStore,
    options?: {
      signal?: AbortSignal;
      onInstruction?: (text: string) => void;
      /** Where the zone is asked whether it is signed (the TLSA record needs it). */
      resolvers?: string[];
      authoritative?: string[];
    },
  ): Promise<PublishDryRun>;
}

function changeView(c: PublishChange): PublishChangeView {
  return {
    op: c.action,
    type: c.record.type,
    name: c.record.name,
    // Only an update replaces a value; a kept record is shown as it stays.
    from: c.action === 'update' && c.previous ? [c.previous.value] : [],
    to: c.action === 'skip' ? [] : [c.record.value],
  };
}

/** The DNS core as the editor uses it (this module is in the "dns" bundle, loaded on first use). */
export const dnsCore: DnsCore = {
  expectedForHost: (conn, host, domain, facts, signal, fleet) =>
    expectedForHost(conn, host, domain, facts, signal, fleet),
  checkDomainDns: (conn, host, domain, options) => checkDomainDns(conn, host, domain, options),
  zoneFileSnippet: (domain, records) => zoneFileSnippet([...records], { origin: domain }),
  async planPublish(domain, records, secrets, options = {}) {
    const dns = domain.dns;
    if (!dns) throw new Error(vscode.l10n.t('{0} has no dns: provider in mailwright.yaml.', domain.name));
    const provider = await providerFor({ name: domain.name, dns }, secrets, {
      onInstruction: options.onInstruction,
    });
    // The TLSA (DANE) record only where the zone is signed; the editor's resolvers ask.
    const dane = await publishableExpectation([...records], domain.name, {
      resolvers: options.resolvers,
      authoritative: options.authoritative,
      signal: options.signal,
    });
    const changes = await planPublish(dane.expected, provider, options.signal);
    const notes = [
      ...(dane.notice ? [dane.notice] : []),
      ...new Set(
        changes.flatMap((c) => [
          ...(c.notes ?? []),
          ...(c.action === 'skip' ? [vscode.l10n.t('{0}: {1}', c.record.name, c.reason)] : []),
        ]),
      ),
    ];
    return {
      changes: changes.filter((c) => c.action !== 'skip').map(changeView),
      notes,
      async apply(signal) {
        const result = await applyPublish(changes, provider, { signal });
        return { applied: result.applied.length };
      },
    };
  },
};
