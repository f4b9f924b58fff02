// Where mail for an address of a host ends up, worked out from mailwright.yaml the way chasquid
// resolves it: an alias is looked up before a user of the same name (so `alice: alice` goes round
// in circles), a user with no alias is delivered locally, an unknown name goes to the catch-all
// (`*`), targets in a domain of the same host are resolved again, and chasquid gives up after
// ten levels. Validation (alias loops), the planner (mail that would be accepted and then lost)
// and the editor all ask this module, so they cannot disagree about a route.
import { addressKey, CATCH_ALL } from '../names';
import { reportAddresses } from './report-addresses';
import type { DomainConfig, HostConfig } from './types';

/** chasquid's alias recursion limit: a longer chain fails delivery as a loop would. */
export const ALIAS_DEPTH_LIMIT = 10;

export type RouteEnd =
  /** A user with no alias: chasquid hands it to the local delivery agent (a mailbox, when the domain has them). */
  | { kind: 'local'; address: string; domain: string; user: string }
  /** A domain this host does not serve: the message is forwarded there. */
  | { kind: 'outside'; address: string }
  /** Neither user, alias nor catch-all: chasquid refuses it at RCPT (550), nothing is lost. */
  | { kind: 'unknown'; address: string };

export interface Route {
  address: string;
  ends: RouteEnd[];
  /** Set when resolution goes round: the addresses of the circle, the first repeated at the end. */
  loop?: string[];
  /** Set when the chain is longer than chasquid allows. */
  tooDeep?: string[];
}

/** An address of this server's domains as validation normalizes it, split at "@". */
function split(address: string): [string, string] {
  const key = addressKey(address);
  const at = key.lastIndexOf('@');
  return [key.slice(0, at), key.slice(at + 1)];
}

/** A target as written in the yaml (`bob` or `bob@example.net`) as a full address. */
export function targetAddress(target: string, domain: string): string {
  return target.includes('@') ? target : `${target}@${domain}`;
}

/** True when some domain of the host keeps mail in mailboxes on the server (Dovecot). */
export function hasMailboxes(host: Pick<HostConfig, 'domains'>): boolean {
  return host.domains.some((d) => d.mailboxes);
}

/** What routing reads of a domain. */
export type RoutingDomain = Pick<DomainConfig, 'name' | 'users' | 'aliases'>;

/** Follows `address` through the aliases, users and catch-alls of `domains` (one host's). */
export function routeOf(domains: readonly RoutingDomain[], address: string): Route {
  const route: Route = { address, ends: [] };
  const seen = new Set<string>();
  const walk = (addr: string, path: string[]): void => {
    if (route.loop || route.tooDeep) return;
    const [local, domainName] = split(addr);
    const domain = domains.find((d) => d.name === domainName);
    if (!domain) {
      route.ends.push({ kind: 'outside', address: addr });
      return;
    }
    const key = `${local}@${domainName}`;
    if (path.includes(key)) {
      route.loop = [...path.slice(path.indexOf(key)), key];
      return;
    }
    if (path.length >= ALIAS_DEPTH_LIMIT) {
      route.tooDeep = [...path, key];
      return;
    }
    const next = [...path, key];
    const aliased = local === CATCH_ALL ? undefined : domain.aliases[local];
    let targets: string[];
    if (aliased) targets = aliased;
    else if (domain.users.includes(local)) {
      if (!seen.has(key)) route.ends.push({ kind: 'local', address: key, domain: domainName, user: local });
      seen.add(key);
      return;
    } else if (domain.aliases[CATCH_ALL]) targets = domain.aliases[CATCH_ALL];
    else {
      route.ends.push({ kind: 'unknown', address: key });
      return;
    }
    for (const target of targets) {
      const full = targetAddress(target, domainName);
      // A catch-all target of `*@elsewhere` keeps the original user (chasquid 1.16+).
      const [targetLocal, targetDomain] = split(full);
      walk(targetLocal === CATCH_ALL ? `${local}@${targetDomain}` : full, next);
    }
  };
  walk(address, []);
  return route;
}

/** An address of a domain that must accept mail, and why it matters. */
export interface DeliverableAddress {
  address: string;
  domain: string;
  /** "a user", "an alias", "postmaster (required of every mail domain)", "the catch-all", … */
  role: string;
}

/** Stands for "any name nobody listed" when following the catch-all. */
const CATCH_ALL_PROBE = 'mailwright-catch-all-probe';

/** An address of `domain` that no user or alias has: where the catch-all takes it is where any unknown name goes. */
export function catchAllProbe(domain: string): string {
  return `${CATCH_ALL_PROBE}@${domain}`;
}

