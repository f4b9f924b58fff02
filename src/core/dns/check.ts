// The record checker: for each expected record, what the zone's authoritative servers and the
// recursive resolvers say, compared with what the record should be — one Finding per record (plus
// extra MX rows), each with a one-line fix. All questions go out in parallel.
import { fromReverseName, ipFamily } from './address';
import { parseDmarc } from './dmarc';
import { authoritativeLookup, isDefinite, sameAddress, sameAnswer, ZoneNotFoundError } from './lookup';
import {
  comparableValue,
  inRecordSlot,
  isSpfRecord,
  parseTags,
  sameRecordValue,
  type DnsLookup,
  type ExpectedRecord,
  type Finding,
  type FindingStatus,
  type LookupAnswer,
  type QueryType,
} from './model';
import {
  fetchMtaStsPolicy,
  judgeMtaStsPolicy,
  MTA_STS_POLICY_PATH,
  type MtaStsFetch,
  type MtaStsFetchOptions,
} from './mta-sts';
import { lintSpf } from './spf';
import { normalizeName } from '../names';
import { CURRENT_KEY_NOTE } from './dane';

export interface CheckInput {
  domain: string;
  mailHost: string;
  expected: ExpectedRecord[];
  /** The zone's authoritative servers; found via NS (through `recursive`) when absent. */
  authoritative?: DnsLookup;
  recursive: DnsLookup;
  /** The server's addresses: SPF must authorize each of them. */
  addresses: { ipv4: string[]; ipv6: string[] };
  /** chasquid.conf's hostname: PTR must name it too. */
  chasquidHostname?: string;
  /**
   * Told once when the zone's name servers cannot be found (the domain is not delegated); without
   * it, the reason goes into every finding's notes.
   */
  onZoneProblem?: (message: string) => void;
  /** How the MTA-STS policy is fetched when the `_mta-sts` TXT is published (tests: port, extra CA). */
  mtaSts?: Omit<MtaStsFetchOptions, 'signal'>;
  signal?: AbortSignal;
}

/** What was seen for one name and type. */
interface Observation {
  /** The answer the verdict is based on: the authoritative one when asked there. */
  primary: LookupAnswer;
  /** Other authoritative servers' answers that differ from primary (a lagging secondary). */
  disagreeing: LookupAnswer[];
  notes: string[];
}

interface Context {
  domain: string;
  mailHost: string;
  input: CheckInput;
  authoritative?: DnsLookup;
  /** Authoritative for names in the domain, recursive for the rest: what SPF includes go through. */
  zoneAware: DnsLookup;
  observe(name: string, type: QueryType, reverse?: boolean): Promise<Observation>;
  /** The MTA-STS policy as a sender fetches it; fetched once, on first ask. */
  mtaStsPolicy(): Promise<MtaStsFetch>;
}

