// Edits to a parsed mailwright.yaml Document, in place, so comments and key order survive.
// Names are checked and normalized before they are written; add* throws ConfigEditError when
// the entry exists already, remove* returns false when there was nothing to remove.
import { isMap, isScalar, isSeq, Scalar, YAMLSeq, type Document, type Node, type YAMLMap } from 'yaml';
import {
  ConfigEditError,
  domainAliases,
  domainUsers,
  findDomain,
  findHost,
  hostDomains,
  hostsList,
  setInSchemaOrder,
  textOf,
} from './edit-nodes';
import {
  addressKey,
  CATCH_ALL,
  domainKey,
  localKey,
  normalizeAliasName,
  normalizeDomainName,
  normalizeEmailAddress,
  normalizeLocalPart,
  type NameCheck,
} from '../names';
import { checkSshTarget, formatSshTarget } from './ssh-target';
import type { AuthMethod, DkimAlgorithm, DmarcPolicy, SshTarget } from './types';
import { DOMAIN_KEYS } from './validate-domain';
import { hostNameProblem } from './validate-host';

export interface NewHost {
  name: string;
  /** Written as given when text (after checking), canonical `user@host:port` when parsed. */
  ssh: string | SshTarget;
  mailHost: string;
  identityFile?: string;
  auth?: AuthMethod;
  domains?: NewDomain[];
}

export interface NewDomain {
  name: string;
  users?: string[];
  aliases?: Record<string, string | readonly string[]>;
  dkim?: { algorithms?: DkimAlgorithm[]; selector?: string };
  dmarc?: { p: DmarcPolicy; rua?: string[]; ruf?: string[]; fo?: string };
  spf?: { include?: string[] };
}

export function addHost(document: Document, host: NewHost): void {
  const list = hostsList(document, true) as YAMLSeq;
  const node = hostNode(document, host);
  const name = textOf(node.get('name'));
  if (list.items.some((item) => isMap(item) && textOf(item.get('name')) === name))
    throw new ConfigEditError(`A host named "${name}" exists already.`);
  list.items.push(node);
}

export function removeHost(document: Document, hostName: string): boolean {
  const list = hostsList(document, false);
  const index = list?.items.findIndex((item) => isMap(item) && textOf(item.get('name')) === hostName) ?? -1;
  if (list === undefined || index === -1) return false;
  list.items.splice(index, 1);
  return true;
}

export function addDomain(document: Document, hostName: string, domain: NewDomain): void {
  const { host } = findHost(document, hostName);
  const node = domainNode(document, domain);
  const name = textOf(node.get('name'));
  const domains = hostDomains(host, true) as YAMLSeq;
  if (domains.items.some((item) => isMap(item) && domainKey(textOf(item.get('name'))) === name))
    throw new ConfigEditError(`Host "${hostName}" has domain ${name} already.`);
  domains.items.push(node);
}

export function removeDomain(document: Document, hostName: string, domainName: string): boolean {
  const list = hostDomains(findHost(document, hostName).host, false);
  const wanted = domainKey(domainName);
  const index =
    list?.items.findIndex((item) => isMap(item) && domainKey(textOf(item.get('name'))) === wanted) ?? -1;
  if (list === undefined || index === -1) return false;
  list.items.splice(index, 1);
  return true;
}

export function addUser(document: Document, hostName: string, domainName: string, user: string): void {
  const { domain } = findDomain(document, hostName, domainName);
  const name = checked(normalizeLocalPart(user), user, 'user name');
  const users = domainUsers(domain, true) as YAMLSeq;
  if (users.items.some((item) => localKey(textOf(item)) === name))
    throw new ConfigEditError(`User "${name}" exists already in ${domainName}.`);
  users.items.push(document.createNode(name));
}

/** What removing a user did to the aliases that forwarded to it. */
export interface UserRemoval {
  /** Each alias that named the user, with the targets it keeps (none: the alias was removed too). */
  aliases: { alias: string; remaining: string[] }[];
}

