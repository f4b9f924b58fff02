import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import * as packet from 'dns-packet';
import * as acme from 'acme-client';
import { issuedCertificate, selfSignedCertificate } from './certificates';
import { testDomain, testHost } from './config-fixture';
import { MemoryDns } from './memory-dns';
import { keepsKey, unusableKeyReason } from '../../src/core/acme/renewal';
import { checkRecords } from '../../src/core/dns/check';
import {
  certificateSpkiSha256,
  daneUnsignedNotice,
  judgeServedKey,
  tlsaRecordName,
  tlsaRecordValue,
  zoneSigningOf,
} from '../../src/core/dns/dane';
import { daneExpectation } from '../../src/core/dns/domain-check';
import { expectedRecords } from '../../src/core/dns/expected';
import { sameRecordValue, type Finding } from '../../src/core/dns/model';
import { checkInbound } from '../../src/core/dns/reachability';
import { startTestReceiver } from '../../src/core/smtp/test-receiver';
import { fromAnswer } from '../../src/core/dns/providers/dns-wire';
import type { DnsProvider } from '../../src/core/dns/providers/types';
import { planPublish } from '../../src/core/dns/publish';
import { formatTlsa, parseTlsa } from '../../src/core/dns/providers/record-value';
import { parseCertificate } from '../../src/core/facts/parse';

const MAIL_HOST = 'smtp.example.com';
const host = testHost({ name: 'vps', ssh: { user: 'root', host: MAIL_HOST, port: 22 }, mailHost: MAIL_HOST });
const domain = testDomain({ name: 'example.com' });

/** The SPKI SHA-256 as openssl computes it: a second opinion on ours. */
function opensslSpkiSha256(certPem: string): string {
  const spki = execFileSync('openssl', ['x509', '-pubkey', '-noout'], { input: certPem });
  const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'DER'], { input: spki });
  return execFileSync('openssl', ['dgst', '-sha256', '-r'], { input: der }).toString().split(' ')[0]!;
}

const issued = issuedCertificate(MAIL_HOST);
const spki = opensslSpkiSha256(issued.cert);

function expectedWithTlsa(servedKeySha256 = spki) {
  return expectedRecords({
    host,
    domain,
    addresses: { ipv4: ['198.51.100.7'], ipv6: [] },
    dkimKeys: [],
    servedKeySha256,
  });
}

