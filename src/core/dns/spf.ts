// SPF (RFC 7208): a parser that names the term at fault, and a linter that follows includes
// and redirects through a DnsLookup to count DNS lookups and evaluate the server's addresses.
import { canonicalIp, inCidr, ipFamily } from './address';
import { isSpfRecord, type DnsLookup, type LookupAnswer, type QueryType } from './model';

export type SpfQualifier = '+' | '-' | '~' | '?';
export type SpfMechanismName = 'all' | 'include' | 'a' | 'mx' | 'ptr' | 'ip4' | 'ip6' | 'exists';
export type SpfResult = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'permerror' | 'temperror';

export interface SpfMechanism {
  qualifier: SpfQualifier;
  name: SpfMechanismName;
  /** include/exists target, or a/mx/ptr's explicit domain. */
  domain?: string;
  /** ip4/ip6 network. */
  ip?: string;
  /** Prefix lengths: ip4/ip6's, or a/mx's `/cidr4` and `//cidr6`. */
  cidr4?: number;
  cidr6?: number;
  /** The term as written. */
  text: string;
}

export interface SpfModifier {
  name: string;
  value: string;
  text: string;
}

export interface SpfRecord {
  ok: boolean;
  mechanisms: SpfMechanism[];
  modifiers: SpfModifier[];
  /** Syntax errors in plain words, each naming the term: any of them makes the record permerror. */
  problems: string[];
}

const MECHANISMS: readonly SpfMechanismName[] = ['all', 'include', 'a', 'mx', 'ptr', 'ip4', 'ip6', 'exists'];
/** Terms that cost one of the ten DNS lookups (RFC 7208 4.6.4). */
const QUERYING = new Set<string>(['include', 'a', 'mx', 'ptr', 'exists', 'redirect']);
export const SPF_LOOKUP_LIMIT = 10;
export const SPF_VOID_LOOKUP_LIMIT = 2;
/** RFC 7208 4.6.4: an mx mechanism with more exchanges than this is a permerror. */
const MX_NAME_LIMIT = 10;

const QUALIFIER_RESULT: Record<SpfQualifier, SpfResult> = {
  '+': 'pass',
  '-': 'fail',
  '~': 'softfail',
  '?': 'neutral',
};

/** Parses one SPF record; `problems` explain each syntax error and which term has it. */
export function parseSpf(text: string): SpfRecord {
  const problems: string[] = [];
  const mechanisms: SpfMechanism[] = [];
  const modifiers: SpfModifier[] = [];
  const terms = text.trim().split(/ +/);
  const version = terms.shift() ?? '';
  if (version.toLowerCase() !== 'v=spf1')
    problems.push(`The record must start with "v=spf1", not "${version}".`);
  if (/\t/.test(text)) problems.push('The record contains a tab: separate terms with spaces only.');

  for (const term of terms) {
    if (term === '') continue;
    const modifier = /^([a-z][a-z0-9_.-]*)=(.*)$/i.exec(term);
    if (modifier) {
      const name = (modifier[1] ?? '').toLowerCase();
      const value = modifier[2] ?? '';
      if ((name === 'redirect' || name === 'exp') && modifiers.some((m) => m.name === name))
        problems.push(`"${term}": ${name}= may appear only once.`);
      else if ((name === 'redirect' || name === 'exp') && !isDomainSpec(value))
        problems.push(`"${term}": ${name}= needs a domain name, e.g. ${name}=_spf.example.com.`);
      modifiers.push({ name, value, text: term });
      continue;
    }
    const mechanism = parseMechanism(term);
    if (typeof mechanism === 'string') problems.push(mechanism);
    else mechanisms.push(mechanism);
  }
  return { ok: problems.length === 0, mechanisms, modifiers, problems };
}