/** One finding per expected record (MX may add "extra" rows); never throws for DNS errors. */
export async function checkRecords(input: CheckInput): Promise<Finding[]> {
  const domain = normalizeName(input.domain);
  const mailHost = normalizeName(input.mailHost);
  const setupNotes: string[] = [];
  let authoritative = input.authoritative;
  if (!authoritative) {
    try {
      authoritative = (await authoritativeLookup(domain, input.recursive, { signal: input.signal })).lookup;
    } catch (error) {
      if (!(error instanceof ZoneNotFoundError)) throw error;
      setupNotes.push(`${error.message} Only the recursive resolver was asked.`);
    }
  }
  const inDomain = (name: string) => {
    const n = normalizeName(name);
    return n === domain || n.endsWith(`.${domain}`);
  };
  const zoneAware: DnsLookup = {
    query: (name, type, signal) =>
      (authoritative && inDomain(name) ? authoritative : input.recursive).query(name, type, signal),
  };
  // The reverse zones' servers, looked up once per zone name asked.
  const reverseServers = new Map<string, Promise<DnsLookup | string>>();
  const reverseAuthoritative = (name: string) => {
    let found = reverseServers.get(name);
    if (!found) {
      found = authoritativeLookup(name, input.recursive, { signal: input.signal }).then(
        (result) => result.lookup,
        (error: Error) => {
          if (error instanceof ZoneNotFoundError) return error.message;
          throw error;
        },
      );
      reverseServers.set(name, found);
    }
    return found;
  };

  let policyFetch: Promise<MtaStsFetch> | undefined;
  const ctx: Context = {
    domain,
    mailHost,
    input,
    authoritative,
    zoneAware,
    mtaStsPolicy: () =>
      (policyFetch ??= fetchMtaStsPolicy(domain, zoneAware, { ...input.mtaSts, signal: input.signal })),
    async observe(name, type, reverse = false) {
      const authority: Promise<DnsLookup | string | undefined> = reverse
        ? reverseAuthoritative(name)
        : Promise.resolve(authoritative && inDomain(name) ? authoritative : undefined);
      const [auth, recursive] = await Promise.all([
        authority.then((lookup): Promise<LookupAnswer | string | undefined> | string | undefined =>
          typeof lookup === 'object' ? lookup.query(name, type, input.signal) : lookup,
        ),
        input.recursive.query(name, type, input.signal),
      ]);
      return typeof auth === 'string'
        ? observation(name, type, undefined, recursive, auth)
        : observation(name, type, auth, recursive);
    },
  };

  const groups = await Promise.all(input.expected.map((record) => checkOne(ctx, record)));
  const findings = groups.flat();
  if (setupNotes.length > 0 && input.onZoneProblem) for (const note of setupNotes) input.onZoneProblem(note);
  else if (setupNotes.length > 0) for (const finding of findings) finding.notes.push(...setupNotes);
  return findings;
}

function describeAnswer(answer: LookupAnswer): string {
  if (answer.status === 'ok') return answer.values.map((v) => `"${v}"`).join(', ');
  if (answer.status === 'nxdomain' || answer.status === 'nodata') return 'nothing';
  return `no answer (${answer.status}${answer.error ? `: ${answer.error}` : ''})`;
}

function observation(
  name: string,
  type: QueryType,
  auth: LookupAnswer | undefined,
  recursive: LookupAnswer,
  noAuthorityReason?: string,
): Observation {
  const notes: string[] = [];
  if (noAuthorityReason) notes.push(`${noAuthorityReason} Only your resolver was asked.`);
  if (!auth) {
    if (!isDefinite(recursive))
      notes.push(`your resolver ${recursive.server ?? ''} gave ${describeAnswer(recursive)}`);
    return { primary: recursive, disagreeing: [], notes };
  }
  const disagreeing = (auth.byServer ?? []).filter((other) => !sameAnswer(other, auth));
  if (auth.byServer) {
    notes.push(
      `the name servers disagree on ${type} ${name}: ${auth.byServer
        .map((a) => `${a.server ?? '?'} has ${describeAnswer(a)}`)
        .join('; ')} — a secondary that has not caught up yet, or a server that is down`,
    );
  }
  if (isDefinite(auth) && isDefinite(recursive) && !sameAnswer(auth, recursive)) {
    notes.push(
      `the authoritative servers have ${describeAnswer(auth)}, your resolver ${recursive.server ?? ''} still has ${describeAnswer(recursive)} (it keeps a cached answer until its TTL runs out)`,
    );
  } else if (!isDefinite(recursive)) {
    notes.push(`your resolver ${recursive.server ?? ''} gave ${describeAnswer(recursive)}`);
  }
  return { primary: auth, disagreeing: disagreeing.filter(isDefinite), notes };
}

const STATUS_RANK: Record<FindingStatus, number> = {
  ok: 0,
  extra: 1,
  'not-checkable': 2,
  'self-signed': 3,
  wrong: 4,
  missing: 5,
};

