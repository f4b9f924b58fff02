// Real DNS questions through node's c-ares Resolver (TLSA and DNSKEY, which it cannot ask, as
// plain DNS messages over TCP), answered in the shared LookupAnswer form:
// one resolver (recursive or authoritative), the operating system's resolvers, and every
// authoritative server of a zone at once (found by walking up the name asking NS).
import { ExpectedError } from '../errors';
import { randomInt } from 'node:crypto';
import { getServers, Resolver } from 'node:dns/promises';
import { isIPv6 } from 'node:net';
import * as packet from 'dns-packet';
import { encodeQuery, exchangeTcp, fromAnswer } from './providers/dns-wire';
import { canonicalIp } from './address';
import { normalizeName } from '../names';
import { joinTxt, type DnsLookup, type LookupAnswer, type LookupStatus, type QueryType } from './model';

export interface LookupOptions {
  /** Per try, in milliseconds (default 2000). */
  timeoutMs?: number;
  /** Tries per server (default 2). */
  tries?: number;
}

/** A lookup that also tells which servers it asks. */
export interface ServerLookup extends DnsLookup {
  readonly servers: readonly string[];
}

/** The authoritative servers of one zone, asked all at once. */
export interface AuthoritativeLookup extends ServerLookup {
  readonly zone: string;
  /** Every server's own answer (server set on each), in the order of `servers`. */
  queryEach(name: string, type: QueryType, signal?: AbortSignal): Promise<LookupAnswer[]>;
}

const STATUS_OF_CODE: Record<string, LookupStatus> = {
  ENOTFOUND: 'nxdomain',
  ENODATA: 'nodata',
  ETIMEOUT: 'timeout',
  EREFUSED: 'refused',
  ESERVFAIL: 'servfail',
};

/** Same address, whatever the spelling (IPv6 "fd00::2" = "fd00:0:0::2"). */
export function sameAddress(a: string, b: string): boolean {
  return canonicalIp(a) === canonicalIp(b);
}

/** One resolver per query, so that cancelling one query (Resolver.cancel) leaves the others alone. */
async function ask(
  servers: readonly string[],
  name: string,
  type: QueryType,
  opts: LookupOptions,
  signal?: AbortSignal,
): Promise<LookupAnswer> {
  signal?.throwIfAborted();
  const timeoutMs = opts.timeoutMs ?? 2000;
  const tries = opts.tries ?? 2;
  const resolver = new Resolver({ timeout: timeoutMs, tries });
  resolver.setServers([...servers]);
  const server = servers.join(', ');
  const cancel = () => resolver.cancel();
  signal?.addEventListener('abort', cancel, { once: true });
  // c-ares doubles its timeout on each retry round: a hard stop keeps the promise of "each with a timeout".
  let timedOut = false;
  const hardStop = setTimeout(
    () => {
      timedOut = true;
      resolver.cancel();
    },
    timeoutMs * tries * Math.max(1, servers.length) * 2,
  );
  try {
    const values =
      type === 'TLSA' || type === 'DNSKEY'
        ? await wireValues(servers, normalizeName(name), type, timeoutMs, signal)
        : await resolveValues(resolver, normalizeName(name), type);
    return { status: 'ok', server, ...values };
  } catch (error) {
    signal?.throwIfAborted();
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const status = timedOut ? 'timeout' : (STATUS_OF_CODE[code] ?? 'error');
    const answer: LookupAnswer = { status, values: [], server };
    if (status !== 'nxdomain' && status !== 'nodata') {
      answer.error = timedOut
        ? `no answer from ${server}`
        : `${code || 'error'}: ${(error as Error).message}`;
    }
    return answer;
  } finally {
    clearTimeout(hardStop);
    signal?.removeEventListener('abort', cancel);
  }
}

