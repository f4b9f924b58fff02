// hosts[].domains[]: name, users and aliases (DNS policies live in validate-dns-policy.ts).
import type { Node } from 'yaml';
import { readDkim, readDmarc, readSpf, DEFAULT_DKIM } from './validate-dns-policy';
import { readDnsProvider } from './validate-dns-provider';
import { readDomainLimits } from './validate-limits';
import {
  CATCH_ALL,
  DOMAIN_EXAMPLE,
  LOCAL_PART_EXAMPLE,
  localKey,
  normalizeAliasName,
  normalizeDomainName,
  normalizeEmailAddress,
  normalizeLocalPart,
} from '../names';
import { ALIAS_DEPTH_LIMIT, routeOf } from './mail-routes';
import { acceptName, DuplicateTracker } from './name-issues';
import type { DomainConfig, ReportsConfig } from './types';
import { readInteger } from './validate-dns-provider';
import { childPath, itemPath, type ConfigReader } from './yaml-reader';

export const DOMAIN_KEYS = [
  'name',
  'users',
  'aliases',
  'mailboxes',
  'dkim',
  'dmarc',
  'spf',
  'dns',
  'limits',
  'reports',
] as const;
export const REPORTS_KEYS = ['keep', 'retentionDays'] as const;
/** How long kept reports stay when `retentionDays` is left out: a year and a month, to compare years. */
export const DEFAULT_REPORT_RETENTION_DAYS = 400;
export const REPORT_RETENTION_LIMITS = { min: 1, max: 3650 } as const;
const DOMAIN_EXAMPLE_ENTRY = `{ name: ${DOMAIN_EXAMPLE}, users: [${LOCAL_PART_EXAMPLE}] }`;
const ALIAS_TARGET_EXAMPLE = `${LOCAL_PART_EXAMPLE} or you@${DOMAIN_EXAMPLE}`;

export function readDomain(reader: ConfigReader, node: Node, path: string): DomainConfig | undefined {
  const fields = reader.fields(node, path, DOMAIN_KEYS, DOMAIN_EXAMPLE_ENTRY);
  if (fields === undefined) return undefined;
  const nameNode = reader.required(fields, node, path, 'name', `name: ${DOMAIN_EXAMPLE}`);
  const name = nameNode && readDomainName(reader, nameNode, childPath(path, 'name'));

  const usersNode = fields.get('users')?.value;
  const users = usersNode ? readUsers(reader, usersNode, childPath(path, 'users')) : [];
  const aliasesNode = fields.get('aliases')?.value;
  const aliases = aliasesNode ? readAliases(reader, aliasesNode, childPath(path, 'aliases'), users) : {};

  const mailboxesNode = fields.get('mailboxes')?.value;
  const mailboxes = mailboxesNode
    ? reader.flag(mailboxesNode, childPath(path, 'mailboxes'), 'mailboxes: true')
    : false;

  const dkimNode = fields.get('dkim')?.value;
  const dkim = dkimNode ? readDkim(reader, dkimNode, childPath(path, 'dkim')) : { ...DEFAULT_DKIM };
  const dmarcNode = fields.get('dmarc')?.value;
  const dmarc = dmarcNode ? readDmarc(reader, dmarcNode, childPath(path, 'dmarc')) : undefined;
  const spfNode = fields.get('spf')?.value;
  const spf = spfNode ? readSpf(reader, spfNode, childPath(path, 'spf')) : { include: [] };

  const dnsNode = fields.get('dns')?.value;
  const dns = dnsNode ? readDnsProvider(reader, dnsNode, childPath(path, 'dns'), name) : undefined;
  const limitsNode = fields.get('limits')?.value;
  const limits = limitsNode && readDomainLimits(reader, limitsNode, childPath(path, 'limits'), users);

  const reportsNode = fields.get('reports')?.value;
  const reports = reportsNode ? readReports(reader, reportsNode, childPath(path, 'reports')) : undefined;

  if (
    (reportsNode && !reports) ||
    !name ||
    !users ||
    !aliases ||
    mailboxes === undefined ||
    !dkim ||
    (dmarcNode && !dmarc) ||
    !spf ||
    (dnsNode && !dns) ||
    (limitsNode && !limits)
  )
    return undefined;
  return {
    name,
    users,
    aliases,
    mailboxes,
    dkim,
    ...(dmarc && { dmarc }),
    spf,
    ...(dns && { dns }),
    ...(limits && { limits }),
    ...(reports && { reports }),
  };
}

