// The one DNS record model decides for the checker and the publisher alike: the check says "ok"
// exactly when publishing would change nothing. Generated records (case where DNS ignores it,
// whitespace, TXT split into strings at random places, trailing dots, tags in another order, other
// records at the same name) are served by one in-memory zone that answers the checker's queries
// and the publisher's listing; each is an equivalent spelling of the expected record (must be ok
// and kept), or a different record (must be reported and published), or nothing (missing).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkRecords } from '../../src/core/dns/check';
import {
  comparableValue,
  joinTxt,
  normalizeName,
  recordKey,
  sameRecordValue,
  type DnsLookup,
  type ExpectedRecord,
  type LookupAnswer,
  type QueryType,
} from '../../src/core/dns/model';
import type { DnsProvider, DnsRecord, RecordType } from '../../src/core/dns/providers/types';
import { planPublish } from '../../src/core/dns/publish';

const DOMAIN = 'example.test';
const MAIL_HOST = 'smtp.example.test';
const IPV4 = '198.51.100.10';
const IPV6 = 'fd00:5eed::10';
const DKIM_KEY =
  'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo9z+40RQzuVaE8AkAFmxZzow3x+VJYKdx/Mah5eNyCQAY0wBdUcgjUPD9RuY8KI8M09XNd1y6uvnWC95/4uYqeU7ybJdCf0NDS+tUeZ7bmZHfxa25HYvFf9Z0j4+cQNl5OO1pbsA7a3Ycg8JfS71OJCLB+LoKGDwZmN3ZDQIDAQAB';

/** A seeded generator (mulberry32): a failure names its seed and can be replayed. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    chance: (p: number) => next() < p,
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
  };
}
type Random = ReturnType<typeof random>;

/** Random upper and lower case (for what DNS compares without case). */
const randomCase = (r: Random, text: string) =>
  [...text].map((c) => (r.chance(0.5) ? c.toUpperCase() : c.toLowerCase())).join('');
const spaces = (r: Random) => r.pick(['', ' ', '  ', '\t']);
const trailingDot = (r: Random, name: string) => (r.chance(0.5) ? `${name}.` : name);

/**
 * `tag=value` pairs written back with random spacing, the version tag first, the rest shuffled.
 * `exactVersion`: the version tag allows no space around its "=" (TLS-RPT, MTA-STS, DKIM's v=).
 */
function retag(r: Random, pairs: [string, string][], shuffle: boolean, exactVersion: boolean): string {
  const [first, ...rest] = pairs;
  if (shuffle) rest.sort(() => r.next() - 0.5);
  const pair = ([k, v]: [string, string], exact: boolean) =>
    exact ? `${spaces(r)}${k}=${v}${spaces(r)}` : `${spaces(r)}${k}${spaces(r)}=${spaces(r)}${v}${spaces(r)}`;
  return [pair(first!, exactVersion), ...rest.map((p) => pair(p, false))]
    .join(';')
    .concat(r.chance(0.3) ? ';' : '');
}