/**
 * Removes a user and takes it out of every alias of its domain that forwards to it (by name or
 * as user@domain), so the yaml stays valid; an alias left with no target goes too, and so do the
 * user's own sending limits. Undefined
 * when the domain has no such user.
 */
export function removeUser(
  document: Document,
  hostName: string,
  domainName: string,
  user: string,
): UserRemoval | undefined {
  const { domain } = findDomain(document, hostName, domainName);
  const users = domainUsers(domain, false);
  const index = users?.items.findIndex((item) => localKey(textOf(item)) === localKey(user)) ?? -1;
  if (users === undefined || index === -1) return undefined;
  users.items.splice(index, 1);
  const names = new Set([localKey(user), addressKey(`${user}@${domainName}`)]);
  const aliases = domainAliases(domain, false);
  const removal: UserRemoval = { aliases: [] };
  for (const pair of [...(aliases?.items ?? [])]) {
    const value = pair.value;
    const targets = isSeq(value) ? value.items.map((item) => textOf(item) ?? '') : [textOf(value) ?? ''];
    const remaining = targets.filter((t) => !names.has(addressKey(t)));
    if (remaining.length === targets.length) continue;
    const alias = textOf(pair.key) ?? '';
    removal.aliases.push({ alias, remaining });
    if (remaining.length === 0) aliases!.items.splice(aliases!.items.indexOf(pair), 1);
    else pair.value = aliasValueNode(document, remaining);
  }
  // The user's own sending limits go with it (limits for a name that is no user are an error).
  const limits = domain.get('limits');
  const perUser = isMap(limits) ? limits.get('users') : undefined;
  if (isMap(perUser)) {
    const own = perUser.items.findIndex((pair) => localKey(textOf(pair.key)) === localKey(user));
    if (own !== -1) perUser.items.splice(own, 1);
  }
  return removal;
}

/** The sentence telling what `removeUser` did to the aliases ('' when it touched none). */
export function userRemovalText(user: string, domainName: string, removal: UserRemoval): string {
  if (removal.aliases.length === 0) return '';
  const each = removal.aliases.map(({ alias, remaining }) => {
    const address = alias === CATCH_ALL ? `the catch-all of ${domainName}` : `${alias}@${domainName}`;
    return remaining.length === 0
      ? `${address} was removed (it forwarded only to ${user})`
      : `${address} now forwards to ${remaining.join(', ')}`;
  });
  return `${user}@${domainName} is no longer an alias target in mailwright.yaml: ${each.join('; ')}.`;
}

/** Creates or replaces an alias; `targets` are local users or addresses (comma-separated or listed). */
export function setAlias(
  document: Document,
  hostName: string,
  domainName: string,
  alias: string,
  targets: string | readonly string[],
): void {
  const { domain } = findDomain(document, hostName, domainName);
  const name = checked(normalizeAliasName(alias), alias, 'alias name');
  const value = aliasTargets(targets);
  const aliases = domainAliases(domain, true) as YAMLMap;
  const pair = aliases.items.find((item) => localKey(textOf(item.key)) === name);
  if (pair && isScalar(pair.value) && value.length === 1) {
    pair.value.value = value[0]; // Keeps a comment written after the old value.
  } else if (pair) {
    pair.value = aliasValueNode(document, value);
  } else {
    aliases.items.push(document.createPair(aliasKeyNode(name), aliasValueNode(document, value)));
  }
}

export function removeAlias(
  document: Document,
  hostName: string,
  domainName: string,
  alias: string,
): boolean {
  const { domain } = findDomain(document, hostName, domainName);
  const aliases = domainAliases(domain, false);
  const index = aliases?.items.findIndex((item) => localKey(textOf(item.key)) === localKey(alias)) ?? -1;
  if (aliases === undefined || index === -1) return false;
  aliases.items.splice(index, 1);
  return true;
}