function parseMechanism(term: string): SpfMechanism | string {
  const qualifier = '+-~?'.includes(term[0] ?? '') ? (term[0] as SpfQualifier) : '+';
  const body = qualifier === term[0] ? term.slice(1) : term;
  const nameMatch = /^[a-z0-9]+/i.exec(body);
  const name = (nameMatch?.[0] ?? '').toLowerCase() as SpfMechanismName;
  const rest = body.slice(nameMatch?.[0].length ?? 0);
  if (!MECHANISMS.includes(name))
    return `"${term}" is not an SPF mechanism: use all, include, a, mx, ptr, ip4, ip6 or exists (or a name=value modifier).`;
  const base = { qualifier, name, text: term };

  switch (name) {
    case 'all':
      return rest === '' ? base : `"${term}": "all" takes no argument.`;
    case 'include':
    case 'exists': {
      if (!rest.startsWith(':') || !isDomainSpec(rest.slice(1)))
        return `"${term}": ${name} needs a domain name, e.g. ${name}:_spf.example.com.`;
      return { ...base, domain: rest.slice(1) };
    }
    case 'ptr': {
      if (rest === '') return base;
      if (!rest.startsWith(':') || !isDomainSpec(rest.slice(1)))
        return `"${term}": ptr: needs a domain name.`;
      return { ...base, domain: rest.slice(1) };
    }
    case 'ip4':
    case 'ip6': {
      const match = /^:([^/]+)(?:\/(\d{1,3}))?$/.exec(rest);
      const family = name === 'ip4' ? 4 : 6;
      const max = family === 4 ? 32 : 128;
      const example = family === 4 ? 'ip4:198.51.100.0/24' : 'ip6:2001:db8::/32';
      if (!match?.[1] || ipFamily(match[1]) !== family || /%/.test(match[1]))
        return `"${term}": ${name} needs an IPv${family} address, e.g. ${example}.`;
      const prefix = match[2] === undefined ? max : Number(match[2]);
      if (prefix > max || ((match[2] ?? '').startsWith('0') && match[2] !== '0'))
        return `"${term}": the prefix length must be 0 to ${max}.`;
      return { ...base, ip: match[1], ...(family === 4 ? { cidr4: prefix } : { cidr6: prefix }) };
    }
    case 'a':
    case 'mx': {
      const match = /^(?::([^/]+))?(?:\/(\d{1,2}))?(?:\/\/(\d{1,3}))?$/.exec(rest);
      if (!match) return `"${term}": write ${name}, ${name}:domain, ${name}/24 or ${name}:domain/24//64.`;
      if (match[1] !== undefined && !isDomainSpec(match[1]))
        return `"${term}": "${match[1]}" is not a domain name.`;
      const cidr4 = match[2] === undefined ? undefined : Number(match[2]);
      const cidr6 = match[3] === undefined ? undefined : Number(match[3]);
      if (cidr4 !== undefined && cidr4 > 32) return `"${term}": the IPv4 prefix length must be 0 to 32.`;
      if (cidr6 !== undefined && cidr6 > 128) return `"${term}": the IPv6 prefix length must be 0 to 128.`;
      return {
        ...base,
        ...(match[1] !== undefined && { domain: match[1] }),
        ...(cidr4 !== undefined && { cidr4 }),
        ...(cidr6 !== undefined && { cidr6 }),
      };
    }
  }
}

/** A domain-spec: macros allowed (RFC 7208 7.1), otherwise DNS labels ending in a top label. */
function isDomainSpec(text: string): boolean {
  if (text === '' || text.length > 253 + 1) return false;
  if (/%/.test(text)) return /^(%\{[slodiphcrtv]\d*r?[.\-+,/_=]*\}|%%|%_|%-|[!-$&-~])+$/i.test(text);
  const labels = text.replace(/\.$/, '').split('.');
  // RFC 7208 domain-end: at least a label and a top label.
  if (labels.length < 2) return false;
  return labels.every((label) => /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/i.test(label));
}

export interface SpfLint {
  /** Every v=spf1 TXT at the domain. */
  records: string[];
  /** DNS-querying terms (include, a, mx, ptr, exists, redirect), counted through includes and redirect. */
  lookups: number;
  /** What makes SPF fail or misbehave, in plain words with the fix. */
  problems: string[];
  notes: string[];
  /** What a receiver would conclude for mail from each given address. */
  results: Record<string, SpfResult>;
}