function readReports(reader: ConfigReader, node: Node, path: string): ReportsConfig | undefined {
  const fields = reader.fields(node, path, REPORTS_KEYS, '{ keep: true, retentionDays: 400 }');
  if (fields === undefined) return undefined;
  const keepNode = fields.get('keep')?.value;
  const keep = keepNode ? reader.flag(keepNode, childPath(path, 'keep'), 'keep: true') : false;
  const daysNode = fields.get('retentionDays')?.value;
  const retentionDays = daysNode
    ? readInteger(reader, daysNode, childPath(path, 'retentionDays'), {
        ...REPORT_RETENTION_LIMITS,
        what: 'number of days kept reports stay',
        example: `retentionDays: ${DEFAULT_REPORT_RETENTION_DAYS}`,
      })
    : DEFAULT_REPORT_RETENTION_DAYS;
  if (keep === undefined || retentionDays === undefined) return undefined;
  return { keep, retentionDays };
}

export function readDomainName(reader: ConfigReader, node: Node, path: string): string | undefined {
  const text = reader.text(node, path, DOMAIN_EXAMPLE);
  if (text === undefined) return undefined;
  return acceptName(
    reader.issues,
    normalizeDomainName(text),
    text,
    node,
    path,
    'domain name',
    DOMAIN_EXAMPLE,
  );
}

function readUsers(reader: ConfigReader, node: Node, path: string): string[] | undefined {
  const items = reader.texts(node, path, `[${LOCAL_PART_EXAMPLE}, bob]`);
  if (items === undefined) return undefined;
  const duplicates = new DuplicateTracker(reader.issues, 'user');
  const users: string[] = [];
  items.forEach(([text, item], index) => {
    const itemAt = itemPath(path, index);
    const user = acceptName(
      reader.issues,
      normalizeLocalPart(text),
      text,
      item,
      itemAt,
      'user name',
      LOCAL_PART_EXAMPLE,
    );
    if (user !== undefined && duplicates.add(user, item, itemAt)) users.push(user);
  });
  return users;
}

interface AliasTarget {
  target: string;
  node: Node;
  path: string;
}

function readAliases(
  reader: ConfigReader,
  node: Node,
  path: string,
  users: readonly string[] | undefined,
): Record<string, string[]> | undefined {
  // Alias names are free-form (any local part or '*'), so there is no fixed key list.
  const entries = reader.entries(node, path, `{ postmaster: ${LOCAL_PART_EXAMPLE} }`);
  if (entries === undefined) return undefined;
  const duplicates = new DuplicateTracker(reader.issues, 'alias');
  const aliases = new Map<string, AliasTarget[]>();
  let valid = true;
  for (const entry of entries) {
    const aliasPath = childPath(path, entry.name);
    const check = normalizeAliasName(entry.name);
    const name = acceptName(
      reader.issues,
      check,
      entry.name,
      entry.key,
      aliasPath,
      'alias name',
      'postmaster',
    );
    const targets = readAliasTargets(reader, entry.value, entry.key, aliasPath, name ?? entry.name);
    if (name === undefined || !duplicates.add(name, entry.key, aliasPath) || targets === undefined)
      valid = false;
    else aliases.set(name, targets);
  }
  // With a broken users list every local target would look unknown; that error is reported already.
  if (users === undefined || !checkLocalTargets(reader, aliases, users) || !valid) return undefined;
  if (!checkLoops(reader, aliases, users, entries, path)) return undefined;
  return Object.fromEntries([...aliases].map(([name, targets]) => [name, targets.map((t) => t.target)]));
}

/** `alice`, `alice, you@example.com` or a list of those. */
function readAliasTargets(
  reader: ConfigReader,
  value: Node | undefined,
  key: Node,
  path: string,
  name: string,
): AliasTarget[] | undefined {
  const example = `${name === CATCH_ALL ? `'*'` : name}: ${ALIAS_TARGET_EXAMPLE}`;
  if (value === undefined) {
    reader.issues.error(key, path, 'has no target.', `Say where its mail goes, e.g. ${example}`);
    return undefined;
  }
  const items = reader.texts(value, path, example, true);
  if (items === undefined) return undefined;
  const targets: AliasTarget[] = [];
  let valid = true;
  items.forEach(([text, node], index) => {
    const targetPath = items.length === 1 && value === node ? path : itemPath(path, index);
    for (const piece of text.split(',').map((part) => part.trim())) {
      const target = readAliasTarget(reader, piece, node, targetPath, example);
      if (target === undefined) valid = false;
      else targets.push({ target, node, path: targetPath });
    }
  });
  if (valid && targets.length === 0) {
    reader.issues.error(
      value,
      path,
      `has no target: chasquid would accept mail for ${name === CATCH_ALL ? 'any unknown name' : name} and have nowhere to put it.`,
      `Say where its mail goes, e.g. ${example}, or remove the alias`,
    );
    return undefined;
  }
  return valid ? targets : undefined;
}

