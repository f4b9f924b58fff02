// DNS of a domain served by two hosts: the shared records (MX, SPF, MTA-STS, CAA) name both mail
// hosts and are the same from either host's side; addresses, PTR and DKIM stay each host's own.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testDomain, testHost } from './config-fixture';
import { checkRecords } from '../../src/core/dns/check';
import { expectedRecords, mtaStsPolicy, type ExpectedInput } from '../../src/core/dns/expected';
import type { ExpectedRecord, Finding } from '../../src/core/dns/model';
import { planPublish } from '../../src/core/dns/publish';
import type { DnsProvider, DnsRecord } from '../../src/core/dns/providers/types';
import { MemoryDns } from './memory-dns';

const domain = testDomain({ name: 'example.com' });
const a = testHost({ name: 'a', mailHost: 'mx1.example.com', domains: [domain] });
const b = testHost({
  name: 'b',
  mailHost: 'mx2.example.com',
  domains: [{ ...domain, dkim: { algorithms: ['rsa2048'], selector: 'b' } }],
});
const elsewhere = testHost({
  name: 'c',
  mailHost: 'mx.other.net',
  domains: [testDomain({ name: 'other.net' })],
});
const fleet = [a, b, elsewhere];

const key = (selector: string) => ({ selector, keyType: 'rsa' as const, publicKey: `KEY${selector}` });
const side: Record<'a' | 'b', ExpectedInput> = {
  a: { host: a, domain, addresses: { ipv4: ['198.51.100.1'], ipv6: [] }, dkimKeys: [key('mw1')], fleet },
  b: {
    host: b,
    domain: b.domains[0]!,
    addresses: { ipv4: ['198.51.100.2'], ipv6: [] },
    dkimKeys: [key('b')],
    fleet,
  },
};
const records = { a: expectedRecords(side.a), b: expectedRecords(side.b) };
const line = (r: ExpectedRecord) => `${r.id} ${r.type} ${r.name} ${r.value}`;