/** Values of one type at `name` from this resolver, normalized; throws the resolver's errors. */
export async function resolveValues(
  resolver: Resolver,
  name: string,
  type: QueryType,
): Promise<Pick<LookupAnswer, 'values' | 'txtStrings'>> {
  switch (type) {
    case 'A':
      return { values: await resolver.resolve4(name) };
    case 'AAAA':
      return { values: await resolver.resolve6(name) };
    case 'TXT': {
      const txtStrings = await resolver.resolveTxt(name);
      return { values: txtStrings.map(joinTxt), txtStrings };
    }
    case 'MX':
      return {
        values: (await resolver.resolveMx(name)).map((mx) => `${mx.priority} ${normalizeName(mx.exchange)}`),
      };
    case 'CAA':
      return {
        values: (await resolver.resolveCaa(name)).map((caa) => {
          const [tag, value] = Object.entries(caa).find(([key]) => key !== 'critical') ?? ['', ''];
          return `${caa.critical} ${tag.toLowerCase()} "${String(value)}"`;
        }),
      };
    case 'CNAME':
      return { values: (await resolver.resolveCname(name)).map(normalizeName) };
    case 'NS':
      return { values: (await resolver.resolveNs(name)).map(normalizeName) };
    case 'PTR':
      return { values: (await resolver.resolvePtr(name)).map(normalizeName) };
    case 'SOA': {
      const soa = await resolver.resolveSoa(name);
      return { values: [`${normalizeName(soa.nsname)} ${normalizeName(soa.hostmaster)} ${soa.serial}`] };
    }
    case 'TLSA':
    case 'DNSKEY':
      throw new RangeError(`c-ares cannot ask ${type}: lookups send it as a plain DNS message`);
  }
}

/** "ip", "ip:port", "[v6]:port" or a bare IPv6 address as host and port. */
function hostAndPort(server: string): { host: string; port: number } {
  const bracketed = /^\[(.+)\]:(\d+)$/.exec(server);
  if (bracketed) return { host: bracketed[1]!, port: Number(bracketed[2]) };
  if (isIPv6(server)) return { host: server, port: 53 };
  const [host = server, port] = server.split(':');
  return { host, port: port ? Number(port) : 53 };
}

/**
 * TLSA and DNSKEY values from the first of `servers` that answers, asked over TCP with
 * recursion desired (an authoritative server ignores it); errors carry c-ares's codes so that
 * `ask` reads them the same way.
 */
