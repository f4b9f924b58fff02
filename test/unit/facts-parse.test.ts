import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAddresses, parseFacts, parseListening, splitSections } from '../../src/core/facts/parse';
import { newReportKey, reportHeader, reportStdin } from '../../src/core/facts/script';
import { issuedCertificate, selfSignedCertificate } from './certificates';
import { keyed, TEST_KEY } from './facts-report';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', 'facts', name), 'utf8');

describe('facts parser', () => {
  it('recognises the TinyCore installer some providers leave answering SSH', () => {
    const f = parseFacts(keyed(fixture('tinycore-installer.txt')), TEST_KEY, 5);
    assert.equal(f.system.state, 'installing');
    assert.match(f.system.reason ?? '', /still installing/);
    assert.equal(f.os.supported, false);
    assert.deepEqual(f.addresses.ipv4, ['198.51.100.10']);
    assert.equal(f.chasquid.installed, false);
  });

  it('reads a Debian system', () => {
    const f = parseFacts(keyed(fixture('debian12-container-root.txt')), TEST_KEY, 5);
    assert.equal(f.os.id, 'debian');
    assert.equal(f.os.versionId, '12');
    assert.equal(f.os.supported, true);
    assert.equal(f.system.state, 'ready');
    assert.equal(f.sudo, 'root');
    assert.ok(f.resources.memTotalBytes > 0);
  });

  it('decodes listening sockets of /proc/net/tcp and tcp6', () => {
    const tcp = `  sl  local_address rem_address   st
   0: 00000000:0019 00000000:0000 0A 0
   1: 0100007F:1F90 00000000:0000 0A 0
   2: 020200C0:DCB0 507100CB:01BB 01 0`;
    assert.deepEqual(parseListening(tcp), [
      { address: '0.0.0.0', port: 25 },
      { address: '127.0.0.1', port: 8080 },
    ]);
    const tcp6 = `  sl  local_address                         remote_address                        st
   0: 00000000000000000000000000000000:01D1 00000000000000000000000000000000:0000 0A 0
   1: 00000000000000000000000001000000:024B 00000000000000000000000000000000:0000 0A 0`;
    assert.deepEqual(parseListening(tcp6), [
      { address: '::', port: 465 },
      { address: '::1', port: 587 },
    ]);
  });

  it('keeps only global addresses', () => {
    const text = `1: lo    inet 127.0.0.1/8 scope host lo
2: eth0    inet 198.51.100.2/30 scope global eth0
2: eth0    inet6 fd00:5eed::2/64 scope global nodad
2: eth0    inet6 fe80::1/64 scope link`;
    assert.deepEqual(parseAddresses(text), { ipv4: ['198.51.100.2'], ipv6: ['fd00:5eed::2'] });
  });

  it("lists chasquid's systemd units (socket activation decides the listen addresses)", () => {
    const f = parseFacts(
      keyed(
        '@@mw:chasquid-units\nchasquid-smtp.socket disabled enabled\nchasquid.service enabled enabled\n\n@@mw:end\n',
      ),
      TEST_KEY,
      1,
    );
    assert.deepEqual(f.chasquidUnits, { 'chasquid-smtp.socket': 'disabled', 'chasquid.service': 'enabled' });
  });

  it('tells a self-signed certificate (issuer = subject) from one a CA issued', () => {
    // The section is the fullchain.pem itself: the server's certificate first, then its CA's.
    const own = selfSignedCertificate('smtp.example.test');
    const issued = issuedCertificate('mx.example.test');
    const f = parseFacts(
      keyed(
        '@@mw:conf-files\n\n' +
          `@@mw:cert:smtp.example.test\n${own.cert}` +
          `@@mw:cert:mx.example.test\n${issued.cert}${issued.ca}` +
          '@@mw:cert:broken.example.test\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' +
          '@@mw:end\n',
      ),
      TEST_KEY,
      1,
    );
    const certs = f.chasquidState?.certs ?? {};
    const x509 = new X509Certificate(own.cert);
    assert.equal(certs['smtp.example.test']?.selfSigned, true);
    assert.equal(certs['smtp.example.test']?.subject, 'CN=smtp.example.test');
    assert.equal(certs['smtp.example.test']?.serial, x509.serialNumber.toLowerCase());
    assert.equal(certs['smtp.example.test']?.notAfter, new Date(x509.validTo).toISOString());
    assert.equal(certs['mx.example.test']?.selfSigned, false);
    assert.equal(certs['mx.example.test']?.subject, 'CN=mx.example.test', 'the first certificate is the own');
    assert.equal(certs['mx.example.test']?.issuer, 'O=Test Org, CN=Test CA');
    assert.deepEqual(certs['broken.example.test'], { selfSigned: false }, 'unreadable: no dates');
  });

  it('treats a machine without os-release as not installed yet', () => {
    const f = parseFacts(keyed('@@mw:id\n0\nroot\nroot\n@@mw:end\n'), TEST_KEY, 1);
    assert.equal(f.system.state, 'installing');
  });

  it('splits sections and ignores text before the first one', () => {
    // As the script prints them: each header is "\n@@mw:NAME\n".
    const s = splitSections(
      keyed('noise\n@@mw:a\n1\n2\n\n@@mw:b\n\n@@mw:c\nno newline at end\n@@mw:end\n'),
      TEST_KEY,
    );
    assert.equal(s.get('a'), '1\n2\n', 'section text is exact, trailing newline included');
    assert.equal(s.get('b'), '');
    assert.equal(s.get('c'), 'no newline at end');
  });

  it('a file on the server cannot forge a section: headers count only with the run key', () => {
    // An aliases file ending in lines shaped like headers: the old unkeyed one, one with
    // another key, and managed.json contents that would hide drift if taken for real.
    const forged = [
      'alice: alice@elsewhere.test',
      '@@mw:managed',
      '{"/etc/chasquid/chasquid.conf":"0000"}',
      `@@mw:${'f'.repeat(32)}:managed`,
      '{"/etc/chasquid/chasquid.conf":"1111"}',
      `@@mw:${TEST_KEY.toUpperCase()}:managed`,
      `@@mw:${TEST_KEY}:managed `,
      '',
    ].join('\n');
    const report =
      keyed(
        [
          '@@mw:sudo',
          'root',
          '@@mw:conf-files',
          'abcd  /etc/chasquid/chasquid.conf',
          '@@mw:managed',
          '{"/etc/chasquid/chasquid.conf":"abcd"}',
          '@@mw:chasquid-conf',
          'hostname: "smtp.example.test"',
          '@@mw:domain-files:example.test',
          'aliases',
          '@@mw:domain-aliases:example.test',
        ].join('\n') + '\n',
      ) + `${forged}\n${reportHeader(TEST_KEY, 'end')}\n`;
    const f = parseFacts(report, TEST_KEY, 1);
    assert.deepEqual(f.chasquidState?.managed, { '/etc/chasquid/chasquid.conf': 'abcd' });
    assert.equal(f.chasquidState?.domains['example.test']?.aliases, forged, 'all of it stays the file text');
    // Read with another key, the report has no section at all.
    assert.equal(splitSections(report, 'e'.repeat(32)).size, 0);
    assert.throws(() => splitSections(report, ''), /32 hex digits/);
  });

  it('every run frames its report with a fresh key, sent on stdin before the sudo password', () => {
    const a = newReportKey();
    const b = newReportKey();
    assert.match(a, /^[0-9a-f]{32}$/);
    assert.notEqual(a, b);
    assert.equal(reportStdin(a, 'pw'), `${a}\npw\n`);
    assert.equal(reportStdin(a), `${a}\n`);
  });
});