export interface SpfLintOptions {
  ipv4: string[];
  ipv6: string[];
  signal?: AbortSignal;
}

/** One domain's SPF as fetched, with the records its includes and redirect lead to. */
interface SpfNode {
  domain: string;
  state: 'ok' | 'none' | 'multiple' | 'syntax' | 'temperror' | 'loop';
  texts: string[];
  record?: SpfRecord;
  /** include targets by mechanism index. */
  includes: Map<number, SpfNode>;
  redirect?: SpfNode;
  /** The resolver's words when state is temperror. */
  error?: string;
  /** The include/redirect chain that loops back, when state is loop. */
  chain?: string[];
}

const TEMPORARY = new Set(['timeout', 'servfail', 'refused', 'error']);
const MAX_DEPTH = 12;

function normalizeTarget(domain: string): string {
  return domain.toLowerCase().replace(/\.$/, '');
}

function hasMacro(domain: string | undefined): boolean {
  return domain !== undefined && domain.includes('%');
}

/** The redirect= that applies: RFC 7208 6.1 ignores it when the record has an all mechanism. */
function effectiveRedirect(record: SpfRecord): SpfModifier | undefined {
  if (record.mechanisms.some((m) => m.name === 'all')) return undefined;
  return record.modifiers.find((m) => m.name === 'redirect');
}

/**
 * Lints the SPF of `domain` as a receiver would see it: exactly one record, valid syntax,
 * at most 10 DNS-querying terms and 2 void lookups after following includes and redirect,
 * and the result for each of the server's addresses. Every query goes through `lookup`.
 */
export async function lintSpf(domain: string, lookup: DnsLookup, opts: SpfLintOptions): Promise<SpfLint> {
  const apex = normalizeTarget(domain);
  const cache = new Map<string, Promise<LookupAnswer>>();
  const query = (name: string, type: QueryType): Promise<LookupAnswer> => {
    const key = `${normalizeTarget(name)} ${type}`;
    let answer = cache.get(key);
    if (!answer) {
      answer = lookup
        .query(normalizeTarget(name), type, opts.signal)
        .catch((error: unknown): LookupAnswer => ({
          status: 'error',
          values: [],
          error: error instanceof Error ? error.message : String(error),
        }));
      cache.set(key, answer);
    }
    return answer;
  };

  const root = await loadNode(apex, [], query);
  const problems: string[] = [];
  const notes: string[] = [];
  describeNode(root, undefined, problems, notes, new Set());
  const lookups = countLookups(root);
  if (lookups > SPF_LOOKUP_LIMIT) problems.push(lookupLimitProblem(root, lookups));
  const voids = await countVoidLookups(root, query, new Set());
  if (voids.count > SPF_VOID_LOOKUP_LIMIT)
    problems.push(
      `${voids.count} terms look up names that do not exist or have no records (${voids.terms.join(', ')}); ` +
        `more than ${SPF_VOID_LOOKUP_LIMIT} make receivers return permerror: remove the ones that point nowhere.`,
    );

  const results: Record<string, SpfResult> = {};
  const evalNotes = new Set<string>();
  for (const ip of [...opts.ipv4, ...opts.ipv6]) {
    const budget = { lookups: 0, voids: 0 };
    const result = await evaluate(root, canonicalIp(ip), budget, query, evalNotes);
    results[ip] = result;
    if (result !== 'pass' && root.state === 'ok')
      notes.push(
        `${ip} (IPv${ipFamily(ip) ?? '?'}) is not authorized: SPF gives ${result} for mail from it.`,
      );
  }
  notes.push(...evalNotes);
  return { records: root.texts, lookups, problems, notes, results };
}

