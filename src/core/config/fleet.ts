// A fleet: several hosts of mailwright.yaml serving the same domain, each an MX of equal
// preference with its own addresses, PTR and DKIM key. Senders pick any MX, so every host must
// treat the domain's mail alike; what they must agree on is decided here, once.
import { keyAlgorithms, keyTypeOfAutoSelector, selectorFor } from '../dkim/selector';
import type { DomainConfig, HostConfig } from './types';

/** The hosts that serve `domain`, in file order. */
export function hostsServing(hosts: readonly HostConfig[], domain: string): HostConfig[] {
  return hosts.filter((host) => host.domains.some((d) => d.name === domain));
}

/** One reason a shared domain cannot be served as configured, placed at a field of one host's entry. */
export interface FleetProblem {
  hostIndex: number;
  domainIndex: number;
  /** The domain entry's field at fault: `mailboxes`, `users`, `dkim.selector`, … */
  field: string;
  message: string;
  hint: string;
}

/** Fields of a domain that every host serving it must have alike (dkim is each host's own). */
const SHARED_FIELDS = ['users', 'aliases', 'spf', 'dmarc', 'dns'] as const;

/** A field's value with the order of lists and keys made irrelevant. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (Array.isArray(v)) return [...(v as unknown[])].map((x) => JSON.stringify(x)).sort();
    if (v && typeof v === 'object')
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)),
      );
    return v;
  });
}

/**
 * Selector names this entry may sign with. An explicit selector gets the algorithm suffixes
 * ("r", "e") when it signs with two; `auto` is "mw" and a date, which two hosts share when
 * provisioned on the same day.
 */
function selectorNames(domain: DomainConfig): string[] | 'auto' {
  if (domain.dkim.selector === 'auto') return 'auto';
  const algorithms = keyAlgorithms(domain.dkim);
  const base = domain.dkim.selector;
  return [...new Set([base, ...algorithms.map((a) => selectorFor(base, a, algorithms.length))])];
}

/**
 * What keeps the hosts that share a domain from serving it together: a mailbox domain (each MX
 * would keep the mail it receives, so part of it would never reach the mailbox its user reads),
 * users, aliases or DNS policy that differ from the first host's (mail would be accepted by one
 * MX and refused by another), and DKIM selectors two hosts would both publish.
 */
export function fleetProblems(hosts: readonly HostConfig[]): FleetProblem[] {
  const problems: FleetProblem[] = [];
  const first = new Map<string, { host: HostConfig; domain: DomainConfig }>();
  const selectors = new Map<string, Array<{ host: HostConfig; names: string[] | 'auto' }>>();
  hosts.forEach((host, hostIndex) => {
    host.domains.forEach((domain, domainIndex) => {
      const at = (field: string, message: string, hint: string) =>
        problems.push({ hostIndex, domainIndex, field, message, hint });
      const earlier = first.get(domain.name);
      if (!earlier) {
        first.set(domain.name, { host, domain });
        selectors.set(domain.name, [{ host, names: selectorNames(domain) }]);
        return;
      }
      const pair = `hosts "${earlier.host.name}" and "${host.name}"`;
      if (domain.mailboxes || earlier.domain.mailboxes) {
        at(
          'mailboxes',
          `${domain.name} keeps mailboxes on the server, but ${pair} both serve it: each MX would keep the mail it receives, so part of it would never reach the mailbox its user reads.`,
          `Serve a mailbox domain from one host only, or make it forward-only (mailboxes: false) on every host that serves it.`,
        );
      }
      for (const field of SHARED_FIELDS) {
        if (canonical(domain[field]) === canonical(earlier.domain[field])) continue;
        at(
          field,
          `${domain.name} has other ${field} here than on host "${earlier.host.name}": senders deliver to either MX, so both must accept, route and describe its mail alike.`,
          `Give ${domain.name} the same users, aliases, spf, dmarc and dns on every host that serves it (copy them from host "${earlier.host.name}"); only dkim is each host's own.`,
        );
      }
      const names = selectorNames(domain);
      const seen = selectors.get(domain.name)!;
      const clash = seen.find(
        (other) =>
          (names === 'auto' && other.names === 'auto') ||
          (names !== 'auto' &&
            (other.names === 'auto'
              ? names.some((n) => keyTypeOfAutoSelector(n) !== undefined)
              : names.some((n) => (other.names as string[]).includes(n)))) ||
          (names === 'auto' &&
            other.names !== 'auto' &&
            other.names.some((n) => keyTypeOfAutoSelector(n) !== undefined)),
      );
      if (clash) {
        at(
          'dkim.selector',
          `${domain.name} would publish its DKIM key under the same selector on hosts "${clash.host.name}" and "${host.name}": each host signs with a key of its own, so each needs a selector of its own.`,
          `Give this host its own selector, e.g. dkim: { selector: ${host.name} } (at most one host of a domain may keep selector: auto).`,
        );
      }
      seen.push({ host, names });
    });
  });
  return problems;
}