async function checkOne(ctx: Context, record: ExpectedRecord): Promise<Finding[]> {
  const name = normalizeName(record.name);
  const observed = await ctx.observe(name, record.type, record.kind === 'ptr');
  if (!isDefinite(observed.primary)) {
    return [
      finding(record, 'not-checkable', [], {
        fix: `try again later; if it persists, the name servers of ${name} are not answering`,
        notes: [`asking ${record.type} ${name} gave ${describeAnswer(observed.primary)}`, ...observed.notes],
      }),
    ];
  }
  const findings = await evaluate(ctx, record, observed.primary);
  const own = findings[0];
  if (own) {
    // A server that lags behind makes the record not (yet) right everywhere: the worse verdict wins.
    for (const other of observed.disagreeing) {
      const verdict = (await evaluate(ctx, record, other))[0];
      if (verdict && STATUS_RANK[verdict.status] > STATUS_RANK[own.status]) {
        findings[0] = {
          ...verdict,
          notes: [`as served by ${other.server ?? 'one name server'}:`, ...verdict.notes],
        };
      }
    }
    findings[0]!.notes.push(...observed.notes);
  }
  return findings;
}

function evaluate(ctx: Context, record: ExpectedRecord, answer: LookupAnswer): Promise<Finding[]> {
  switch (record.kind) {
    case 'mx':
      return Promise.resolve(checkMx(ctx, record, answer));
    case 'spf':
      return checkSpf(ctx, record, answer).then((f) => [f]);
    case 'dkim':
      return Promise.resolve([checkDkim(record, answer)]);
    case 'dmarc':
      return Promise.resolve([checkDmarc(ctx, record, answer)]);
    case 'ptr':
      return checkPtr(ctx, record, answer).then((f) => [f]);
    case 'caa':
      return Promise.resolve([checkCaa(record, answer)]);
    case 'mta-sts':
      return checkMtaSts(ctx, record, answer).then((f) => [f]);
    case 'tlsa':
      return Promise.resolve([checkTlsa(ctx, record, answer)]);
    default:
      return Promise.resolve([checkValue(record, answer)]);
  }
}

// ---------- building findings

function severityOf(record: ExpectedRecord, status: FindingStatus): Finding['severity'] {
  if (status === 'ok') return 'info';
  if (status === 'not-checkable' || status === 'extra') return 'warning';
  return record.required ? 'error' : 'warning';
}

function finding(
  record: ExpectedRecord,
  status: FindingStatus,
  found: string[],
  more: { fix?: string; notes?: string[]; severity?: Finding['severity'] } = {},
): Finding {
  return {
    id: record.id,
    kind: record.kind,
    name: normalizeName(record.name),
    type: record.type,
    status,
    severity: more.severity ?? severityOf(record, status),
    expected: record.value,
    found,
    ...(status === 'ok' || !more.fix ? {} : { fix: more.fix }),
    notes: [...(more.notes ?? [])],
  };
}

function addFix(record: ExpectedRecord): string {
  const where = record.publishedAt === 'reverse' ? 'at your VPS provider' : 'in your DNS zone';
  return `add ${record.type} ${normalizeName(record.name)} ${quoteIfTxt(record)} ${where}`;
}

function changeFix(record: ExpectedRecord, found: string[]): string {
  return `change ${record.type} ${normalizeName(record.name)} from ${found.map((v) => quoteValue(record, v)).join(', ')} to ${quoteIfTxt(record)}`;
}

function quoteValue(record: ExpectedRecord, value: string): string {
  return record.type === 'TXT' ? `"${value}"` : value;
}

function quoteIfTxt(record: ExpectedRecord): string {
  return quoteValue(record, record.value);
}

// ---------- generic values: A, AAAA, TXT (MTA-STS, TLS-RPT, the _spf include)

function checkValue(record: ExpectedRecord, answer: LookupAnswer): Finding {
  const relevant = answer.values.filter((v) => inRecordSlot(record, v));
  if (relevant.length === 0) {
    const others =
      answer.values.length > 0 ? [`other ${record.type} records there: ${answer.values.join(', ')}`] : [];
    return finding(record, 'missing', answer.values, {
      fix: addFix(record),
      notes: [record.purpose, ...others],
    });
  }
  if (relevant.length > 1 && record.type === 'TXT') {
    return finding(record, 'wrong', relevant, {
      fix: `${relevant.length} such records at ${normalizeName(record.name)}: receivers treat this as an error; keep only ${quoteIfTxt(record)}`,
    });
  }
  const others = relevant.filter((v) => !sameRecordValue(record, v));
  if (others.length < relevant.length) {
    const notes = others.length > 0 ? [`also present: ${others.join(', ')}`] : [];
    return finding(record, 'ok', relevant, { notes });
  }
  if (record.kind === 'mta-sts') {
    // Senders fetch the policy again only when the id changes: a stale id keeps the old policy.
    return finding(record, 'wrong', relevant, {
      fix: changeFix(record, relevant),
      notes: [
        'the id is not the one of the policy the server serves: senders keep using the policy they fetched before',
      ],
      severity: 'warning',
    });
  }
  return finding(record, 'wrong', relevant, { fix: changeFix(record, relevant), notes: [record.purpose] });
}