describe('DANE record of the mail host', () => {
  it('hashes the certificate key as openssl does, and the facts carry it', () => {
    assert.match(spki, /^[0-9a-f]{64}$/);
    assert.equal(certificateSpkiSha256(issued.cert + issued.ca), spki);
    assert.equal(parseCertificate(issued.cert).spkiSha256, spki);
    assert.notEqual(certificateSpkiSha256(issued.ca), spki);
  });

  it('expects _25._tcp.<mail host> TLSA 3 1 1 <key hash> when the served key is known, nothing otherwise', () => {
    const tlsa = expectedWithTlsa().filter((r) => r.kind === 'tlsa');
    assert.deepEqual(
      tlsa.map((r) => [r.name, r.type, r.value, r.required]),
      [[`_25._tcp.${MAIL_HOST}`, 'TLSA', `3 1 1 ${spki}`, false]],
    );
    const none = expectedRecords({ host, domain, addresses: { ipv4: [], ipv6: [] }, dkimKeys: [] });
    assert.equal(
      none.some((r) => r.kind === 'tlsa'),
      false,
    );
    assert.equal(tlsaRecordName('SMTP.Example.com.'), '_25._tcp.smtp.example.com');
  });

  it('compares TLSA values whatever the case and the spacing of the hex', () => {
    const record = { kind: 'tlsa' as const, type: 'TLSA' as const, value: tlsaRecordValue(spki) };
    const spaced = `3 1 1 ${spki.toUpperCase().slice(0, 32)} ${spki.toUpperCase().slice(32)}`;
    assert.equal(sameRecordValue(record, spaced), true);
    assert.equal(sameRecordValue(record, `3 0 1 ${spki}`), false);
    assert.equal(sameRecordValue(record, `3 1 1 ${'0'.repeat(64)}`), false);
  });

  it('writes and reads TLSA on the wire (RFC 2136 provider)', () => {
    const value = tlsaRecordValue(spki);
    assert.equal(formatTlsa(parseTlsa(value)), value);
    assert.throws(() => parseTlsa('3 1 1 xyz'), /TLSA value must be/);
    const wire = packet.encode({
      type: 'response',
      answers: [{ name: 'x.example', type: 'TLSA', ttl: 60, data: parseTlsa(value) } as packet.Answer],
    });
    const [answer] = packet.decode(wire).answers ?? [];
    assert.deepEqual(fromAnswer(answer!), { name: 'x.example', type: 'TLSA', value, ttl: 60 });
  });

  it('checks the published TLSA: missing, wrong (an error: DANE senders stop), right', async () => {
    const expected = expectedWithTlsa().filter((r) => r.kind === 'tlsa');
    const run = (zone: MemoryDns) =>
      checkRecords({
        domain: 'example.com',
        mailHost: MAIL_HOST,
        expected,
        authoritative: zone,
        recursive: zone,
        addresses: { ipv4: [], ipv6: [] },
      }).then((findings) => findings[0]!);
    const missing = await run(new MemoryDns({ [MAIL_HOST]: { A: ['198.51.100.7'] } }));
    assert.equal(missing.status, 'missing');
    assert.equal(missing.severity, 'warning');
    assert.equal(missing.fix, `add TLSA _25._tcp.${MAIL_HOST} 3 1 1 ${spki} in your DNS zone`);

    const other = issuedCertificate(MAIL_HOST);
    const stale = tlsaRecordValue(opensslSpkiSha256(other.cert));
    const wrong = await run(new MemoryDns({ [`_25._tcp.${MAIL_HOST}`]: { TLSA: [stale] } }));
    assert.equal(wrong.status, 'wrong');
    assert.equal(wrong.severity, 'error');
    assert.equal(wrong.fix, `change TLSA _25._tcp.${MAIL_HOST} from ${stale} to 3 1 1 ${spki}`);
    assert.match(wrong.notes.join('\n'), /senders that check DANE will not deliver/);

    const ok = await run(new MemoryDns({ [`_25._tcp.${MAIL_HOST}`]: { TLSA: [tlsaRecordValue(spki)] } }));
    assert.equal(ok.status, 'ok');
  });

  it('keeps the TLSA row only where the zone serves DNSKEY; says once why otherwise', async () => {
    const expected = expectedWithTlsa();
    const zoneOf = (dnskey: string[] | 'servfail' | undefined) => {
      const zone = new MemoryDns({ 'example.com': { SOA: ['ns.example.com'] } });
      if (dnskey) zone.set('example.com', 'DNSKEY', dnskey);
      return zone;
    };
    // The zone's servers as the check hands them over (no NS walk: nothing leaves the process).
    const lookups = (zone: MemoryDns) => ({
      recursive: zone,
      authoritative: {
        zone: 'example.com',
        servers: ['memory'],
        query: zone.query.bind(zone),
        queryEach: async () => [],
      },
    });
    const signed = zoneOf(['257 3 13 AAAA']);
    const kept = await daneExpectation(expected, lookups(signed));
    assert.equal(kept.expected.length, expected.length);
    assert.equal(kept.notice, undefined);
    assert.ok(signed.asked.includes('example.com DNSKEY'));

    const plain = zoneOf(undefined);
    const dropped = await daneExpectation(expected, lookups(plain));
    assert.deepEqual(
      dropped.expected.map((r) => r.id),
      expected.filter((r) => r.kind !== 'tlsa').map((r) => r.id),
    );
    assert.equal(dropped.notice, daneUnsignedNotice('example.com'));
    assert.match(dropped.notice!, /^DANE needs DNSSEC: zone example\.com is not signed/);

    const failing = await daneExpectation(expected, lookups(zoneOf('servfail')));
    assert.equal(failing.signing?.signed, undefined);
    assert.match(
      failing.notice!,
      /Cannot tell whether zone example\.com is signed \(asking DNSKEY gave servfail/,
    );

    // Nothing to ask when no TLSA is expected.
    const quiet = zoneOf(undefined);
    await daneExpectation(
      expected.filter((r) => r.kind !== 'tlsa'),
      lookups(quiet),
    );
    assert.deepEqual(quiet.asked, []);
  });

  it('reads DNSKEY answers as signed, unsigned or unknown', () => {
    assert.deepEqual(zoneSigningOf({ status: 'ok', values: ['257 3 13 AAAA'] }), { signed: true });
    assert.deepEqual(zoneSigningOf({ status: 'nodata', values: [] }), { signed: false });
    assert.equal(zoneSigningOf({ status: 'timeout', values: [] }).signed, undefined);
  });
});

describe('publishing the TLSA record', () => {
  /** A provider holding nothing yet, with the types it can hold. */
  const empty = (kind: string, types?: DnsProvider['types']): DnsProvider => ({
    kind,
    ...(types && { types }),
    list: async () => [],
    create: async () => undefined,
    update: async () => undefined,
    delete: async () => undefined,
  });
  const tlsaChange = async (provider: DnsProvider) =>
    (await planPublish(expectedWithTlsa(), provider)).find((c) => c.record.kind === 'tlsa')!;

  it('is created where the provider holds TLSA, skipped with the reason where it cannot', async () => {
    assert.equal((await tlsaChange(empty('rfc2136'))).action, 'create');
    const skipped = await tlsaChange(empty('alidns', ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'NS', 'CAA']));
    assert.equal(skipped.action, 'skip');
    assert.equal(
      skipped.reason,
      'the alidns provider cannot hold TLSA records: add it at your DNS host by other means, if it offers them.',
    );
  });
});

