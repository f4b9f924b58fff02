// DNS-01: one TXT value per identifier at _acme-challenge.<name>. A wildcard order puts two
// values on the same name at once, so values are created and deleted one by one, never as
// a set, and only the ones this run created are deleted.
import type { DnsProvider, DnsRecord } from '../dns/providers/types';
import { AcmeError } from './errors';
import type { ChallengeResponder } from './responders';

/** Waits until every authoritative server of the zone serves `value` at `name` (bounded, cancellable). */
export type WaitForTxt = (name: string, value: string, signal: AbortSignal) => Promise<void>;

export function challengeName(identifier: string): string {
  return `_acme-challenge.${identifier.replace(/^\*\./, '').toLowerCase()}`;
}

export function dns01Responder(opts: {
  dnsProviderFor(name: string): DnsProvider | Promise<DnsProvider>;
  waitForTxt: WaitForTxt;
  ttl?: number;
  log?: (line: string) => void;
}): ChallengeResponder {
  const created: { provider: DnsProvider; record: DnsRecord }[] = [];
  return {
    type: 'dns-01',
    async present(identifier, _token, digest, signal) {
      const provider = await opts.dnsProviderFor(identifier);
      const record: DnsRecord = {
        name: challengeName(identifier),
        type: 'TXT',
        value: digest,
        ttl: opts.ttl ?? 60,
      };
      try {
        await provider.create(record, signal);
      } catch (e) {
        throw new AcmeError(
          'dns',
          `Could not add the TXT record ${record.name} for ${identifier}: ${(e as Error).message}`,
        );
      }
      created.push({ provider, record });
      opts.log?.(`TXT ${record.name} added through ${provider.kind}`);
    },
    async ready(signal) {
      await Promise.all(created.map(({ record }) => opts.waitForTxt(record.name, record.value, signal)));
    },
    async cleanup() {
      const problems: string[] = [];
      // Never cancelled: a record left behind is worse than a second of waiting.
      while (created.length > 0) {
        const { provider, record } = created.pop()!;
        try {
          await provider.delete(record);
          opts.log?.(`TXT ${record.name} removed`);
        } catch (e) {
          problems.push(`${record.name}: ${(e as Error).message}`);
        }
      }
      if (problems.length > 0) opts.log?.(`Could not remove every challenge record: ${problems.join('; ')}`);
    },
  };
}
