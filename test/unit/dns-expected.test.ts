import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { testDomain, testHost } from './config-fixture';
import { publicKeyOfPem } from '../../src/core/dkim';
import {
  caaIssuerFor,
  expectedRecords,
  fromReverseName,
  mtaStsPolicy,
  reverseName,
  type ExpectedInput,
} from '../../src/core/dns/expected';

const host = testHost();
const domain = testDomain({ spf: { include: ['_spf.google.com'] } });

function input(overrides: Partial<ExpectedInput> = {}): ExpectedInput {
  return {
    host,
    domain,
    addresses: {
      ipv4: ['198.51.100.7', '127.0.0.1', '169.254.1.1'],
      ipv6: ['fd00:5eed::7', '::1', 'fe80::1', '::'],
    },
    dkimKeys: [],
    ...overrides,
  };
}

function rsaKey(bits: number) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return publicKeyOfPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
}

describe('expectedRecords', () => {
  it('lists A/AAAA, MX, the split SPF pair, DMARC, PTR and the recommended extras, skipping local addresses', () => {
    const records = expectedRecords(input());
    assert.deepEqual(
      records.map(
        (r) =>
          `${r.id} ${r.type} ${r.name} ${r.value} ${r.required ? 'required' : 'recommended'} ${r.publishedAt}`,
      ),
      [
        'a:198.51.100.7 A smtp.example.com 198.51.100.7 required zone',
        'aaaa:fd00:5eed::7 AAAA smtp.example.com fd00:5eed::7 required zone',
        'mx MX example.com 10 smtp.example.com required zone',
        'spf TXT example.com v=spf1 a mx include:_spf.example.com include:_spf.google.com ~all required zone',
        'spf-include TXT _spf.example.com v=spf1 a:smtp.example.com ~all required zone',
        'dmarc TXT _dmarc.example.com v=DMARC1; p=quarantine; fo=1; rua=mailto:postmaster@example.com; ruf=mailto:postmaster@example.com required zone',
        'ptr:198.51.100.7 PTR 7.100.51.198.in-addr.arpa smtp.example.com required reverse',
        `ptr:fd00:5eed::7 PTR ${reverseName('fd00:5eed::7')} smtp.example.com required reverse`,
        `mta-sts TXT _mta-sts.example.com v=STSv1; id=${mtaStsPolicy('example.com', 'smtp.example.com').id} recommended zone`,
        'tls-rpt TXT _smtp._tls.example.com v=TLSRPTv1; rua=mailto:postmaster@example.com recommended zone',
        'caa CAA example.com 0 issue "letsencrypt.org" recommended zone',
      ],
    );
    for (const record of records) {
      assert.ok(
        record.purpose.length > 10 && !record.purpose.includes('\n'),
        `one-line purpose for ${record.id}`,
      );
      if (record.type === 'TXT') assert.deepEqual(record.strings, [record.value]);
    }
  });

  it('the simple SPF form names the mail host in one record; DMARC follows the config; TTL from the dns provider', () => {
    const records = expectedRecords(
      input({
        domain: {
          ...domain,
          spf: { include: [], form: 'simple' },
          dmarc: {
            p: 'reject',
            rua: ['mailto:dmarc@example.com!10m'],
            ruf: [],
            adkim: 's',
            aspf: 'r',
            pct: 50,
          },
          dns: { provider: 'manual', algorithm: 'hmac-sha256', zone: 'example.com', ttl: 120 },
        },
      }),
    );
    assert.equal(records.find((r) => r.id === 'spf')?.value, 'v=spf1 a:smtp.example.com mx ~all');
    assert.equal(
      records.find((r) => r.id === 'spf-include'),
      undefined,
    );
    assert.equal(
      records.find((r) => r.id === 'dmarc')?.value,
      'v=DMARC1; p=reject; adkim=s; aspf=r; pct=50; rua=mailto:dmarc@example.com!10m',
    );
    assert.equal(records.find((r) => r.id === 'tls-rpt')?.value, 'v=TLSRPTv1; rua=mailto:dmarc@example.com');
    assert.ok(records.every((r) => r.ttl === 120));
  });

  it('DKIM records of 2048- and 4096-bit RSA keys split into <=255-byte strings that join back', () => {
    const keys = [
      { selector: 'mw2048', ...rsaKey(2048) },
      { selector: 'mw4096', ...rsaKey(4096) },
    ];
    const records = expectedRecords(input({ dkimKeys: keys })).filter((r) => r.kind === 'dkim');
    assert.deepEqual(
      records.map((r) => [r.id, r.name]),
      [
        ['dkim:mw2048', 'mw2048._domainkey.example.com'],
        ['dkim:mw4096', 'mw4096._domainkey.example.com'],
      ],
    );
    for (const [index, record] of records.entries()) {
      const strings = record.strings ?? [];
      assert.ok(strings.length >= (index === 0 ? 2 : 3), `${record.id}: ${strings.length} strings`);
      assert.ok(strings.every((s) => Buffer.byteLength(s) <= 255));
      assert.equal(strings.join(''), record.value);
      assert.equal(record.value, `v=DKIM1; k=rsa; p=${keys[index]?.publicKey}`);
    }
  });

  it('CAA only for a CA whose issuer name is known, with a reason otherwise', () => {
    assert.deepEqual(
      caaIssuerFor({
        ...host,
        acme: { ca: 'letsencrypt-staging', challenge: 'dns-01', renewBeforeDays: 30 },
      }),
      {
        issuer: 'letsencrypt.org',
      },
    );
    const pebble = {
      ...host,
      acme: { ca: 'https://localhost:14000/dir', challenge: 'dns-01' as const, renewBeforeDays: 30 },
    };
    const unknown = caaIssuerFor(pebble);
    assert.equal(unknown.issuer, undefined);
    assert.match(unknown.reason ?? '', /https:\/\/localhost:14000\/dir.*no CAA record/);
    assert.equal(
      expectedRecords(input({ host: pebble })).find((r) => r.kind === 'caa'),
      undefined,
    );
  });

  it('the MTA-STS policy text, where it is served, and an id that changes only with the policy', () => {
    const policy = mtaStsPolicy('example.com', 'smtp.example.com');
    assert.equal(
      policy.text,
      'version: STSv1\r\nmode: testing\r\nmx: smtp.example.com\r\nmax_age: 604800\r\n',
    );
    assert.equal(policy.url, 'https://mta-sts.example.com/.well-known/mta-sts.txt');
    assert.match(policy.id, /^[a-z0-9]{1,32}$/);
    assert.equal(mtaStsPolicy('example.com', 'smtp.example.com').id, policy.id);
    assert.notEqual(mtaStsPolicy('example.com', 'mx2.example.com').id, policy.id);
  });

  it("the _mta-sts record's details: the exact policy, its URL and certificate, and the A/AAAA it needs", () => {
    const record = expectedRecords(input()).find((r) => r.kind === 'mta-sts');
    assert.deepEqual(record?.details, [
      'serve this policy at https://mta-sts.example.com/.well-known/mta-sts.txt over HTTPS with a valid certificate for mta-sts.example.com, as text/plain:',
      'version: STSv1',
      'mode: testing',
      'mx: smtp.example.com',
      'max_age: 604800',
      'mta-sts.example.com needs an A/AAAA record pointing at the web server that serves it',
    ]);
  });
});