describe('the key port 25 really serves', () => {
  it('the probe reads it from the TLS handshake (the same hash as openssl)', async () => {
    const receiver = await startTestReceiver({ key: issued.key, cert: issued.cert });
    try {
      const seen: Array<[number, string]> = [];
      await checkInbound('127.0.0.1', [receiver.port], {
        servername: MAIL_HOST,
        timeoutMs: 5000,
        onServedKey: (port, key) => seen.push([port, key]),
      });
      assert.deepEqual(seen, [[receiver.port, spki]]);
    } finally {
      await receiver.close();
    }
  });

  it('the TLSA row turns into an error when port 25 serves another key than the file chasquid has', () => {
    const row: Finding = {
      id: 'tlsa',
      kind: 'tlsa',
      name: `_25._tcp.${MAIL_HOST}`,
      type: 'TLSA',
      status: 'ok',
      severity: 'info',
      expected: tlsaRecordValue(spki),
      found: [tlsaRecordValue(spki)],
      notes: [],
    };
    assert.deepEqual(judgeServedKey(row, spki.toUpperCase()).notes, ['port 25 serves this key']);
    assert.equal(judgeServedKey(row, undefined), row);
    const stale = judgeServedKey(row, 'cd'.repeat(32));
    assert.equal(stale.status, 'wrong');
    assert.equal(stale.severity, 'error');
    assert.match(
      stale.fix!,
      /^port 25 serves another key than the certificate chasquid has on disk: restart chasquid/,
    );
    assert.deepEqual(stale.notes, [`port 25 serves the key ${'cd'.repeat(32)}`]);
    const missing = judgeServedKey(
      { ...row, status: 'missing', severity: 'warning', found: [] },
      'cd'.repeat(32),
    );
    assert.equal(missing.status, 'missing');
    assert.equal(missing.severity, 'error');
  });
});

describe('the certificate key across renewals', () => {
  it('is kept when Mailwright renews its own ACME certificate, new on first issuance or when asked', () => {
    assert.equal(keepsKey({ currentHash: 'h1', managedHash: 'h1' }), true);
    assert.equal(keepsKey({ currentHash: 'h1', managedHash: 'h1' }, true), false);
    // The bootstrap (or a hand-installed) certificate: Mailwright did not write it.
    assert.equal(keepsKey({ currentHash: 'h1', managedHash: undefined }), false);
    assert.equal(keepsKey({ currentHash: 'h2', managedHash: 'h1' }), false);
  });

  it('reuses a key only when it is the current certificate key', () => {
    const cert = parseCertificate(issued.cert);
    assert.equal(unusableKeyReason(issued.key, cert), undefined);
    const stranger = selfSignedCertificate(MAIL_HOST);
    assert.equal(
      unusableKeyReason(stranger.key, cert),
      'the current key is not the key of the current certificate',
    );
    assert.match(unusableKeyReason('not a key', cert)!, /^the current key cannot be read/);
    assert.equal(unusableKeyReason(issued.key, undefined), 'the current certificate cannot be read');
  });

  it('a CSR made with the kept key carries the same public key, so the TLSA record stays valid', async () => {
    const [keyPem, csr] = await acme.crypto.createCsr({ commonName: MAIL_HOST }, issued.key);
    assert.equal(keyPem.toString(), issued.key);
    const csrSpki = execFileSync('openssl', ['req', '-pubkey', '-noout'], { input: csr });
    const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'DER'], { input: csrSpki });
    const hash = execFileSync('openssl', ['dgst', '-sha256', '-r'], { input: der }).toString().split(' ')[0];
    assert.equal(hash, spki);
  });
});