async function loadNode(
  domain: string,
  ancestors: string[],
  query: (name: string, type: QueryType) => Promise<LookupAnswer>,
): Promise<SpfNode> {
  const node: SpfNode = { domain, state: 'ok', texts: [], includes: new Map() };
  if (ancestors.includes(domain) || ancestors.length >= MAX_DEPTH)
    return { ...node, state: 'loop', chain: [...ancestors, domain] };
  const answer = await query(domain, 'TXT');
  if (TEMPORARY.has(answer.status))
    return { ...node, state: 'temperror', error: answer.error ?? answer.status };
  node.texts = answer.values.filter(isSpfRecord);
  if (node.texts.length === 0) return { ...node, state: 'none' };
  if (node.texts.length > 1) return { ...node, state: 'multiple' };
  const record = parseSpf(node.texts[0] ?? '');
  node.record = record;
  if (!record.ok) return { ...node, state: 'syntax' };
  const chain = [...ancestors, domain];
  const loads: Array<Promise<void>> = [];
  record.mechanisms.forEach((mechanism, index) => {
    if (mechanism.name !== 'include' || !mechanism.domain || hasMacro(mechanism.domain)) return;
    loads.push(
      loadNode(normalizeTarget(mechanism.domain), chain, query).then((child) => {
        node.includes.set(index, child);
      }),
    );
  });
  const redirect = effectiveRedirect(record);
  if (redirect && !hasMacro(redirect.value))
    loads.push(
      loadNode(normalizeTarget(redirect.value), chain, query).then((child) => {
        node.redirect = child;
      }),
    );
  await Promise.all(loads);
  return node;
}

/** Own DNS-querying terms plus everything the includes and redirect cost. */
function countLookups(node: SpfNode): number {
  if (node.state !== 'ok' || !node.record) return 0;
  let total = node.record.mechanisms.filter((m) => QUERYING.has(m.name)).length;
  if (effectiveRedirect(node.record)) total += 1;
  for (const child of node.includes.values()) total += countLookups(child);
  if (node.redirect) total += countLookups(node.redirect);
  return total;
}

function lookupLimitProblem(root: SpfNode, lookups: number): string {
  const costs: string[] = [];
  root.record?.mechanisms.forEach((mechanism, index) => {
    if (!QUERYING.has(mechanism.name)) return;
    const child = root.includes.get(index);
    const cost = 1 + (child ? countLookups(child) : 0);
    costs.push(`${mechanism.text} ${cost}`);
  });
  const redirect = root.record && effectiveRedirect(root.record);
  if (redirect) costs.push(`${redirect.text} ${1 + (root.redirect ? countLookups(root.redirect) : 0)}`);
  return (
    `SPF needs ${lookups} DNS lookups, more than the ${SPF_LOOKUP_LIMIT} allowed, so receivers return permerror ` +
    `and SPF fails. Lookups per term: ${costs.join(', ')}. Remove includes you do not use, or replace them ` +
    `with ip4:/ip6: terms.`
  );
}