function hostNode(document: Document, host: NewHost): YAMLMap {
  const problem = hostNameProblem(host.name);
  if (problem) throw new ConfigEditError(`"${host.name}" is not a valid host name: ${problem}.`);
  const node: YAMLMap = document.createNode({
    name: host.name,
    ssh: sshText(host.ssh),
    ...(host.identityFile !== undefined && { identityFile: host.identityFile }),
    ...(host.auth !== undefined && { auth: host.auth }),
    mailHost: checked(normalizeDomainName(host.mailHost), host.mailHost, 'mail host name'),
  });
  if (host.domains && host.domains.length > 0) {
    const domains = new YAMLSeq();
    domains.items.push(...host.domains.map((domain) => domainNode(document, domain)));
    node.set('domains', domains);
  }
  return node;
}

function domainNode(document: Document, domain: NewDomain): YAMLMap {
  const node: YAMLMap = document.createNode({
    name: checked(normalizeDomainName(domain.name), domain.name, 'domain name'),
  });
  if (domain.users) {
    const users = domain.users.map((user) => checked(normalizeLocalPart(user), user, 'user name'));
    setInSchemaOrder(node, 'users', flowList(document, users), DOMAIN_KEYS);
  }
  if (domain.aliases) {
    const aliases = document.createNode({}) as YAMLMap;
    for (const [alias, targets] of Object.entries(domain.aliases)) {
      const name = checked(normalizeAliasName(alias), alias, 'alias name');
      aliases.items.push(
        document.createPair(aliasKeyNode(name), aliasValueNode(document, aliasTargets(targets))),
      );
    }
    setInSchemaOrder(node, 'aliases', aliases, DOMAIN_KEYS);
  }
  if (domain.dkim) {
    const dkim = document.createNode({ ...domain.dkim }) as YAMLMap;
    const algorithms = dkim.get('algorithms');
    if (isSeq(algorithms)) algorithms.flow = true;
    setInSchemaOrder(node, 'dkim', dkim, DOMAIN_KEYS);
  }
  if (domain.dmarc) setInSchemaOrder(node, 'dmarc', document.createNode({ ...domain.dmarc }), DOMAIN_KEYS);
  if (domain.spf?.include)
    setInSchemaOrder(
      node,
      'spf',
      document.createNode({ include: flowList(document, domain.spf.include) }),
      DOMAIN_KEYS,
    );
  return node;
}

function sshText(ssh: string | SshTarget): string {
  if (typeof ssh !== 'string') return formatSshTarget(ssh);
  const check = checkSshTarget(ssh);
  if (!check.ok) throw new ConfigEditError(`"${ssh}" is not a valid SSH target: ${check.reason}.`);
  return ssh;
}

function aliasTargets(targets: string | readonly string[]): string[] {
  const pieces = (typeof targets === 'string' ? [targets] : targets).flatMap((text) => text.split(','));
  const normalized = pieces.map((piece) => {
    const text = piece.trim();
    const check = text.includes('@') ? normalizeEmailAddress(text) : normalizeLocalPart(text);
    return checked(check, text, 'alias target');
  });
  if (normalized.length === 0) throw new ConfigEditError('An alias needs at least one target.');
  return normalized;
}

function aliasKeyNode(name: string): Scalar {
  const key = new Scalar(name);
  if (name === CATCH_ALL) key.type = Scalar.QUOTE_SINGLE; // A bare * would start a YAML alias.
  return key;
}

function aliasValueNode(document: Document, targets: string[]): Node {
  return targets.length === 1 ? document.createNode(targets[0]) : flowList(document, targets);
}

function flowList(document: Document, items: readonly string[]): YAMLSeq {
  const list = document.createNode([...items]) as YAMLSeq;
  list.flow = true;
  return list;
}

function checked(check: NameCheck, text: string, what: string): string {
  if (!check.ok) throw new ConfigEditError(`"${text}" is not a valid ${what}: ${check.reason}.`);
  return check.value;
}