/** A TXT value as a server may hold it: cut into strings anywhere, then joined again by the reader. */
function resplit(r: Random, value: string): string {
  const strings: string[] = [];
  let rest = value;
  while (rest.length > 0) {
    const cut = 1 + r.int(Math.min(255, rest.length));
    strings.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  return joinTxt(strings);
}

interface Case {
  record: ExpectedRecord;
  /** An equivalent spelling of the expected value. */
  same(r: Random): string;
  /** A value in the same place that says something else. */
  other(r: Random): string;
  /** Another record that may live at the same name and type. */
  foreign?: string;
}

function expected(
  kind: ExpectedRecord['kind'],
  name: string,
  type: RecordType,
  value: string,
): ExpectedRecord {
  return { id: kind, kind, name, type, value, required: true, publishedAt: 'zone', purpose: kind };
}

const CASES: Case[] = [
  {
    record: expected('mx', DOMAIN, 'MX', `10 ${MAIL_HOST}`),
    same: (r) =>
      `${r.pick(['10', '010'])}${' '.repeat(1 + r.int(2))}${trailingDot(r, randomCase(r, MAIL_HOST))}`,
    other: (r) => r.pick([`20 ${MAIL_HOST}`, `10 mx.elsewhere.test`]),
  },
  {
    record: expected('a', MAIL_HOST, 'A', IPV4),
    same: () => IPV4,
    other: (r) => r.pick(['198.51.100.11', '203.0.113.9']),
  },
  {
    record: expected('aaaa', MAIL_HOST, 'AAAA', IPV6),
    same: (r) => randomCase(r, r.pick([IPV6, 'fd00:5eed:0:0:0:0:0:10', 'fd00:5eed:0::0010'])),
    other: () => 'fd00:5eed::11',
  },
  {
    record: expected('spf', DOMAIN, 'TXT', `v=spf1 ip4:${IPV4} ip6:${IPV6} -all`),
    same: (r) =>
      resplit(
        r,
        `${r.pick(['', ' '])}${randomCase(r, 'v=spf1')} ${randomCase(r, 'ip4')}:${IPV4}${' '.repeat(1 + r.int(3))}ip6:${IPV6} ${randomCase(r, '-all')}${r.pick(['', ' '])}`,
      ),
    other: (r) =>
      r.pick([
        `v=spf1 ip4:${IPV4} ip6:${IPV6} ~all`,
        `v=spf1 ip4:${IPV4} ip4:198.51.100.77 ip6:${IPV6} -all`,
      ]),
    foreign: 'google-site-verification=abc123',
  },
  {
    record: expected(
      'dmarc',
      `_dmarc.${DOMAIN}`,
      'TXT',
      `v=DMARC1; p=quarantine; fo=1; rua=mailto:postmaster@${DOMAIN}; ruf=mailto:postmaster@${DOMAIN}`,
    ),
    same: (r) =>
      resplit(
        r,
        retag(
          r,
          [
            ['v', 'DMARC1'],
            ['p', 'quarantine'],
            ['fo', '1'],
            ['rua', `mailto:postmaster@${DOMAIN}`],
            ['ruf', `mailto:postmaster@${DOMAIN}`],
          ],
          true,
          false,
        ),
      ),
    other: (r) =>
      r.pick([
        `v=DMARC1; p=none; fo=1; rua=mailto:postmaster@${DOMAIN}; ruf=mailto:postmaster@${DOMAIN}`,
        `v=DMARC1; p=quarantine; fo=1; rua=mailto:someone@${DOMAIN}; ruf=mailto:postmaster@${DOMAIN}`,
      ]),
  },
  {
    record: expected('dkim', `mail._domainkey.${DOMAIN}`, 'TXT', `v=DKIM1; k=rsa; p=${DKIM_KEY}`),
    same: (r) => {
      // A key pasted with spaces in it, strings cut every 255 bytes or anywhere.
      const key = [...DKIM_KEY].map((c) => (r.chance(0.02) ? `${c} ` : c)).join('');
      return resplit(
        r,
        retag(
          r,
          [
            ['v', 'DKIM1'],
            ['k', 'rsa'],
            ['p', key],
          ],
          true,
          true,
        ),
      );
    },
    other: () => `v=DKIM1; k=rsa; p=${DKIM_KEY.replace('MIIB', 'MIIC')}`,
  },
  {
    record: expected('tls-rpt', `_smtp._tls.${DOMAIN}`, 'TXT', `v=TLSRPTv1; rua=mailto:tlsrpt@${DOMAIN}`),
    same: (r) =>
      resplit(
        r,
        retag(
          r,
          [
            ['v', 'TLSRPTv1'],
            ['rua', `mailto:tlsrpt@${DOMAIN}`],
          ],
          false,
          true,
        ),
      ),
    other: () => `v=TLSRPTv1; rua=mailto:reports@elsewhere.test`,
    foreign: 'some-other-txt',
  },
  {
    record: expected('caa', DOMAIN, 'CAA', '0 issue "letsencrypt.org"'),
    same: (r) =>
      `0 ${randomCase(r, 'issue')} "${trailingDot(r, randomCase(r, 'letsencrypt.org'))}${r.chance(0.5) ? '; validationmethods=dns-01' : ''}"`,
    other: () => '0 issue "pki.goog"',
  },
];

/** One zone that answers the checker's queries and the publisher's listing from the same records. */
class Zone implements DnsLookup, DnsProvider {
  readonly kind = 'memory';
  readonly writes: string[] = [];
  constructor(private readonly records: DnsRecord[]) {}

  query(name: string, type: QueryType): Promise<LookupAnswer> {
    const values = this.records
      .filter((r) => recordKey(r.name, r.type) === recordKey(name, type))
      .map((r) => r.value);
    const known = this.records.some((r) => normalizeName(r.name) === normalizeName(name));
    const status = values.length > 0 ? 'ok' : known ? 'nodata' : 'nxdomain';
    return Promise.resolve({ status, values, server: 'memory' });
  }
  list(name: string, type?: RecordType): Promise<DnsRecord[]> {
    return Promise.resolve(
      this.records.filter((r) => normalizeName(r.name) === normalizeName(name) && (!type || r.type === type)),
    );
  }
  create(record: DnsRecord): Promise<void> {
    this.writes.push(`create ${record.value}`);
    return Promise.resolve();
  }
  update(previous: DnsRecord, next: DnsRecord): Promise<void> {
    this.writes.push(`update ${previous.value} -> ${next.value}`);
    return Promise.resolve();
  }
  delete(): Promise<void> {
    return Promise.reject(new Error('publish never deletes'));
  }
}

type Variant = 'same' | 'other' | 'missing';

async function verdicts(r: Random, c: Case, variant: Variant) {
  // The expected record as a user or another version may spell its name.
  const record = { ...c.record, name: trailingDot(r, randomCase(r, c.record.name)) };
  const served: DnsRecord[] = [];
  const name = trailingDot(r, randomCase(r, c.record.name));
  if (variant !== 'missing')
    served.push({ name, type: c.record.type, value: variant === 'same' ? c.same(r) : c.other(r) });
  if (c.foreign && r.chance(0.5)) served.push({ name, type: c.record.type, value: c.foreign });
  // Also something that is not the record's type at its name.
  if (r.chance(0.3)) served.push({ name, type: 'CNAME', value: 'unrelated.example.test' });
  served.sort(() => r.next() - 0.5);
  const zone = new Zone(served);
  const [finding] = await checkRecords({
    domain: DOMAIN,
    mailHost: MAIL_HOST,
    expected: [record],
    authoritative: zone,
    recursive: zone,
    addresses: { ipv4: [IPV4], ipv6: [IPV6] },
  });
  const plan = await planPublish([record], zone);
  return { finding: finding!, plan, served };
}

describe('DNS record model', () => {
  it('compares names without case or trailing dot, and TXT strings joined', () => {
    assert.equal(recordKey('Example.TEST.', 'mx'), recordKey('example.test', 'MX'));
    assert.equal(joinTxt(['v=spf1 ip4:198.51.100.10 ', '-all']), 'v=spf1 ip4:198.51.100.10 -all');
    const dmarc = CASES.find((c) => c.record.kind === 'dmarc')!.record;
    assert.ok(
      sameRecordValue(
        dmarc,
        `v=DMARC1;ruf=mailto:postmaster@${DOMAIN};  fo=1; p=quarantine;rua=mailto:postmaster@${DOMAIN}`,
      ),
    );
    assert.ok(
      !sameRecordValue(
        dmarc,
        `v=DMARC1; p=reject; fo=1; rua=mailto:postmaster@${DOMAIN}; ruf=mailto:postmaster@${DOMAIN}`,
      ),
    );
    // The version tag stays first: a record that does not start with it is another record.
    assert.notEqual(
      comparableValue(dmarc, 'p=quarantine; v=DMARC1'),
      comparableValue(dmarc, 'v=DMARC1; p=quarantine'),
    );
    const mx = CASES.find((c) => c.record.kind === 'mx')!.record;
    assert.ok(sameRecordValue(mx, '10 SMTP.example.test.'));
    assert.ok(!sameRecordValue(mx, '20 smtp.example.test'), 'the priority is part of the value');
  });

  it('check says ok exactly when publish plans no write, over generated records', async () => {
    const seed = Number(process.env.DNS_MODEL_SEED ?? 20261207);
    const r = random(seed);
    const seen = { same: 0, other: 0, missing: 0 };
    for (let i = 0; i < 600; i++) {
      const c = r.pick(CASES);
      const variant = r.pick<Variant>(['same', 'same', 'other', 'missing']);
      const { finding, plan, served } = await verdicts(r, c, variant);
      const writes = plan.filter((p) => p.action === 'create' || p.action === 'update');
      const context = `seed ${seed}, case ${i}, ${c.record.kind} ${variant}: served ${JSON.stringify(served)}; check ${finding.status} (${finding.fix ?? ''}); publish ${plan.map((p) => `${p.action}: ${p.reason}`).join('; ')}`;
      assert.equal(finding.status === 'ok', writes.length === 0, context);
      // And each side is right on its own: an equivalent spelling is ok, anything else is not.
      assert.equal(finding.status === 'ok', variant === 'same', context);
      seen[variant]++;
    }
    assert.ok(seen.same > 100 && seen.other > 50 && seen.missing > 50, JSON.stringify(seen));
  });
});
