// Gathering for the server checks: the facts in one round trip, then each domain's DNS report
// (records and blocklists, through the same code as `mailwright dns check`), judged by server.ts.
// The connection is SSH from the CLI and the editor, the local machine on the server.
import { hasSendingLimits, type DomainConfig, type HostConfig } from '../config';
import {
  checkDomainDns,
  recursiveLookup,
  type DomainCheckOptions,
  type HostExpectation,
} from '../dns/domain-check';
import { sharedLookup } from '../dns/lookup';
import { gatherFacts, type Facts } from '../facts';
import { readQueue } from '../queue/read';
import type { RemoteConnection } from '../remote';
import type { Check } from './index';
import { readLimitEvents, sendingLimitChecks } from './sending-limits';
import { dnsChecks, dnsUnavailableCheck, factChecks, queueChecks, type ServerCheckReport } from './server';

/** The DNS options the checks pass on (resolvers, blocklist zones); reachability is the services' row. */
export type ServerDnsOptions = Pick<DomainCheckOptions, 'resolvers' | 'authoritative' | 'dnsbl' | 'mtaSts'>;

export interface ServerCheckOptions {
  ranOn: 'client' | 'server';
  /** Facts already gathered (the CLI's context, the editor's facts service). */
  facts?: Facts;
  /** Every host of mailwright.yaml: the others serving a domain share its MX and SPF. */
  fleet?: readonly HostConfig[];
  dns?: ServerDnsOptions;
  /** The expected records of a domain, when the caller already read them (the CLI context). */
  expectation?: (domain: DomainConfig) => Promise<HostExpectation>;
  signal?: AbortSignal;
  now?: () => Date;
}

export async function runServerChecks(
  conn: RemoteConnection,
  host: HostConfig,
  options: ServerCheckOptions,
): Promise<ServerCheckReport> {
  const started = performance.now();
  const { signal } = options;
  const facts = options.facts ?? (await gatherFacts(conn, { signal }));
  // The queue is read beside the DNS lookups, only where chasquid is installed.
  const queue = facts.chasquid.installed
    ? readQueue(conn, { signal }).catch((error: Error) => {
        if (signal?.aborted) throw error;
        return error;
      })
    : Promise.resolve(undefined);
  // So are the refusals of the sending limits, where the host has any.
  const limits =
    facts.chasquid.installed && hasSendingLimits(host)
      ? readLimitEvents(conn, host, { signal }).catch((error: Error) => {
          if (signal?.aborted) throw error;
          return error;
        })
      : Promise.resolve(undefined);
  // The domains' questions overlap (the server's addresses on the blocklists, the mail host's
  // records): each is asked once for all of them.
  const recursive = sharedLookup(recursiveLookup(options.dns?.resolvers));
  const dns = await Promise.all(
    host.domains.map(async (domain): Promise<Check[]> => {
      try {
        const report = await checkDomainDns(conn, host, domain, {
          ...options.dns,
          recursive,
          facts,
          reachability: false,
          ...(options.fleet && { fleet: options.fleet }),
          ...(options.expectation && { expectation: await options.expectation(domain) }),
          signal,
        });
        return dnsChecks(report);
      } catch (error) {
        if (signal?.aborted) throw error;
        return [dnsUnavailableCheck(domain.name, (error as Error).message)];
      }
    }),
  );
  const now = options.now?.() ?? new Date();
  return {
    host: host.name,
    mailHost: host.mailHost,
    checkedAt: now.toISOString(),
    durationMs: Math.round(performance.now() - started),
    ranOn: options.ranOn,
    checks: [
      ...factChecks(host, facts, now),
      ...queueChecks(await queue),
      ...sendingLimitChecks(host, await limits),
      ...dns.flat(),
    ],
  };
}
