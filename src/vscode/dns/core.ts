// The part of the DNS core the editor uses. Part of the "dns" bundle, loaded on first use only:
// activation must not pay for the resolvers, linters and providers (issue 6, lazy loading).
import type { DomainConfig, HostConfig } from '../../core/config';
import type { DnsReport, ExpectedRecord } from '../../core/dns/model';
import type { Facts } from '../../core/facts';
import type { RemoteConnection, SecretStore } from '../../core/remote';

export interface CheckOptions {
  signal?: AbortSignal;
  facts?: Facts;
  /** Recursive resolvers (ip or ip:port); default: the system's. */
  resolvers?: string[];
  /** The zone's authoritative servers (ip:port); default: found through NS. */
  authoritative?: string[];
}

/** One change Publish makes at the provider, as the panel shows it. */
export interface PublishChange {
  op: string;
  type: string;
  name: string;
  from: string[];
  to: string[];
}

export interface PublishDryRun {
  changes: PublishChange[];
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
    signal?: AbortSignal,
  ): Promise<PublishDryRun>;
}

const NOT_YET = 'The DNS checks are not part of this build yet: update Mailwright.';

/** The DNS core as the editor uses it (this module is in the "dns" bundle, loaded on first use). */
export const dnsCore: DnsCore = {
  expectedForHost: () => Promise.reject(new Error(NOT_YET)),
  checkDomainDns: () => Promise.reject(new Error(NOT_YET)),
  zoneFileSnippet: () => {
    throw new Error(NOT_YET);
  },
  planPublish: () => Promise.reject(new Error(NOT_YET)),
};