describe('reverse names', () => {
  it('IPv4 in-addr.arpa and IPv6 full nibble form, compressed spellings included, and back', () => {
    assert.equal(reverseName('198.51.100.7'), '7.100.51.198.in-addr.arpa');
    const full = 'b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa';
    assert.equal(reverseName('4321:0:1:2:3:4:567:89ab'), full);
    assert.equal(reverseName('4321::1:2:3:4:567:89AB'), full);
    assert.equal(reverseName('fd00:5eed::7'), `7.${'0.'.repeat(23)}d.e.e.5.0.0.d.f.ip6.arpa`);
    assert.equal(reverseName('::1'), `1.${'0.'.repeat(31)}ip6.arpa`);
    // 198.51.100.7 = c633:6407
    assert.equal(reverseName('::ffff:198.51.100.7'), `7.0.4.6.3.3.6.c.f.f.f.f.${'0.'.repeat(20)}ip6.arpa`);
    assert.equal(fromReverseName(full), '4321:0:1:2:3:4:567:89ab');
    assert.equal(fromReverseName(reverseName('fd00:5eed::7') + '.'), 'fd00:5eed::7');
    assert.equal(fromReverseName('7.100.51.198.in-addr.arpa'), '198.51.100.7');
    assert.equal(fromReverseName('100.51.198.in-addr.arpa'), undefined);
    assert.throws(() => reverseName('smtp.example.com'), /not an IPv4 or IPv6 address/);
  });
});