/** Problems and notes of a node and of what it includes; `via` names the term that led here. */
function describeNode(
  node: SpfNode,
  via: string | undefined,
  problems: string[],
  notes: string[],
  seen: Set<SpfNode>,
): void {
  if (seen.has(node)) return;
  seen.add(node);
  const at = via ? `${via}: ` : '';
  switch (node.state) {
    case 'none':
      problems.push(
        via
          ? `${at}${node.domain} has no SPF record, which makes the whole check a permerror. Remove the term or fix ${node.domain}.`
          : `${node.domain} has no SPF record (result none): receivers cannot tell which servers may send its mail. Publish one.`,
      );
      return;
    case 'multiple':
      problems.push(
        `${at}${node.domain} has ${node.texts.length} SPF records; receivers then return permerror and SPF fails. ` +
          `Merge them into one and delete the others.`,
      );
      return;
    case 'temperror':
      problems.push(
        `${at}the TXT lookup of ${node.domain} failed (${node.error ?? 'no answer'}): receivers get temperror.`,
      );
      return;
    case 'loop':
      problems.push(
        `${at}includes loop or nest too deep (${(node.chain ?? []).join(' → ')}): receivers return permerror.`,
      );
      return;
    case 'syntax':
      for (const problem of node.record?.problems ?? [])
        problems.push(via ? `${at}the SPF record of ${node.domain}: ${problem}` : problem);
      return;
    case 'ok':
      break;
  }
  const record = node.record;
  if (!record) return;
  const allIndex = record.mechanisms.findIndex((m) => m.name === 'all');
  const all = record.mechanisms[allIndex];
  if (!via) {
    if (all?.qualifier === '+')
      problems.push(
        `"${all.text}" lets every server on the internet send mail as ${node.domain}: end with ~all or -all.`,
      );
    else if (all?.qualifier === '?')
      notes.push(
        `"${all.text}" gives neutral to unlisted servers, which protects nothing: ~all or -all is usual.`,
      );
    else if (!all && !effectiveRedirect(record))
      notes.push(
        'The record has no "all" at the end: unlisted servers get neutral. End it with ~all or -all.',
      );
  }
  if (all && allIndex < record.mechanisms.length - 1)
    notes.push(`${at}terms after "${all.text}" are never used: move them before it.`);
  if (all && record.modifiers.some((m) => m.name === 'redirect'))
    notes.push(`${at}redirect= is ignored because the record has "${all.text}".`);
  for (const mechanism of record.mechanisms) {
    if (mechanism.name === 'ptr')
      notes.push(
        `${at}"${mechanism.text}": ptr is slow and discouraged (RFC 7208 5.5); Mailwright treats it as not matching.`,
      );
    if (mechanism.name === 'exists')
      notes.push(
        `${at}"${mechanism.text}": exists is counted but Mailwright does not evaluate it (treated as not matching).`,
      );
    if (hasMacro(mechanism.domain))
      notes.push(
        `${at}"${mechanism.text}" uses a macro; Mailwright cannot expand it here and treats it as not matching.`,
      );
  }
  record.mechanisms.forEach((mechanism, index) => {
    const child = node.includes.get(index);
    if (child) describeNode(child, mechanism.text, problems, notes, seen);
  });
  const redirect = effectiveRedirect(record);
  if (node.redirect && redirect) describeNode(node.redirect, redirect.text, problems, notes, seen);
}

function isVoid(answer: LookupAnswer): boolean {
  return (
    answer.status === 'nxdomain' ||
    answer.status === 'nodata' ||
    (answer.status === 'ok' && answer.values.length === 0)
  );
}

/** a, mx and exists terms whose names have no records (RFC 7208 4.6.4 "void lookups"). */
async function countVoidLookups(
  node: SpfNode,
  query: (name: string, type: QueryType) => Promise<LookupAnswer>,
  seen: Set<SpfNode>,
): Promise<{ count: number; terms: string[] }> {
  const found = { count: 0, terms: [] as string[] };
  if (seen.has(node) || node.state !== 'ok' || !node.record) return found;
  seen.add(node);
  const checks = node.record.mechanisms.map(async (mechanism) => {
    if (!['a', 'mx', 'exists'].includes(mechanism.name) || hasMacro(mechanism.domain)) return false;
    const target = mechanism.domain ?? node.domain;
    if (mechanism.name === 'mx') return isVoid(await query(target, 'MX'));
    if (mechanism.name === 'exists') return isVoid(await query(target, 'A'));
    const [a, aaaa] = await Promise.all([query(target, 'A'), query(target, 'AAAA')]);
    return isVoid(a) && isVoid(aaaa);
  });
  const voids = await Promise.all(checks);
  voids.forEach((isVoidTerm, index) => {
    if (!isVoidTerm) return;
    found.count += 1;
    found.terms.push(node.record?.mechanisms[index]?.text ?? '');
  });
  const children = [...node.includes.values(), ...(node.redirect ? [node.redirect] : [])];
  for (const child of children) {
    const inner = await countVoidLookups(child, query, seen);
    found.count += inner.count;
    found.terms.push(...inner.terms);
  }
  return found;
}