// ---------- TLSA (DANE): missing only forgoes DANE; naming another key stops DANE senders.
// During a key rollover two records are expected at the name (the served key's and the next or
// previous one): each row judges the values the other does not claim, and says which one it is.

function checkTlsa(ctx: Context, record: ExpectedRecord, answer: LookupAnswer): Finding {
  const siblings = ctx.input.expected.filter(
    (r) => r.kind === 'tlsa' && r.id !== record.id && normalizeName(r.name) === normalizeName(record.name),
  );
  const own = answer.values.filter((v) => !siblings.some((r) => sameRecordValue(r, v)));
  const verdict = checkValue(record, { ...answer, values: own });
  const details = record.details ?? [];
  const which = siblings.length === 0 ? [] : [record.id === 'tlsa' ? CURRENT_KEY_NOTE : record.purpose];
  if (verdict.status === 'wrong')
    return {
      ...verdict,
      severity: 'error',
      notes: [
        ...which,
        'the record names another key than the one the mail host serves: senders that check DANE will not deliver until it is fixed',
        ...details,
      ],
    };
  const notes =
    verdict.status === 'ok' ? [...which, ...verdict.notes] : [...which, ...verdict.notes, ...details];
  return { ...verdict, notes: [...new Set(notes)] };
}

// ---------- MTA-STS: the TXT, then the policy it announces

async function checkMtaSts(ctx: Context, record: ExpectedRecord, answer: LookupAnswer): Promise<Finding> {
  const txt = checkValue(record, answer);
  const details = record.details ?? [];
  // Without the TXT, senders never fetch a policy: only say what publishing it takes.
  if (txt.status === 'missing') return { ...txt, notes: [...txt.notes, ...details] };
  const url = `https://mta-sts.${ctx.domain}${MTA_STS_POLICY_PATH}`;
  const verdict = judgeMtaStsPolicy(await ctx.mtaStsPolicy(), ctx.mailHost, url);
  if (txt.status !== 'ok')
    return { ...txt, notes: [...txt.notes, ...verdict.notes, ...(verdict.ok ? [] : details)] };
  if (verdict.ok) return { ...txt, notes: [...txt.notes, ...verdict.notes] };
  // A broken policy in enforce mode makes senders refuse mail: as bad as a missing required record.
  return finding(record, 'wrong', txt.found, {
    fix: verdict.fix,
    notes: [...txt.notes, ...verdict.notes, ...details],
    ...(verdict.mode === 'enforce' && { severity: 'error' as const }),
  });
}

// ---------- MX

function mxHost(value: string): { priority: number; host: string } {
  const [priority = '0', host = ''] = comparableValue({ kind: 'mx', type: 'MX' }, value).split(' ');
  return { priority: Number(priority), host };
}