/** Every address of the host's domains that mail can be sent to and that Mailwright relies on. */
export function deliverableAddresses(domains: readonly DomainConfig[]): DeliverableAddress[] {
  const found = new Map<string, DeliverableAddress>();
  const add = (address: string, role: string) => {
    const [local, domain] = split(address);
    const key = `${local}@${domain}`;
    if (!domains.some((d) => d.name === domain) || found.has(key)) return;
    found.set(key, { address: key, domain, role });
  };
  for (const domain of domains) {
    // The addresses with a duty first, so that their role is the one a problem names.
    add(`postmaster@${domain.name}`, 'postmaster (every mail domain must accept it)');
    for (const report of reportAddresses(domain)) add(report.address, report.kind);
    for (const user of domain.users) add(`${user}@${domain.name}`, 'a user');
    for (const name of Object.keys(domain.aliases))
      if (name !== CATCH_ALL) add(`${name}@${domain.name}`, 'an alias');
    if (domain.aliases[CATCH_ALL]) add(catchAllProbe(domain.name), 'the catch-all (*)');
  }
  return [...found.values()];
}

/** A report address of a domain that keeps its reports (reports: keep): the store accepts its mail. */
function keptReportAddress(domains: readonly DomainConfig[], address: string): boolean {
  const key = addressKey(address);
  return domains.some(
    (d) =>
      d.reports?.keep === true &&
      key.endsWith(`@${d.name}`) &&
      reportAddresses(d).some((r) => addressKey(r.address) === key),
  );
}

export type MailFlowProblemKind = 'loop' | 'too-deep' | 'no-mailbox' | 'rejected';

/** Something about where mail goes that the plan must refuse (or, for `rejected`, warn about). */
export interface MailFlowProblem {
  kind: MailFlowProblemKind;
  address: string;
  domain: string;
  role: string;
  message: string;
  fix: string;
}

const shown = (address: string) =>
  address.startsWith(`${CATCH_ALL_PROBE}@`) ? `*@${split(address)[1]}` : address;

/**
 * The problems of a host's mail flow: loops, chains chasquid gives up on, mail accepted for a
 * local user of a domain without mailboxes (it would be lost: chasquid has no delivery agent
 * there), and addresses Mailwright publishes that chasquid would refuse.
 */
export function mailFlowProblems(domains: readonly DomainConfig[]): MailFlowProblem[] {
  return deliverableAddresses(domains).flatMap((target) => addressProblems(domains, target));
}

/** The problems of one deliverable address (see mailFlowProblems). */
export function addressProblems(
  domains: readonly DomainConfig[],
  target: DeliverableAddress,
): MailFlowProblem[] {
  const problems: MailFlowProblem[] = [];
  const route = routeOf(domains, target.address);
  const name = shown(target.address);
  const base = { address: name, domain: target.domain, role: target.role };
  if (route.loop) {
    problems.push({
      ...base,
      kind: 'loop',
      message: `mail to ${name} goes round in circles (${route.loop.map(shown).join(' → ')}); chasquid would fail it`,
      fix: 'point one of these aliases at a user or an outside address; an alias is looked up before a user of the same name, so `alice: alice` is a loop too',
    });
    return problems;
  }
  if (route.tooDeep) {
    problems.push({
      ...base,
      kind: 'too-deep',
      message: `mail to ${name} passes through more than ${ALIAS_DEPTH_LIMIT} aliases (${route.tooDeep.join(' → ')}); chasquid gives up`,
      fix: 'point the first alias straight at the final address',
    });
    return problems;
  }
  for (const end of route.ends) {
    if (end.kind === 'local' && !domains.find((d) => d.name === end.domain)?.mailboxes) {
      const via = end.address === name ? '' : ` (through ${end.address})`;
      problems.push({
        ...base,
        kind: 'no-mailbox',
        message: `mail to ${name}, ${target.role}, would be accepted and then lost${via}: ${end.domain} has no mailboxes`,
        fix: `turn mailboxes on for ${end.domain} (mailboxes: true), or forward ${end.user} outside (aliases: { ${end.user}: you@example.net })`,
      });
    }
  }
  if (
    route.ends.length > 0 &&
    route.ends.every((e) => e.kind === 'unknown') &&
    target.role !== 'a user' &&
    !keptReportAddress(domains, target.address)
  ) {
    problems.push({
      ...base,
      kind: 'rejected',
      message: `${name}, ${target.role}, is refused by the server (no user, alias or catch-all)`,
      fix: `add an alias for it, e.g. aliases: { ${split(name)[0]}: you@example.net }`,
    });
  }
  return problems;
}