describe('DNS of a domain served by several hosts', () => {
  it("names every mail host in MX, SPF and MTA-STS; A, PTR and DKIM are the host's own", () => {
    assert.deepEqual(records.a.filter((r) => r.kind !== 'dmarc' && r.kind !== 'tls-rpt').map(line), [
      'a:198.51.100.1 A mx1.example.com 198.51.100.1',
      'mx MX example.com 10 mx1.example.com',
      'mx:mx2.example.com MX example.com 10 mx2.example.com',
      'spf TXT example.com v=spf1 a mx include:_spf.example.com ~all',
      'spf-include TXT _spf.example.com v=spf1 a:mx1.example.com a:mx2.example.com ~all',
      'dkim:mw1 TXT mw1._domainkey.example.com v=DKIM1; k=rsa; p=KEYmw1',
      'ptr:198.51.100.1 PTR 1.100.51.198.in-addr.arpa mx1.example.com',
      `mta-sts TXT _mta-sts.example.com v=STSv1; id=${mtaStsPolicy('example.com', ['mx1.example.com', 'mx2.example.com']).id}`,
      'caa CAA example.com 0 issue "letsencrypt.org"',
    ]);
    assert.deepEqual(mtaStsPolicy('example.com', ['mx1.example.com', 'mx2.example.com']).text.split('\r\n'), [
      'version: STSv1',
      'mode: testing',
      'mx: mx1.example.com',
      'mx: mx2.example.com',
      'max_age: 604800',
      '',
    ]);
    // A host alone (no fleet given, or no peer) keeps the one-host records.
    assert.equal(
      expectedRecords({ ...side.a, fleet: [a, elsewhere] }).find((r) => r.id === 'spf-include')?.value,
      'v=spf1 a:mx1.example.com ~all',
    );
  });

  it('the shared records have the same values from either host, so publishing from both converges', () => {
    const shared = (list: ExpectedRecord[]) =>
      list
        .filter((r) => ['mx', 'spf', 'spf-include', 'dmarc', 'mta-sts', 'tls-rpt', 'caa'].includes(r.kind))
        .map((r) => `${r.type} ${r.name} ${r.value}`)
        .sort();
    assert.deepEqual(shared(records.b), shared(records.a));
    assert.deepEqual(
      records.b.filter((r) => r.kind === 'dkim' || r.kind === 'a' || r.kind === 'ptr').map((r) => r.id),
      ['a:198.51.100.2', 'dkim:b', 'ptr:198.51.100.2'],
    );
    const simple = { ...domain, spf: { include: [], form: 'simple' as const } };
    assert.equal(
      expectedRecords({ ...side.a, domain: simple }).find((r) => r.id === 'spf')?.value,
      'v=spf1 a:mx1.example.com a:mx2.example.com mx ~all',
    );
  });

  it('a CAA record per CA of the hosts, none when one host uses a CA whose CAA name is unknown', () => {
    const staging = {
      ...b,
      acme: { ca: 'letsencrypt-staging', challenge: 'dns-01' as const, renewBeforeDays: 30 },
    };
    assert.deepEqual(
      expectedRecords({ ...side.a, fleet: [a, staging] })
        .filter((r) => r.kind === 'caa')
        .map(line),
      ['caa CAA example.com 0 issue "letsencrypt.org"'],
    );
    const pebble = {
      ...b,
      acme: { ca: 'https://localhost:14000/dir', challenge: 'dns-01' as const, renewBeforeDays: 30 },
    };
    assert.deepEqual(
      expectedRecords({ ...side.a, fleet: [a, pebble] }).filter((r) => r.kind === 'caa'),
      [],
    );
  });

  it("checks each mail host's MX: both present is ok without extras, a missing one says add it", async () => {
    const zone = new MemoryDns();
    for (const r of records.a) zone.add(r.name, r.type, r.value);
    zone.set('mx1.example.com', 'A', ['198.51.100.1']).set('mx2.example.com', 'A', ['198.51.100.2']);
    const check = (): Promise<Finding[]> =>
      checkRecords({
        domain: 'example.com',
        mailHost: 'mx1.example.com',
        expected: records.a,
        authoritative: zone,
        recursive: zone,
        addresses: { ipv4: ['198.51.100.1'], ipv6: [] },
      });
    const mx = (findings: Finding[]) =>
      findings.filter((f) => f.kind === 'mx').map((f) => `${f.id} ${f.status}${f.fix ? ` ${f.fix}` : ''}`);
    assert.deepEqual(mx(await check()), ['mx ok', 'mx:mx2.example.com ok']);

    zone.set('example.com', 'MX', ['10 mx1.example.com']);
    assert.deepEqual(mx(await check()), [
      'mx ok',
      'mx:mx2.example.com missing add MX example.com 10 mx2.example.com in your DNS zone',
    ]);

    zone.set('example.com', 'MX', ['10 mx1.example.com', '10 mx2.example.com', '20 backup.other.net']);
    assert.deepEqual(mx(await check()), [
      'mx ok',
      'extra:mx:backup.other.net extra remove MX 20 backup.other.net unless that server also accepts mail for example.com: senders may deliver there instead of mx1.example.com',
      'mx:mx2.example.com ok',
    ]);
  });

  it('publishing from the second host after the first keeps the shared records and adds only its own', async () => {
    const published: DnsRecord[] = records.a
      .filter((r) => r.publishedAt === 'zone')
      .map((r) => ({ name: r.name, type: r.type, value: r.value }));
    const provider: DnsProvider = {
      kind: 'memory',
      list: async (name) => published.filter((r) => r.name === name),
      create: async () => assert.fail('planning writes nothing'),
      update: async () => assert.fail('planning writes nothing'),
      delete: async () => assert.fail('planning writes nothing'),
    };
    const changes = await planPublish(records.b, provider);
    assert.deepEqual(
      changes.filter((c) => c.action !== 'keep').map((c) => `${c.action} ${c.record.id}`),
      ['create a:198.51.100.2', 'create dkim:b', 'skip ptr:198.51.100.2'],
    );
  });
});