function readAliasTarget(
  reader: ConfigReader,
  text: string,
  node: Node,
  path: string,
  example: string,
): string | undefined {
  if (text === '') {
    reader.issues.error(node, path, 'has an empty target (a stray comma?).', `For example: ${example}`);
    return undefined;
  }
  // chasquid reads a target that starts with "|" as a command to pipe the message to.
  if (text.startsWith('|')) {
    reader.issues.error(
      node,
      path,
      `"${text}" starts with "|": chasquid would run it as a command instead of delivering the mail.`,
      `Alias targets are addresses or users, e.g. ${example}; Mailwright does not write command (pipe) aliases`,
    );
    return undefined;
  }
  const check = text.includes('@') ? normalizeEmailAddress(text) : normalizeLocalPart(text);
  const what = text.includes('@') ? 'email address' : 'local user name';
  return acceptName(reader.issues, check, text, node, path, `alias target (${what})`, ALIAS_TARGET_EXAMPLE);
}

/** Aliases that lead back to themselves (a → b → a) fail at delivery time in chasquid: refuse them here. */
function checkLoops(
  reader: ConfigReader,
  aliases: ReadonlyMap<string, AliasTarget[]>,
  users: readonly string[],
  entries: ReadonlyArray<{ name: string; key: Node }>,
  path: string,
): boolean {
  // Only this domain's names matter here; a loop through another domain of the host is the plan's to refuse.
  const self = 'domain.invalid';
  const domain = {
    name: self,
    users: [...users],
    aliases: Object.fromEntries([...aliases].map(([n, ts]) => [n, ts.map((t) => t.target)])),
  };
  const reported = new Set<string>();
  let valid = true;
  for (const [name] of aliases) {
    if (name === CATCH_ALL || reported.has(name)) continue;
    const route = routeOf([domain], `${name}@${self}`);
    const circle = route.loop ?? route.tooDeep;
    if (!circle) continue;
    const names = circle.map((a) => a.slice(0, a.lastIndexOf('@')));
    names.forEach((n) => reported.add(n));
    const key = entries.find((e) => normalizeAliasName(e.name).ok && localKey(e.name) === name)?.key;
    reader.issues.error(
      key,
      childPath(path, name),
      route.loop
        ? `aliases go round in circles: ${names.join(' → ')}; chasquid would fail every message for them.`
        : `alias "${name}" passes through more than ${ALIAS_DEPTH_LIMIT} aliases (${names.join(' → ')}); chasquid gives up.`,
      `Point one of them at a user or an outside address, e.g. ${names[names.length - 2] ?? name}: you@example.net`,
    );
    valid = false;
  }
  return valid;
}

/** A target without "@" must be a user or another alias of the same domain, or its mail bounces. */
function checkLocalTargets(
  reader: ConfigReader,
  aliases: ReadonlyMap<string, AliasTarget[]>,
  users: readonly string[],
): boolean {
  let valid = true;
  for (const [name, targets] of aliases) {
    for (const { target, node, path } of targets) {
      if (target.includes('@')) continue;
      const isUser = users.includes(target);
      if (target === name) {
        reader.issues.error(
          node,
          path,
          isUser
            ? `alias "${name}" points to itself: chasquid looks aliases up before users, so mail to ${name} would go round in circles and fail.`
            : `alias "${name}" points to itself.`,
          isUser
            ? `Remove the alias to deliver to the user ${name}, or point it at another address, e.g. ${name}: you@example.net`
            : `Point it at a user or an address, e.g. ${ALIAS_TARGET_EXAMPLE}`,
        );
        valid = false;
      } else if (!isUser && !aliases.has(target)) {
        reader.issues.error(
          node,
          path,
          `"${target}" is neither a user nor an alias of this domain.`,
          `Add it to users (users: [${target}]), or write a full address elsewhere, e.g. ${target}@example.net`,
        );
        valid = false;
      }
    }
  }
  return valid;
}