function checkMx(ctx: Context, record: ExpectedRecord, answer: LookupAnswer): Finding[] {
  const want = mxHost(record.value);
  const found = answer.values.map(mxHost);
  if (found.length === 0)
    return [finding(record, 'missing', [], { fix: addFix(record), notes: [record.purpose] })];
  const ours = found.find((mx) => mx.host === want.host);
  const others = found.filter((mx) => mx.host !== want.host);
  // The domain's other mail hosts (a fleet) have rows of their own; only unknown ones are extra.
  const expectedHosts = new Set(
    ctx.input.expected.filter((r) => r.kind === 'mx').map((r) => mxHost(r.value).host),
  );
  if (!ours && others.every((mx) => expectedHosts.has(mx.host)))
    return [finding(record, 'missing', answer.values, { fix: addFix(record), notes: [record.purpose] })];
  if (!ours) {
    return [
      finding(record, 'wrong', answer.values, {
        fix: `MX points to ${others.map((mx) => mx.host).join(', ')}, not ${want.host}: ${changeFix(record, answer.values)}`,
      }),
    ];
  }
  // Told once, under the domain's first MX row.
  const extras = others
    .filter((mx) => record.id === 'mx' && !expectedHosts.has(mx.host))
    .map((mx): Finding => ({
      id: `extra:mx:${mx.host}`,
      kind: 'mx',
      name: normalizeName(record.name),
      type: 'MX',
      status: 'extra',
      severity: 'warning',
      found: [`${mx.priority} ${mx.host}`],
      fix: `remove MX ${mx.priority} ${mx.host} unless that server also accepts mail for ${ctx.domain}: senders may deliver there instead of ${want.host}`,
      notes: [
        mx.priority <= ours.priority
          ? `${mx.host} is preferred over (or equal to) ${want.host}`
          : `${mx.host} is a backup MX (lower preference)`,
      ],
    }));
  const own =
    ours.priority === want.priority
      ? finding(record, 'ok', answer.values)
      : finding(record, 'wrong', answer.values, {
          fix: `MX ${want.host} has priority ${ours.priority}, mailwright.yaml's records say ${want.priority}: ${changeFix(record, [`${ours.priority} ${ours.host}`])}`,
          notes: ['mail still arrives; the priority only orders several MX hosts'],
          severity: 'warning',
        });
  return [own, ...extras];
}

// ---------- SPF

/** `lookup`, except that it answers TXT of `name` with `answer` (the one server's view being judged). */
function withAnswer(lookup: DnsLookup, name: string, answer: LookupAnswer): DnsLookup {
  return {
    query: (n, type, signal) =>
      normalizeName(n) === normalizeName(name) && type === 'TXT'
        ? Promise.resolve(answer)
        : lookup.query(n, type, signal),
  };
}

async function checkSpf(ctx: Context, record: ExpectedRecord, answer: LookupAnswer): Promise<Finding> {
  const name = normalizeName(record.name);
  const spfs = answer.values.filter(isSpfRecord);
  if (spfs.length === 0)
    return finding(record, 'missing', [], { fix: addFix(record), notes: [record.purpose] });
  if (spfs.length > 1) {
    return finding(record, 'wrong', spfs, {
      fix: `${spfs.length} SPF records: receivers treat this as a permanent error (permerror); keep one`,
    });
  }
  const { ipv4, ipv6 } = ctx.input.addresses;
  const lint = await lintSpf(name, withAnswer(ctx.zoneAware, name, answer), {
    ipv4,
    ipv6,
    signal: ctx.input.signal,
  });
  const problems = lint.problems;
  const notes = [...problems, ...lint.notes];
  const unauthorized = [...ipv4, ...ipv6].filter((ip) => lint.results[ip] !== 'pass');
  const resultNotes = [...ipv4, ...ipv6].map((ip) => `${ip}: ${lint.results[ip] ?? 'not evaluated'}`);
  notes.push(`${lint.lookups} DNS lookup(s) of the 10 allowed`, ...resultNotes);
  let fix: string | undefined;
  let severity: Finding['severity'] | undefined;
  if (problems.length > 0) fix = `fix the SPF record: ${problems[0]}`;
  else if (lint.lookups > 10) {
    fix = `the SPF record needs ${lint.lookups} DNS lookups, receivers stop at 10 (permerror): drop includes you do not use, or use ip4:/ip6: terms`;
  } else if (unauthorized.length > 0) {
    const first = unauthorized[0]!;
    fix = `SPF does not authorize ${unauthorized.join(', ')} (${first}: ${lint.results[first] ?? 'none'}): publish ${quoteIfTxt(record)}`;
  } else if (!sameRecordValue(record, spfs[0]!)) {
    // It works for this server, but not as mailwright.yaml says (an include it lists is missing…).
    fix = `the SPF record is not the one mailwright.yaml describes: ${changeFix(record, spfs)}`;
    severity = 'warning';
  }
  return finding(record, fix ? 'wrong' : 'ok', spfs, { fix, notes, severity });
}