type MatchOutcome = boolean | 'temperror' | 'permerror';

/** check_host() (RFC 7208 4) for one address, counting lookups as a receiver does. */
async function evaluate(
  node: SpfNode,
  ip: string,
  budget: { lookups: number; voids: number },
  query: (name: string, type: QueryType) => Promise<LookupAnswer>,
  notes: Set<string>,
): Promise<SpfResult> {
  switch (node.state) {
    case 'none':
      return 'none';
    case 'temperror':
      return 'temperror';
    case 'multiple':
    case 'syntax':
    case 'loop':
      return 'permerror';
    case 'ok':
      break;
  }
  const record = node.record;
  if (!record) return 'permerror';
  for (const [index, mechanism] of record.mechanisms.entries()) {
    if (QUERYING.has(mechanism.name) && ++budget.lookups > SPF_LOOKUP_LIMIT) return 'permerror';
    const outcome = await matches(node, index, mechanism, ip, budget, query, notes);
    if (outcome === true) return QUALIFIER_RESULT[mechanism.qualifier];
    if (outcome !== false) return outcome;
  }
  const redirect = effectiveRedirect(record);
  if (redirect) {
    if (++budget.lookups > SPF_LOOKUP_LIMIT) return 'permerror';
    if (!node.redirect) return 'neutral'; // a macro we cannot expand; noted already
    const result = await evaluate(node.redirect, ip, budget, query, notes);
    return result === 'none' ? 'permerror' : result;
  }
  return 'neutral';
}

async function matches(
  node: SpfNode,
  index: number,
  mechanism: SpfMechanism,
  ip: string,
  budget: { lookups: number; voids: number },
  query: (name: string, type: QueryType) => Promise<LookupAnswer>,
  notes: Set<string>,
): Promise<MatchOutcome> {
  const family = ipFamily(ip);
  switch (mechanism.name) {
    case 'all':
      return true;
    case 'ip4':
      return family === 4 && inCidr(ip, mechanism.ip ?? '', mechanism.cidr4 ?? 32);
    case 'ip6':
      return family === 6 && inCidr(ip, mechanism.ip ?? '', mechanism.cidr6 ?? 128);
    case 'ptr':
    case 'exists':
      return false;
    case 'include': {
      const child = node.includes.get(index);
      if (!child) return false; // a macro we cannot expand
      const result = await evaluate(child, ip, budget, query, notes);
      if (result === 'pass') return true;
      if (result === 'none') return 'permerror';
      if (result === 'temperror' || result === 'permerror') return result;
      return false;
    }
    case 'a':
    case 'mx': {
      if (hasMacro(mechanism.domain)) return false;
      const target = normalizeTarget(mechanism.domain ?? node.domain);
      const type = family === 4 ? 'A' : 'AAAA';
      const prefix = family === 4 ? (mechanism.cidr4 ?? 32) : (mechanism.cidr6 ?? 128);
      let hosts = [target];
      if (mechanism.name === 'mx') {
        const mx = await query(target, 'MX');
        if (TEMPORARY.has(mx.status)) return 'temperror';
        if (isVoid(mx) && ++budget.voids > SPF_VOID_LOOKUP_LIMIT) return 'permerror';
        hosts = mx.values.map((value) => normalizeTarget(value.trim().split(/\s+/).pop() ?? ''));
        if (hosts.length > MX_NAME_LIMIT) {
          notes.add(
            `"${mechanism.text}" finds ${hosts.length} MX hosts; more than ${MX_NAME_LIMIT} is a permerror.`,
          );
          return 'permerror';
        }
      }
      for (const host of hosts) {
        const answer = await query(host, type);
        if (TEMPORARY.has(answer.status)) return 'temperror';
        if (mechanism.name === 'a' && isVoid(answer) && ++budget.voids > SPF_VOID_LOOKUP_LIMIT)
          return 'permerror';
        if (answer.values.some((address) => inCidr(ip, address, prefix))) return true;
      }
      return false;
    }
  }
}