async function wireValues(
  servers: readonly string[],
  name: string,
  type: 'TLSA' | 'DNSKEY',
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Pick<LookupAnswer, 'values'>> {
  let lastError: Error = Object.assign(new Error('no server to ask'), { code: 'ETIMEOUT' });
  for (const server of servers) {
    const { host, port } = hostAndPort(server);
    let reply: Buffer;
    try {
      reply = await exchangeTcp(
        host,
        port,
        encodeQuery(randomInt(0x10000), name, type, true),
        timeoutMs,
        signal,
      );
    } catch (error) {
      signal?.throwIfAborted();
      lastError = Object.assign(new Error((error as Error).message), { code: 'ETIMEOUT' });
      continue;
    }
    const rcode = reply.readUInt16BE(2) & 0xf;
    if (rcode === 3) throw Object.assign(new Error(`${name} does not exist`), { code: 'ENOTFOUND' });
    if (rcode === 5) throw Object.assign(new Error(`${server} refused`), { code: 'EREFUSED' });
    if (rcode !== 0) {
      lastError = Object.assign(new Error(`${server} answered rcode ${rcode}`), { code: 'ESERVFAIL' });
      continue;
    }
    const answers = (packet.decode(reply).answers ?? []).filter(
      (answer) => answer.type === type && normalizeName(answer.name) === name,
    );
    const values = answers.flatMap((answer): string[] => {
      if (answer.type === 'DNSKEY') {
        const key = answer.data;
        return [`${key.flags} 3 ${key.algorithm} ${key.key.toString('base64')}`];
      }
      const record = fromAnswer(answer);
      return record ? [record.value] : [];
    });
    if (values.length === 0) throw Object.assign(new Error(`no ${type} at ${name}`), { code: 'ENODATA' });
    return { values };
  }
  throw lastError;
}

/** Asks these servers (ip, ip:port or [v6]:port; c-ares tries them in order). Never throws for DNS errors. */
export function resolverLookup(servers: string[], opts: LookupOptions = {}): ServerLookup {
  if (servers.length === 0)
    throw new RangeError('resolverLookup: servers is empty; give at least one ip or ip:port.');
  const list = [...servers];
  return {
    servers: list,
    query: (name, type, signal) => ask(list, name, type, opts, signal),
  };
}

/** The operating system's resolvers (/etc/resolv.conf). */
export function systemLookup(opts: LookupOptions = {}): ServerLookup {
  return resolverLookup(getServers(), opts);
}

/**
 * `lookup` asking each question (name and type) once: later askers share the first answer. For
 * one check of several domains, whose questions overlap (the server's addresses on a blocklist,
 * the mail host's records) and share one cancel signal.
 */
export function sharedLookup<T extends DnsLookup>(lookup: T): T {
  const asked = new Map<string, Promise<LookupAnswer>>();
  return {
    ...lookup,
    query: (name, type, signal) => {
      const key = `${normalizeName(name)} ${type}`;
      let answer = asked.get(key);
      if (!answer) {
        answer = lookup.query(name, type, signal);
        asked.set(key, answer);
      }
      return answer;
    },
  };
}

/** Definite: the servers answered, with or without records. */
export function isDefinite(answer: LookupAnswer): boolean {
  return answer.status === 'ok' || answer.status === 'nxdomain' || answer.status === 'nodata';
}

/** Same status and the same values in any order. */
export function sameAnswer(a: LookupAnswer, b: LookupAnswer): boolean {
  const sorted = (answer: LookupAnswer) => [...answer.values].sort().join('\n');
  const status = (answer: LookupAnswer) => (answer.status === 'nodata' ? 'nxdomain' : answer.status);
  return status(a) === status(b) && sorted(a) === sorted(b);
}

export class ZoneNotFoundError extends ExpectedError {
  override name = 'ZoneNotFoundError';
}

export interface AuthoritativeOptions extends LookupOptions {
  signal?: AbortSignal;
  /** Port of the authoritative servers (53; tests use another). */
  port?: number;
}

function withPort(address: string, port: number | undefined): string {
  if (port === undefined || port === 53) return address;
  return isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * Finds the zone `name` belongs to (the closest enclosing name with NS records, asked through
 * `recursive`), the addresses of its name servers, and returns a lookup that asks every one of
 * them in parallel. When they disagree, the answer is the first definite one with `byServer`
 * holding each server's answer.
 */
export async function authoritativeLookup(
  name: string,
  recursive: DnsLookup,
  opts: AuthoritativeOptions = {},
): Promise<{ lookup: AuthoritativeLookup; zone: string; servers: string[] }> {
  const labels = normalizeName(name).split('.');
  // Every candidate from the name itself up to the top-level domain, asked at once.
  const candidates = labels.slice(0, -1).map((_, index) => labels.slice(index).join('.'));
  const answers = await Promise.all(candidates.map((c) => recursive.query(c, 'NS', opts.signal)));
  let zone: string | undefined;
  let nsNames: string[] = [];
  for (const [index, answer] of answers.entries()) {
    if (answer.status === 'ok' && answer.values.length > 0) {
      zone = candidates[index];
      nsNames = answer.values;
      break;
    }
    if (!isDefinite(answer)) {
      // The cut may be right here: guessing a parent zone would ask the wrong servers.
      throw new ZoneNotFoundError(
        `cannot find the name servers of ${name}: asking NS of ${candidates[index]} ended in ${answer.status}${answer.error ? ` (${answer.error})` : ''}.`,
      );
    }
  }
  if (!zone)
    throw new ZoneNotFoundError(`cannot find the name servers of ${name}: no enclosing name has NS records.`);

  const addressAnswers = await Promise.all(
    nsNames.flatMap((ns) => [
      recursive.query(ns, 'A', opts.signal),
      recursive.query(ns, 'AAAA', opts.signal),
    ]),
  );
  const servers = [...new Set(addressAnswers.flatMap((a) => a.values))].map((ip) => withPort(ip, opts.port));
  if (servers.length === 0) {
    throw new ZoneNotFoundError(
      `the name servers of ${zone} (${nsNames.join(', ')}) have no A or AAAA records: nothing to ask.`,
    );
  }
  const lookup = serversLookup(zone, servers, opts);
  return { lookup, zone, servers };
}

/** Every server of `servers` asked in parallel, as one lookup (see authoritativeLookup). */
export function serversLookup(
  zone: string,
  servers: string[],
  opts: LookupOptions = {},
): AuthoritativeLookup {
  const single = servers.map((server) => resolverLookup([server], opts));
  const queryEach = (name: string, type: QueryType, signal?: AbortSignal) =>
    Promise.all(single.map((lookup) => lookup.query(name, type, signal)));
  return {
    zone,
    servers,
    queryEach,
    async query(name, type, signal) {
      const each = await queryEach(name, type, signal);
      const first = each.find(isDefinite) ?? each[0]!;
      const agree = each.every((answer) => sameAnswer(answer, first));
      return agree ? first : { ...first, byServer: each };
    },
  };
}