// ---------- DKIM

/** tag=value pairs of a DKIM record (RFC 6376 3.2), keys lowercase, in order. */
export const parseDkimTags = parseTags;

/** Syntax problems of a DKIM key record, in plain words. */
export function dkimProblems(tags: Array<[string, string]>): string[] {
  const problems: string[] = [];
  const get = (key: string) => tags.find(([k]) => k === key)?.[1];
  const v = get('v');
  if (v !== undefined && v !== 'DKIM1') problems.push(`v=${v}: must be v=DKIM1`);
  if (v !== undefined && tags[0]?.[0] !== 'v') problems.push('v=DKIM1 must be the first tag');
  const k = get('k');
  if (k !== undefined && k !== 'rsa' && k !== 'ed25519')
    problems.push(`k=${k}: not a key type receivers know (rsa or ed25519)`);
  const p = get('p');
  if (p === undefined) problems.push('no p= tag: the record carries no public key');
  else if (p.replace(/\s+/g, '') === '') problems.push('p= is empty: this means the key is revoked');
  else if (!/^[A-Za-z0-9+/]+={0,2}$/.test(p.replace(/\s+/g, ''))) {
    problems.push('p= is not valid base64 (a stray quote or character pasted into the key?)');
  }
  return problems;
}

function checkDkim(record: ExpectedRecord, answer: LookupAnswer): Finding {
  const records = answer.values;
  if (records.length === 0)
    return finding(record, 'missing', [], { fix: addFix(record), notes: [record.purpose] });
  if (records.length > 1) {
    return finding(record, 'wrong', records, {
      fix: `${records.length} TXT records at ${normalizeName(record.name)}: receivers may pick any of them; keep only the server's key`,
    });
  }
  const tags = parseDkimTags(records[0]!);
  const problems = dkimProblems(tags);
  if (problems.length > 0)
    return finding(record, 'wrong', records, { fix: `fix the DKIM record: ${problems[0]}`, notes: problems });
  // The model compares what a verifier uses: "k=<type>;p=<key>".
  const typeOf = (value: string) => /^k=([^;]*)/.exec(comparableValue(record, value))?.[1];
  if (typeOf(records[0]!) !== typeOf(record.value)) {
    return finding(record, 'wrong', records, {
      fix: `the published key type is k=${typeOf(records[0]!)}, the server's key is k=${typeOf(record.value)}: ${changeFix(record, records)}`,
    });
  }
  if (!sameRecordValue(record, records[0]!)) {
    return finding(record, 'wrong', records, {
      fix: `the published key is not the key on the server: ${changeFix(record, records)}`,
      notes: ['receivers will find every signature of this server invalid until the record matches'],
    });
  }
  return finding(record, 'ok', records);
}

// ---------- DMARC

function checkDmarc(ctx: Context, record: ExpectedRecord, answer: LookupAnswer): Finding {
  const records = answer.values.filter((v) => inRecordSlot(record, v));
  if (records.length === 0) {
    const others =
      answer.values.length > 0
        ? [
            `TXT records there that are not DMARC (they must start with v=DMARC1): ${answer.values.join(', ')}`,
          ]
        : [];
    // What each tag of the record to publish will do, before the user publishes it.
    const suggested = parseDmarc(record.value, ctx.domain).explanations.map(
      (e) => `${e.tag}=${e.value}: ${e.meaning}`,
    );
    return finding(record, 'missing', answer.values, {
      fix: addFix(record),
      notes: [record.purpose, ...others, ...suggested],
    });
  }
  if (records.length > 1) {
    return finding(record, 'wrong', records, {
      fix: `${records.length} DMARC records: receivers then ignore DMARC altogether; keep one`,
    });
  }
  const parsed = parseDmarc(records[0]!, ctx.domain);
  const notes = [...parsed.explanations.map((e) => `${e.tag}=${e.value}: ${e.meaning}`), ...parsed.notes];
  if (!parsed.ok || parsed.problems.length > 0) {
    const problems = parsed.problems;
    return finding(record, 'wrong', records, {
      fix: `fix the DMARC record: ${problems[0] ?? 'it does not parse'}`,
      notes: [...problems, ...notes],
    });
  }
  const want = parseDmarc(record.value);
  const found = parsed.tags.p;
  const expected = want.tags.p;
  if (expected !== undefined && found?.toLowerCase() !== expected.toLowerCase()) {
    return finding(record, 'wrong', records, {
      fix: `policy is p=${found ?? '(none)'}, expected p=${expected}: ${changeFix(record, records)}`,
      notes,
    });
  }
  if (!sameRecordValue(record, records[0]!)) {
    // The policy is right; another tag (where reports go, alignment) is not what mailwright.yaml says.
    return finding(record, 'wrong', records, {
      fix: `the DMARC record is not the one mailwright.yaml describes: ${changeFix(record, records)}`,
      notes,
      severity: 'warning',
    });
  }
  return finding(record, 'ok', records, { notes });
}

// ---------- PTR

async function checkPtr(ctx: Context, record: ExpectedRecord, answer: LookupAnswer): Promise<Finding> {
  const ip = fromReverseName(record.name) ?? record.id.replace(/^ptr:/, '');
  const want = normalizeName(record.value);
  const names = answer.values;
  const setIt = `set reverse DNS of ${ip} to ${want} at your VPS provider`;
  if (names.length === 0) return finding(record, 'missing', [], { fix: setIt, notes: [record.purpose] });
  if (!names.includes(want)) {
    return finding(record, 'wrong', names, {
      fix: `reverse DNS of ${ip} is ${names.join(', ')}, not ${want}: ${setIt}`,
    });
  }
  const notes =
    names.length > 1 ? [`${names.length} PTR records: receivers may pick any; keep only ${want}`] : [];
  const type = ipFamily(ip) === 6 ? 'AAAA' : 'A';
  const forward = await ctx.observe(want, type);
  if (!isDefinite(forward.primary)) {
    return finding(record, 'not-checkable', names, {
      fix: `try again later: ${type} ${want} could not be looked up to confirm the reverse name`,
      notes: [...notes, ...forward.notes],
    });
  }
  if (!forward.primary.values.some((address) => sameAddress(address, ip))) {
    return finding(record, 'wrong', names, {
      fix: `${want} does not resolve back to ${ip}: add ${type} ${want} ${ip} in your DNS zone`,
      notes: [...notes, `${type} ${want}: ${describeAnswer(forward.primary)}`],
    });
  }
  const chasquid = ctx.input.chasquidHostname ? normalizeName(ctx.input.chasquidHostname) : undefined;
  if (chasquid && chasquid !== want) {
    return finding(record, 'wrong', names, {
      fix: `chasquid calls itself ${chasquid} but reverse DNS of ${ip} names ${want}: set hostname: "${want}" in chasquid.conf (or change the reverse DNS)`,
      notes,
    });
  }
  notes.push(`${want} resolves back to ${ip} (forward-confirmed)`);
  return finding(record, 'ok', names, { notes });
}

// ---------- CAA

function checkCaa(record: ExpectedRecord, answer: LookupAnswer): Finding {
  if (answer.values.length === 0) {
    return finding(record, 'missing', [], {
      fix: addFix(record),
      notes: [record.purpose, 'without CAA records any CA may issue certificates for the domain'],
    });
  }
  if (answer.values.some((v) => sameRecordValue(record, v))) return finding(record, 'ok', answer.values);
  const issuers = answer.values.filter((v) => /\sissue(wild)?\s/i.test(` ${v} `));
  if (issuers.length > 0) {
    // CAA that names other CAs forbids ours: certificate renewals will fail.
    return finding(record, 'wrong', answer.values, {
      fix: `CAA allows only ${issuers.join(', ')}: your certificate authority cannot issue for ${normalizeName(record.name)}; add ${quoteIfTxt(record)}`,
      severity: 'error',
    });
  }
  return finding(record, 'wrong', answer.values, { fix: addFix(record) });
}
